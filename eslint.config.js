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
    files: ['src/core/**/*.ts', 'src/serving/**/*.ts'],
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
);
