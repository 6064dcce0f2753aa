/**
 * How long a role's graceful stop may take in `run` (finish the batch in flight, commit, release
 * leases, close connections) before its process is killed. Below Kubernetes' default
 * terminationGracePeriodSeconds (30 s), so a pod's SIGTERM ends in a clean exit.
 */
export const STOP_GRACE_MS = 25_000;
