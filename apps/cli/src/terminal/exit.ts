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

export async function exitWhenFlushed(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  // Connections a failed role left open must not keep the process alive once the output is out.
  process.exit(code);
}
