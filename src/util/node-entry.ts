import { fileURLToPath } from 'node:url';

/**
 * Resolves a sibling module to start in a child process or worker thread. From the built
 * package (dist/*.js) that is plain JavaScript; when ferry itself runs from source (tests,
 * `tsx`), the child needs the same TypeScript loader, so it gets `--import tsx`.
 */
export function nodeEntry(moduleUrl: string, relativeJs: string): { file: string; execArgv: string[] } {
  const fromSource = moduleUrl.endsWith('.ts');
  const relative = fromSource ? relativeJs.replace(/\.js$/, '.ts') : relativeJs;
  return { file: fileURLToPath(new URL(relative, moduleUrl)), execArgv: fromSource ? ['--import', 'tsx'] : [] };
}
