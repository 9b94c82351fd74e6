import cliProgress from 'cli-progress';

/**
 * A progress bar on a terminal (stderr), nothing when stderr is piped, so JSON on stdout
 * stays clean either way.
 */
export function progressBar(title: string): { update(done: number, total: number, label: string): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${title} [{bar}] {value}/{total} {label} | eta {eta_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (done, total, label) => {
      if (!started) {
        bar.start(total, done, { label });
        started = true;
      } else bar.update(done, { label });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
