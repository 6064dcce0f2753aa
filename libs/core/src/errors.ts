/** Every error Distributary raises on purpose says what happened and what to do. */
export class DistributaryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad configuration: refuse to start. Names the file, the path and what was expected. */
export class ConfigError extends DistributaryError {
  constructor(
    readonly file: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(`invalid configuration in ${file}:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
  }
}

/** A source shape the tool cannot honour (table without key, unsupported type). */
export class SourceShapeError extends DistributaryError {}

/** The target is unavailable or overloaded; retry with backoff, never drop. */
export class RetryableError extends DistributaryError {}

/** This one event cannot be written (mapping conflict, bad value): dead-letter it and go on. */
export class EventRejectedError extends DistributaryError {}

/** A position commit from an owner whose lease was taken over (stale fencing token). */
export class FencedError extends DistributaryError {}
