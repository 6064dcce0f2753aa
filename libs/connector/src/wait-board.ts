import type { ChangeLog } from '@distributary/changelog';
import type { Logger } from '@distributary/observability';

/** One thing the connector waits for outside its control, in words, and since when (ISO). */
export interface WaitEntry {
  description: string;
  since: string;
}

/**
 * Everything the connector waits for right now, from several reporters (slot creation, the backend
 * lock watcher), published as ONE pair of connector-state fields — `waitingFor` (every wait, '; '
 * separated) and `waitingSince` (the oldest) — which `distributary status` and the admin API's
 * /health/ready read. Logs a warning when a wait begins, again every `repeatMs` while it lasts (with
 * how long), and an info line when it ends.
 */
export class WaitBoard {
  private readonly sources = new Map<string, WaitEntry[]>();
  private readonly lastLogged = new Map<string, number>();
  private written = '';

  constructor(
    private readonly log: ChangeLog,
    private readonly logger: Logger,
    private readonly repeatMs = 30_000,
  ) {}

  /** Replaces what `source` reports ([] = it waits for nothing). */
  async set(source: string, entries: WaitEntry[]): Promise<void> {
    const before = this.sources.get(source) ?? [];
    if (entries.length) this.sources.set(source, entries);
    else this.sources.delete(source);
    const now = Date.now();
    for (const entry of entries) {
      const last = this.lastLogged.get(entry.description);
      if (last === undefined || now - last >= this.repeatMs) {
        this.lastLogged.set(entry.description, now);
        const seconds = Math.round((now - Date.parse(entry.since)) / 1000);
        this.logger.warn({ since: entry.since, waitingSeconds: seconds }, `waiting: ${entry.description}`);
      }
    }
    for (const entry of before)
      if (!entries.some((e) => e.description === entry.description)) {
        this.lastLogged.delete(entry.description);
        this.logger.info(
          { since: entry.since, waitedSeconds: Math.round((now - Date.parse(entry.since)) / 1000) },
          `no longer waiting: ${entry.description}`,
        );
      }
    await this.publish();
  }

  /** Everything reported now, oldest first. */
  entries(): WaitEntry[] {
    return [...this.sources.values()].flat().sort((a, b) => a.since.localeCompare(b.since));
  }

  /** Clears the published fields (a new term starts with nothing reported, whatever a killed one left). */
  async clear(): Promise<void> {
    this.sources.clear();
    this.lastLogged.clear();
    this.written = 'stale';
    await this.publish();
  }

  private async publish(): Promise<void> {
    const all = this.entries();
    const waitingFor = all.map((e) => e.description).join('; ');
    if (waitingFor === this.written) return;
    this.written = waitingFor;
    await this.log.connector
      .write({
        waitingFor,
        waitingSince: all[0]?.since ?? '',
      })
      .catch(() => undefined);
  }
}
