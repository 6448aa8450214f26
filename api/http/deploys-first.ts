// Deploy requests before event-stream starts. Every `loco deploy` sends its deploy, then opens
// the deployment's event stream; in a burst (CI fanning out, 200 at once) the streams' first
// reads interleave with the deploys still waiting for their 202 on the one event loop, and
// stretch them. What a deploy must answer is that its record is durable; a stream's first frame
// says "pending", which its 202 already said. So a stream starts once no deploy request is being
// answered and none arrived for QUIET_MS (on the embedded database a burst's deploys are answered
// one after the other, so "none in flight" alone comes true between any two of them), and after
// MAX_WAIT_MS in any case, so a steady flow of deploys cannot hold streams back for longer. The
// stream subscribes before it waits (routes/events.ts), so it misses no event.

import type { Clock } from '../argocd/clock.ts';

/** How long after the last deploy request arrived a stream start waits. */
export const QUIET_MS = 20;
/** The longest a stream start waits for deploy requests. */
export const MAX_WAIT_MS = 1000;

export class DeploysFirst {
  readonly #clock: Clock;
  #answering = 0;
  #lastArrival = Number.NEGATIVE_INFINITY;
  /** Waiting stream starts, woken to look again when the last deploy in flight is answered. */
  #waiting = new Set<() => void>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** A deploy request arrived; call what it returns when it has been answered (or its client left). */
  begin(): () => void {
    this.#answering++;
    this.#lastArrival = this.#clock.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.#answering === 0) for (const look of [...this.#waiting]) look();
    };
  }

  /** How many deploy requests are being answered now. */
  get answering(): number {
    return this.#answering;
  }

  /** Resolves when deploy requests are quiet (see the top of this file), after MAX_WAIT_MS, or when `signal` aborts. */
  turn(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || this.#quietFor() >= QUIET_MS) return Promise.resolve();
    return new Promise((resolve) => {
      let recheck: unknown;
      const go = () => {
        this.#clock.clearTimeout(deadline);
        if (recheck !== undefined) this.#clock.clearTimeout(recheck);
        signal?.removeEventListener('abort', go);
        this.#waiting.delete(look);
        resolve();
      };
      const look = () => {
        if (recheck !== undefined) this.#clock.clearTimeout(recheck);
        recheck = undefined;
        const quiet = this.#quietFor();
        if (quiet >= QUIET_MS) return go();
        // none in flight, but one arrived less than QUIET_MS ago: look again when that has passed
        if (this.#answering === 0) recheck = this.#clock.setTimeout(look, QUIET_MS - quiet);
      };
      const deadline = this.#clock.setTimeout(go, MAX_WAIT_MS);
      signal?.addEventListener('abort', go, { once: true });
      this.#waiting.add(look);
      look();
    });
  }

  /** Milliseconds since the last deploy request arrived, or 0 while one is being answered. */
  #quietFor(): number {
    return this.#answering > 0 ? 0 : this.#clock.now() - this.#lastArrival;
  }
}
