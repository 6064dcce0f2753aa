import type { RoleName } from '../roles/role';

/**
 * Node/V8 flags a role's process is started with. A sink worker allocates a batch's events, documents
 * and bulk bodies that live for one Elasticsearch round trip: with V8's default young generation
 * (16 MiB semi-spaces) much of it survives a scavenge and is copied, then promoted, and GC took ~25 %
 * of the worker's CPU in figure 3. Larger semi-spaces let it die young (figure 3, worker CPU per
 * document, test/bench/README.md), for a larger young generation (up to twice the size, per process).
 * V8 reads the size only when the process starts, so it is a launch flag: the supervisor's forks
 * (fork-options.ts), the bench harness and the Helm chart (`worker.nodeOptions`) use this one value.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/** The flags for `role`, minus any whose name the launching process already set (it wins). */
export function roleNodeFlags(role: RoleName | undefined, given: readonly string[] = []): string[] {
  if (role !== 'worker') return [];
  const set = new Set(given.map((flag) => flag.split('=')[0].replace(/_/g, '-')));
  return WORKER_NODE_FLAGS.filter((flag) => !set.has(flag.split('=')[0]));
}
