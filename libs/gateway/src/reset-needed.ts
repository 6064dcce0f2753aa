/**
 * Thrown inside a subscriber when the log cannot be joined with its client's rows any more (a
 * TRUNCATE, a resume the log no longer holds, a top-N window that overflowed its queue or starved
 * too often): the stream sends `reset` and a fresh initial state.
 */
export class ResetNeeded extends Error {}
