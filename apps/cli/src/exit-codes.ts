/** Process exit codes of the CLI. */
export const EXIT_OK = 0;
/** Invalid configuration, a failed check, an unreachable dependency. */
export const EXIT_FAILURE = 1;
/** The command exists but this build has no implementation behind it. */
export const EXIT_NOT_AVAILABLE = 2;

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
