/** Process exit codes of the CLI. */
export const EXIT_OK = 0;
/** A failed check, an unreachable dependency at run time, a role that failed. */
export const EXIT_FAILURE = 1;
/** A refused configuration (file, path, expectation), including a failed preflight before `run`
 * creates anything. */
export const EXIT_INVALID_CONFIG = 2;
/** The command exists but this build has no implementation behind it. */
export const EXIT_NOT_AVAILABLE = 3;

/** A command (or part of one) that has nothing behind it yet: never pretend success. */
export class NotAvailableError extends Error {
  constructor(readonly what: string) {
    super(`not available in this build: ${what}`);
  }
}

/** A command that finished with a non-zero exit code and has already said why. */
export class ExitError extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
  }
}
