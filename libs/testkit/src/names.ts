import { randomBytes } from 'node:crypto';

/** A name unique to this test run, safe as a Postgres identifier, slot name, Redis prefix or ES index. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase();
}
