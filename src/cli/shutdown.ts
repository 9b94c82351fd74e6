/**
 * Runs `stop` once on SIGINT or SIGTERM, then exits: every child process (instances and
 * their workers) is reaped before the command ends. A second signal exits at once.
 */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error(`ferry: ${signal}, shutting down`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`ferry: shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
