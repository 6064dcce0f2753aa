/**
 * Calls an application callback so that an exception it throws is reported (rethrown in a
 * microtask of its own), never allowed to break the stream.
 */
export function safeCall<A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A): void {
  if (!callback) return;
  try {
    callback(...args);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
