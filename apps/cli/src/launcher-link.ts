/**
 * `bin/distributary.js` (the `distributary` command) starts the CLI as its child with an IPC channel
 * and DISTRIBUTARY_LAUNCHER=1. Signals reach the CLI through the launcher, but a launcher killed with
 * -9 forwards nothing: without this link a `distributary run` (and its role processes) would go on as
 * an orphan. The channel closing is the one sign that survives kill -9, so it means "stop": SIGTERM to
 * ourselves, the same graceful path as Ctrl-C (a command without a SIGTERM handler simply ends).
 */
export function stopWhenLauncherDies(): void {
  if (process.env.DISTRIBUTARY_LAUNCHER !== '1') return;
  delete process.env.DISTRIBUTARY_LAUNCHER; // not inherited by processes this one starts
  if (!process.send || !process.channel) return;
  process.channel.unref(); // the link must not keep a finished command alive
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
