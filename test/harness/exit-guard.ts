/**
 * Last-resort cleanup when a harness process dies abruptly (an exception, Ctrl-C): synchronous
 * handlers run on 'exit' to kill the child processes and throwaway servers it started, so nothing
 * it owns keeps running. Normal runs clean up properly before getting here.
 */
const handlers = new Set<() => void>();
let installed = false;

export function onAbruptExit(handler: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', () => {
      for (const h of handlers) {
        try {
          h();
        } catch {
          // keep going: every handler gets its chance
        }
      }
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => process.exit(130));
    }
  }
  handlers.add(handler);
  return () => handlers.delete(handler);
}
