/**
 * Ends the process only once everything written to stdout and stderr has left it. `process.exit()`
 * with writes still queued cuts piped output short (at 64 KiB on Linux pipes); an empty write's
 * callback runs after every earlier write on that stream has been handed to the OS.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

/**
 * Sets the exit code and lets the process end on its own once the output is out. Only when something
 * still holds the event loop (a connection a failed role left open) is the process ended after a short
 * grace — by an unref'd timer, which never fires when nothing else is left.
 */
export async function exitWhenFlushed(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  return new Promise<never>(() => undefined);
}

/** How long leftover handles may hold the process after its output has left. */
const EXIT_GRACE_MS = 250;
