#!/usr/bin/env node
// The `ferry` command runs the compiled package; `npm install` builds it (the prepare script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('ferry is not built yet: run `npm install` (or `npm run build`) in the ferry folder first.');
  process.exit(1);
}
await import(main.href);
