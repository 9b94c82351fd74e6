import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Gateway } from '../serving/gateway.js';
import type { StatusRecorder } from '../serving/status-recorder.js';
import { describeTuningEvent } from './tuning-output.js';

/** A file of ferry's own web/ folder (the same depth from src/ and dist/). */
const webFile = (name: string) => fileURLToPath(new URL(`../../web/${name}`, import.meta.url));

let page: string | undefined;

/**
 * The dashboard as one HTML document: web/dashboard.html with web/dashboard.js inlined,
 * so that a browser makes one request and loads nothing from anywhere else (the script is
 * a file of its own so that ESLint checks it). Read once, on first use.
 */
export function dashboardPage(): string {
  if (page === undefined) {
    const html = readFileSync(webFile('dashboard.html'), 'utf8');
    const script = readFileSync(webFile('dashboard.js'), 'utf8');
    const marker = '<script src="dashboard.js"></script>';
    if (!html.includes(marker)) throw new Error(`Expected web/dashboard.html to load the script with ${marker}`);
    // A function replacement: the script's own `$&` or `$'` must not be read as patterns.
    page = html.replace(marker, () => `<script>\n${script}</script>`);
  }
  return page;
}

/**
 * What GET /v2/ferry/status answers: the gateway's state now, and per model what the
 * status recorder kept (windows oldest first, changes and decisions newest first, each
 * decision with the sentence the console prints for it).
 */
export function statusJson(status: StatusRecorder, gateway: Gateway): unknown {
  return {
    nowMs: status.nowMs(),
    windowMs: status.windowMs,
    accepting: gateway.isAccepting,
    invocationsInFlight: gateway.invocationsInFlight,
    models: gateway.models().flatMap((model) => {
      const modelStatus = status.status(model);
      if (!modelStatus) return [];
      return [{
        ...modelStatus,
        queueDepth: gateway.queueDepth(model),
        tuning: modelStatus.tuning.map((event) => ({ ...event, text: describeTuningEvent(event) })),
      }];
    }),
  };
}
