// In-process wake-ups for event followers: appending an event notifies everyone following that
// deployment here, so SSE streams react at once instead of polling. Events written by another
// replica are picked up by the followers' modest fallback poll.

import { EventEmitter } from 'node:events';
import type { StatusNotice } from '../metrics.ts';

export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  readonly #statusListeners: ((notice: StatusNotice) => void)[] = [];

  /** A committed status change (metrics count them); listeners must not throw. */
  statusChanged(notice: StatusNotice): void {
    for (const listener of this.#statusListeners) listener(notice);
  }

  onStatusChange(listener: (notice: StatusNotice) => void): void {
    this.#statusListeners.push(listener);
  }

  offStatusChange(listener: (notice: StatusNotice) => void): void {
    const i = this.#statusListeners.indexOf(listener);
    if (i >= 0) this.#statusListeners.splice(i, 1);
  }

  notify(deploymentId: string): void {
    this.#emitter.emit(deploymentId);
  }

  /** Resolves on the next notification for the deployment, after `fallbackMs`, or on abort. */
  wait(deploymentId: string, fallbackMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#emitter.off(deploymentId, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, fallbackMs);
      timer.unref();
      this.#emitter.on(deploymentId, done);
      signal?.addEventListener('abort', done, { once: true });
      if (signal?.aborted) done();
    });
  }
}
