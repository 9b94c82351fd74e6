// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// src/core/ is the pure heart of ferry, and src/serving/ (batcher, dispatcher, gateway,
// tuning wiring) is what live and simulated serving share: the simulator runs both on a
// virtual clock, so neither may do I/O, read the wall clock, or draw unseeded randomness.
const ioModules = [
  'fs', 'fs/promises', 'http', 'https', 'http2', 'net', 'dgram', 'child_process', 'worker_threads',
  'cluster', 'os', 'process', 'timers', 'timers/promises', 'perf_hooks', 'readline',
];
const restrictedImports = [
  ...ioModules.flatMap((name) => [name, `node:${name}`]),
  'onnxruntime-node', 'sharp', 'fastify', 'better-sqlite3', 'pino',
].map((name) => ({ name, message: 'src/core/ and src/serving/ must stay pure: inject I/O from the shell.' }));

const traceLayer = { regex: '^\\.\\./(?!core/)', message: 'src/trace/ may import src/core/ only.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.cache/**', '.tmp-*/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', performance: 'readonly', structuredClone: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/serving/**/*.ts', 'src/trace/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: restrictedImports, patterns: [{ group: ['@aws-sdk/*', 'prom-client'], message: 'src/core/ and src/serving/ must stay pure.' }] }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use the injected Clock.' },
        { name: 'setInterval', message: 'Use the injected Clock.' },
        { name: 'setImmediate', message: 'Use the injected Clock.' },
        { name: 'queueMicrotask', message: 'Complete by callback from the Clock or the invoker: an event engine cannot step a microtask.' },
        { name: 'performance', message: 'Use the injected Clock.' },
        { name: 'process', message: 'src/core/ and src/serving/ must not read the process environment.' },
        { name: 'fetch', message: 'src/core/ and src/serving/ must stay pure.' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use the injected Clock.' },
        { object: 'Math', property: 'random', message: 'Use a seeded random source.' },
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date']", message: 'Use the injected Clock.' }],
    },
  },
  // src/trace/ feeds the live tools and the simulator alike: pure like core (the block
  // above) but for its one file reader, trace-file.ts, and built on core alone.
  {
    files: ['src/trace/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: restrictedImports, patterns: [traceLayer] }] },
  },
  {
    files: ['src/trace/trace-file.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [traceLayer] }] },
  },
  // The dashboard's script runs in a browser (src/gateway/dashboard.ts serves it inlined).
  {
    files: ['web/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', location: 'readonly', history: 'readonly', fetch: 'readonly' } },
  },
  // Benchmarks register their own subcommands; they share option parsers through src/util/.
  {
    files: ['src/bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/cli/*'], message: 'src/bench/ must not import from src/cli/ (shared helpers go to src/util/).' }] }] },
  },
  // The simulator runs the production serving code against its own platform: it may never
  // reach the live one (src/platform/), or the simulation would drift from what it models.
  {
    files: ['src/sim/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/platform/*', '**/platform/**', '**/gateway/*', '**/function/*'], message: 'src/sim/ imports core, serving, models and trace, never platform, gateway or function.' }] }] },
  },
);
