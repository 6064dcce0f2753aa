import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { MetricsSample } from '@distributary/admin-contract';
import { ADMIN_SETTINGS, type AdminSettings } from '../admin-settings';
import { RingBuffer } from './ring-buffer';

const HISTORY_SECONDS = 15 * 60;

/** The last 15 minutes of live samples, and the stream of new ones (server-sent events). */
@Injectable()
export class MetricsHistory implements OnModuleDestroy {
  private readonly history: RingBuffer<MetricsSample>;
  private readonly samples = new Subject<MetricsSample>();

  constructor(@Inject(ADMIN_SETTINGS) settings: AdminSettings) {
    this.history = new RingBuffer(Math.ceil((HISTORY_SECONDS * 1000) / settings.sampleIntervalMs));
  }

  push(sample: MetricsSample): void {
    this.history.push(sample);
    this.samples.next(sample);
  }

  last(): MetricsSample | undefined {
    return this.history.last();
  }

  toArray(): MetricsSample[] {
    return this.history.toArray();
  }

  stream(): Observable<MetricsSample> {
    return this.samples.asObservable();
  }

  onModuleDestroy(): void {
    this.samples.complete();
  }
}
