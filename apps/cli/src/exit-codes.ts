/** Process exit codes of the CLI. */
export const EXIT_OK = 0;
/** A failed check, an unreachable dependency at run time, a role that failed. */
export const EXIT_FAILURE = 1;
/** A refused configuration (file, path, expectation), including a failed preflight before `run`
 * creates anything. */
export const EXIT_INVALID_CONFIG = 2;

/** A command that finished with a non-zero exit code and has already said why. */
export class ExitError extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
  }
}
