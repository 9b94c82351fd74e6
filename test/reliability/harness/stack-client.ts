import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackCommand, StackConfig, StackStats } from './protocol.js';

export const outDir = fileURLToPath(new URL('../../../out/reliability/', import.meta.url));

/** The parent's handle on a stack process: its URL and pid, and its commands. */
export class Stack {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  exited: { code: number | null; signal: string | null } | undefined;

  private constructor(
    readonly url: string,
    readonly pid: number,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    child.on('message', (raw) => {
      const message = raw as { id?: number; result?: unknown; error?: string };
      if (message.id === undefined) return;
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
    });
    child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`the stack exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  /** Starts a stack and waits until it serves (instances warm). Its output goes to out/reliability/NAME.log. */
  static async start(name: string, config: StackConfig): Promise<Stack> {
    mkdirSync(outDir, { recursive: true });
    const logFile = path.join(outDir, `${name}.log`);
    const log = createWriteStream(logFile);
    const child = fork(fileURLToPath(new URL('./stack-main.ts', import.meta.url)), [JSON.stringify(config)], {
      execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json',
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stack did not start within 120 s (see ${logFile})`)), 120_000);
      child.on('message', (raw) => {
        const message = raw as { type?: string; url: string; pid: number };
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        resolve(message);
      });
      child.once('exit', (code) => reject(new Error(`the stack exited with ${code} while starting (see ${logFile})`)));
    });
    return new Stack(ready.url, ready.pid, child, logFile);
  }

  command<T>(command: StackCommand): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.exited) return reject(new Error('the stack has exited'));
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, command });
    });
  }

  stats(): Promise<StackStats> {
    return this.command<StackStats>({ cmd: 'stats' });
  }

  /** Waits until every accepted request is answered (or `timeoutMs` passes); returns the stats then. */
  async quiesce(timeoutMs = 60_000): Promise<StackStats> {
    const deadline = performance.now() + timeoutMs;
    let stats = await this.stats();
    while ((stats.pending > 0 || stats.queueDepth > 0 || stats.holdsRunning > 0) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stats = await this.stats();
    }
    return stats;
  }

  /** Drains (every accepted request answered), stops every instance, and waits for the process to end. */
  async stop(): Promise<StackStats | undefined> {
    if (this.exited) return undefined;
    const final = await this.command<StackStats>({ cmd: 'drain' }).catch(() => undefined);
    await new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return final;
  }
}
