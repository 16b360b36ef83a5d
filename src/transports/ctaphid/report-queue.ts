/**
 * Buffers incoming reports for push-style links (TCP socket, in-process
 * virtual key) and serves them through Transport.read(timeoutMs).
 * Once failed, queued reports are still delivered, then every read rejects.
 */
import type { Fido2Error } from '../../errors.js';

interface Waiter {
  resolve: (report: Uint8Array | undefined) => void;
  reject: (error: Fido2Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class ReportQueue {
  private readonly reports: Uint8Array[] = [];
  private readonly waiters: Waiter[] = [];
  private failure: Fido2Error | undefined;

  get failed(): Fido2Error | undefined {
    return this.failure;
  }

  push(report: Uint8Array): void {
    if (this.failure) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.resolve(report);
    } else {
      this.reports.push(report);
    }
  }

  /** Marks the link dead; pending and later reads reject with this error. The first failure wins. */
  fail(error: Fido2Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  read(timeoutMs: number): Promise<Uint8Array | undefined> {
    const next = this.reports.shift();
    if (next) return Promise.resolve(next);
    if (this.failure) return Promise.reject(this.failure);
    if (timeoutMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}
