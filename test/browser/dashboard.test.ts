import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoadgen } from '../../src/loadgen/loadgen.js';

/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) over a
 * real `ferry serve --tune` on the embedded runtime with the real model, under real
 * traffic: every panel must draw data, a configuration the tuner applies must show up,
 * and the screenshot the README shows is taken here. `npm run test:browser` (it builds
 * dist/ first: the gateway runs as the CLI does).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshotFile = process.env.DASHBOARD_SCREENSHOT ?? path.join(root, 'docs', 'dashboard.png');
const token = randomBytes(12).toString('hex');
// Light traffic, then three times as much: enough for the tuner's windows and a change of rate.
const traceDurationS = 75;
const trace = `gen:step?rates-per-s=4,12&change-at-s=35&duration-s=${traceDurationS}&seed=3`;

let gateway: ChildProcess;
let url: string;
let browser: Browser;
let load: Promise<unknown>;
let loadStartMs: number;
let workDir: string;

async function startGateway(): Promise<{ child: ChildProcess; url: string }> {
  workDir = mkdtempSync(path.join(tmpdir(), 'ferry-dashboard-'));
  const child = spawn(process.execPath, [
    'bin/ferry.js', 'serve', '--port', '0', '--token', token, '--tune', '--tuning-log', path.join(workDir, 'tuning.jsonl'),
    '--tune-window-requests', '20', '--tune-window-s', '3', '--concurrency', '2', '--warm-instances', '1', '--slo-ms', '1000',
  ], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Expected the gateway to start within 90 s, got:\n${output}`)), 90_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving .* on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Expected the gateway to keep running, it exited with ${code}:\n${output}`));
    });
  });
  return { child, url };
}

async function stopGateway(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  // A second signal exits at once (src/cli/shutdown.ts) when the drain takes too long.
  const hurry = setTimeout(() => child.kill('SIGTERM'), 20_000);
  await exited;
  clearTimeout(hurry);
}

describe.skipIf(!existsSync(chromiumPath))('the dashboard in chromium', () => {
  beforeAll(async () => {
    ({ child: gateway, url } = await startGateway());
    loadStartMs = performance.now();
    load = runLoadgen({ url, model: 'mobilenetv2', trace, token, maxOutstanding: 200 });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await load?.catch(() => undefined);
    await stopGateway(gateway);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  it('asks for the token, draws every panel with data, shows the tuner changing the configuration', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const elsewhere: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(url) && !request.url().startsWith('data:')) elsewhere.push(request.url());
    });
    await page.goto(`${url}/dashboard`);
    // Without the token the data is refused, and the page asks for it.
    await page.waitForSelector('#token', { state: 'visible' });
    await page.fill('#token-input', token);
    await page.click('#token button');
    await page.waitForSelector('#token', { state: 'hidden' });

    const panels = ['cost', 'latency', 'arrivals', 'batches', 'config', 'decisions'];
    for (const panel of panels) {
      await page.waitForFunction((p) => Number(document.querySelector(`[data-panel="${p}"]`)?.getAttribute('data-points') ?? 0) > 0, panel, { timeout: 90_000, polling: 500 });
      expect(await page.locator(`[data-panel="${panel}"] svg, [data-panel="${panel}"] tr`).count()).toBeGreaterThan(0);
    }
    // The tuner applies its first design point after one window: a second configuration.
    await page.waitForFunction(() => Number(document.querySelector('[data-panel="config"]')?.getAttribute('data-points') ?? 0) >= 2, undefined, { timeout: 90_000, polling: 500 });
    await expect.poll(() => page.locator('[data-panel="decisions"] .kind.applied').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const status = await (await fetch(`${url}/v2/ferry/status`, { headers: { authorization: `Bearer ${token}` } })).json() as {
      models: Array<{ config: { memoryMb: number; batchSize: number; processes: number }; configChanges: unknown[] }>;
    };
    const inForce = status.models[0]!.config;
    expect(status.models[0]!.configChanges.length).toBeGreaterThanOrEqual(2);
    // Within the next poll the chips show what the gateway has in force.
    await expect.poll(() => page.locator('.chips').innerText(), { timeout: 10_000 }).toContain(`${inForce.memoryMb} MB`);

    // The screenshot shows the change of rate, taken while traffic still flows.
    await page.waitForTimeout(Math.max(0, loadStartMs + (traceDurationS - 4) * 1000 - performance.now()));
    await page.screenshot({ path: screenshotFile, fullPage: true });
    await load;

    // The token lives in the page's memory only.
    expect(page.url()).not.toContain(token);
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)).not.toContain(token);
    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
  }, 240_000);
});
