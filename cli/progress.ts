// How a running deployment is shown. On a TTY: named phases (`==> Rendering`,
// `==> Committed abc1234`, `==> Waiting for Argo CD: 1/3 pods ready`) with a spinner and the
// elapsed time on the current one. Elsewhere (pipes, CI, --non-interactive): one plain,
// timestamped line per event, nothing redrawn.

import kleur from 'kleur';
import type { DeploymentEvent } from '../api/client/index.ts';
import { formatDuration } from './duration.ts';

export interface ProgressView {
  /** A step the CLI itself performs (validating, building). */
  phase(text: string): void;
  /** A plain line of output (the deployment id) that must not collide with the spinner. */
  line(text: string): void;
  event(event: DeploymentEvent): void;
  note(text: string): void;
  stop(): void;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The phase line of an event, as the TTY view shows it (event types from the API's runner and tracker). */
export function phaseText(e: DeploymentEvent): string {
  const commit = typeof e.data?.commit === 'string' ? e.data.commit.slice(0, 7) : /\b([0-9a-f]{7})\b/.exec(e.message)?.[1];
  switch (e.type) {
    case 'pending':
      return 'Rendering';
    case 'rendered':
      return cap(e.message);
    case 'committed':
      return commit ? `Committed ${commit}` : cap(e.message);
    case 'syncing':
    case 'progressing':
    case 'progress':
    case 'waiting':
    case 'health-flap':
      return `Waiting for Argo CD: ${e.message}`;
    case 'cause':
      return `Cause: ${e.message}`;
    case 'warning':
      // e.g. a key a 0.1 loco.toml carries that Loco ignores (the deploy goes on)
      return `Warning: ${e.message}`;
    case 'argocd-unreachable':
      return `Argo CD unreachable: ${e.message}`;
    case 'succeeded':
      return `Succeeded: ${e.message}`;
    case 'failed':
      return `Failed: ${e.message}`;
    default:
      return cap(e.message || e.type);
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function createProgressView(stream: NodeJS.WriteStream, live: boolean): ProgressView {
  if (!live) {
    // An event carries the time it happened (a replay of old events must not show today's).
    const line = (type: string, text: string, time = new Date().toISOString()) => stream.write(`${time} ${type.padEnd(11)} ${text}\n`);
    return {
      phase: (text) => line('loco', text),
      line: (text) => stream.write(text + '\n'),
      event: (e) => line(e.type, e.message, e.time),
      note: (text) => line('note', text),
      stop: () => {},
    };
  }
  // The spinner line under the last phase shows time in that phase and in total.
  let current: string | undefined;
  let since = Date.now();
  const started = Date.now();
  let frame = 0;
  const draw = () => {
    if (!current) return;
    frame = (frame + 1) % SPINNER.length;
    const now = Date.now();
    stream.write(`\r\x1b[K    ${kleur.cyan(SPINNER[frame])} ${kleur.dim(`${formatDuration(now - since)} (total ${formatDuration(now - started)})`)}`);
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  const clear = () => {
    if (current) stream.write('\r\x1b[K');
  };
  const print = (text: string, paint: (s: string) => string = kleur.blue) => {
    clear();
    stream.write(`${paint('==>')} ${kleur.bold(text)}\n`);
    current = text;
    since = Date.now();
    draw();
  };
  return {
    phase: (text) => print(text),
    line: (text) => {
      clear();
      stream.write(text + '\n');
      draw();
    },
    event: (e) => print(phaseText(e), e.type === 'failed' || e.type === 'cause' ? kleur.red : e.type === 'succeeded' ? kleur.green : e.type === 'warning' ? kleur.yellow : kleur.blue),
    note: (text) => {
      clear();
      stream.write(`    ${kleur.dim(text)}\n`);
      draw();
    },
    stop: () => {
      clearInterval(timer);
      clear();
      current = undefined;
    },
  };
}
