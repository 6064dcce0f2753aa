/** Lets timers and I/O run (lease renewal, status) in the middle of long synchronous-ish work. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Documents built between two yields: a few ms of CPU on an idle machine. */
export const DOCS_PER_YIELD = 100;
