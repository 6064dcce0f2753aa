/**
 * Buffers of answered append calls, kept for the next calls: a steady stream of appends reuses the
 * same few buffers instead of leaving one per call to the garbage collector (buffers are freed only
 * when a GC finds them; under load that let tens of MiB of them pile up). Bounded in count and bytes.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly maxBuffers = 64,
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {}

  /** A buffer of at least `size` bytes (recycled when one is free, with unspecified content). */
  take(size: number): Buffer {
    while (this.free.length > 0) {
      const buffer = this.free.pop() as Buffer;
      this.bytes -= buffer.length;
      if (buffer.length >= size) return buffer;
    }
    return Buffer.allocUnsafe(size);
  }

  /** Hands a buffer back; nobody may use it afterwards. */
  give(buffer: Buffer): void {
    if (this.free.length >= this.maxBuffers || this.bytes + buffer.length > this.maxBytes) return;
    this.free.push(buffer);
    this.bytes += buffer.length;
  }

  get size(): { buffers: number; bytes: number } {
    return { buffers: this.free.length, bytes: this.bytes };
  }
}
