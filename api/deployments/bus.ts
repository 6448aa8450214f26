// In-process delivery for event followers: appending an event publishes the committed rows to
// everyone following that deployment here, so SSE streams send them at once without a query.
// Events written by another replica are found by one modest poll for all followers (replica-poll.ts).

import { EventEmitter } from 'node:events';
import type { StatusNotice } from '../metrics.ts';
import type { EventJson } from './event-json.ts';

/** Committed events of one deployment (consecutive seqs, maybe none) and where the deployment stood after them. */
export interface EventNotice {
  events: EventJson[];
  finished: boolean;
  lastSeq: number;
}

/** Too far behind: a stream that has not taken this many notices reads the database instead. */
const MAX_QUEUED = 100;

/** One stream's subscription; notices that arrive while the stream is busy (a read, a write) wait in order. */
export class Follower {
  readonly #queue: (EventNotice | undefined)[] = [];
  #wake: (() => void) | undefined;
  readonly #signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.#signal = signal;
  }

  /** Called by the bus; `undefined` is a bare wake-up (the events must be read). */
  deliver(notice: EventNotice | undefined): void {
    if (this.#queue.length >= MAX_QUEUED) this.#queue.splice(0, this.#queue.length, undefined);
    else this.#queue.push(notice);
    this.#wake?.();
  }

  /**
   * The next notice (waiting for one), or undefined when the follower must read the database:
   * a bare wake-up, or the stream went away.
   */
  async next(): Promise<EventNotice | undefined> {
    if (this.#queue.length === 0 && !this.#signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#signal.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        this.#signal.addEventListener('abort', done, { once: true });
        this.#wake = done;
      });
    }
    return this.#queue.shift();
  }
}

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

  /** Something changed, rows not at hand: followers read the database. */
  notify(deploymentId: string): void {
    this.#emitter.emit(deploymentId, undefined);
  }

  /** Committed events (never ones a transaction could still roll back): followers send them as they are. */
  publish(deploymentId: string, notice: EventNotice): void {
    this.#emitter.emit(deploymentId, notice);
  }

  /** Subscribes a stream until `signal` aborts (the stream ends or its client leaves). */
  follow(deploymentId: string, signal: AbortSignal): Follower {
    const follower = new Follower(signal);
    const listener = (notice: EventNotice | undefined) => follower.deliver(notice);
    this.#emitter.on(deploymentId, listener);
    const stop = () => this.#emitter.off(deploymentId, listener);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    return follower;
  }

  /** The deployments someone here follows or waits on. */
  followed(): string[] {
    return this.#emitter.eventNames().filter((name): name is string => typeof name === 'string');
  }

  /** How many follow or wait on the deployment (tests check streams let go). */
  listeners(deploymentId: string): number {
    return this.#emitter.listenerCount(deploymentId);
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
