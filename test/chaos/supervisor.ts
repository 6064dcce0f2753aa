/**
 * Keeps one process in each slot (the connector, worker 1..n) like a process manager would: a process
 * the chaos run kill -9's is restarted after a short random delay; one that exits on its own is
 * restarted too, and counted as a crash (with its last output kept for the report).
 */
import type { Pipeline } from '../harness/pipeline';
import type { RoleName, RoleProcess } from '../harness/role-process';
import type { Random } from './random';

interface Slot {
  role: RoleName;
  process: RoleProcess;
  restartAt?: number;
  /** Stopped on purpose and not restarted until release() (e.g. while the slot is being lost). */
  held?: boolean;
}

export class Supervisor {
  kills = 0;
  crashes: { label: string; output: string }[] = [];
  private readonly slots: Slot[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly random: Random,
  ) {}

  add(role: RoleName): RoleProcess {
    const process = this.pipeline.start(role);
    this.slots.push({ role, process });
    return process;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), 200);
  }

  /** kill -9 a random live process; it is restarted 0–1.5 s later. */
  async killRandom(): Promise<string | undefined> {
    const live = this.slots.filter((s) => s.process.alive && s.restartAt === undefined);
    if (live.length === 0) return undefined;
    const slot = this.random.pick(live);
    slot.restartAt = Date.now() + this.random.int(0, 1500);
    await slot.process.kill9();
    this.kills++;
    return slot.process.label;
  }

  /** Stops every process of `role` (SIGTERM) and keeps it down until release(). */
  async hold(role: RoleName): Promise<void> {
    const held = this.slots.filter((s) => s.role === role);
    for (const slot of held) {
      slot.held = true;
      slot.restartAt = 0; // a planned stop, not a crash: restarted as soon as released
    }
    await Promise.all(held.map((s) => s.process.stop()));
  }

  release(role: RoleName): void {
    for (const slot of this.slots) if (slot.role === role) slot.held = false;
  }

  private tick(): void {
    const now = Date.now();
    for (const slot of this.slots) {
      if (slot.process.alive || slot.held) continue;
      if (slot.restartAt === undefined) {
        this.crashes.push({ label: slot.process.label, output: slot.process.output.slice(-3000) });
        slot.restartAt = now + 500;
      }
      if (now >= slot.restartAt) {
        slot.restartAt = undefined;
        slot.process = this.pipeline.start(slot.role);
      }
    }
  }

  /** Every slot gets a live process again now (for the drain); supervision goes on. */
  settle(): void {
    for (const slot of this.slots) {
      slot.held = false;
      if (!slot.process.alive) {
        if (slot.restartAt === undefined)
          this.crashes.push({ label: slot.process.label, output: slot.process.output.slice(-3000) });
        slot.restartAt = undefined;
        slot.process = this.pipeline.start(slot.role);
      }
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
