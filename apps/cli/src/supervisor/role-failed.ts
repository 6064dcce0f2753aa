/**
 * `run` is all or nothing: a role that fails to start, or ends while the others run, stops the
 * process (after the others drained) with this error, naming the role, why, and what was stopped.
 */
export class RoleFailedError extends Error {
  constructor(role: string, what: string, cause: unknown, stopped: { name: string }[]) {
    const reason = cause === undefined ? 'it ended on its own' : cause instanceof Error ? cause.message : String(cause);
    const others = stopped.filter((r) => r.name !== role).map((r) => r.name);
    super(`the ${role} role ${what}: ${reason}${others.length ? ` (stopped: ${others.join(', ')})` : ''}`, { cause });
  }
}
