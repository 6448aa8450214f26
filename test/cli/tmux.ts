// Drives the real `loco` in a real terminal: a private tmux server runs one command in a pane
// that stays after the command exits; the test waits on a tmux channel the command signals
// (no sleeps), then reads the screen with its colour escapes.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

export interface TtyRun {
  screen: string;
  exitCode: number;
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function runInTmux(argv: string[], env: Record<string, string>, cwd: string): TtyRun {
  const socket = `loco-test-${randomBytes(4).toString('hex')}`;
  const channel = `done-${socket}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`).join(' ');
  const command = `cd ${quote(cwd)} && env -u NO_COLOR -u CI ${envArgs} ${argv.map(quote).join(' ')}; echo "EXIT=$?"; tmux -L ${socket} wait-for -S ${channel}; exec cat`; // cat keeps the pane (and its screen) until kill-server
  try {
    tmux('new-session', '-d', '-s', 'loco', '-x', '160', '-y', '50', 'sh', '-c', command);
    tmux('wait-for', channel);
    const screen = tmux('capture-pane', '-p', '-e', '-J', '-S', '-', '-t', 'loco');
    const exitCode = Number(/EXIT=(\d+)/.exec(screen)?.[1] ?? -1);
    return { screen, exitCode };
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  }
}

export interface TypingStep {
  /** Text the screen shows before the keys are typed (e.g. a prompt). */
  after: string;
  /** Keys typed literally, then Enter. */
  type: string;
}

/**
 * Runs a command in a real terminal and types into it as a person would: each step waits until
 * the command has written `after` (read from tmux control mode's %output stream, an event per
 * write, so no polling), then types the keys and Enter. Resolves with the screen at the end.
 */
export async function typeInTmux(argv: string[], env: Record<string, string>, cwd: string, steps: TypingStep[]): Promise<TtyRun> {
  const socket = `loco-test-${randomBytes(4).toString('hex')}`;
  const go = `go-${socket}`;
  const channel = `done-${socket}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`).join(' ');
  // The command starts only once the control client listens, so no output is written unseen.
  const command = `tmux -L ${socket} wait-for ${go}; cd ${quote(cwd)} && env -u NO_COLOR -u CI ${envArgs} ${argv.map(quote).join(' ')}; echo "EXIT=$?"; tmux -L ${socket} wait-for -S ${channel}; exec cat`;
  let control: ReturnType<typeof spawn> | undefined;
  try {
    tmux('new-session', '-d', '-s', 'loco', '-x', '160', '-y', '50', 'sh', '-c', command);
    control = spawn('tmux', ['-L', socket, '-f', '/dev/null', '-C', 'attach', '-t', 'loco'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let seen = '';
    const waiters: { text: string; resolve: () => void }[] = [];
    control.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      for (const w of [...waiters]) if (seen.includes(w.text)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
    });
    const shown = (text: string) => new Promise<void>((resolve) => { if (seen.includes(text)) resolve(); else waiters.push({ text, resolve }); });
    await shown('%session-changed'); // attached: the control client now sees every write
    tmux('wait-for', '-S', go);
    for (const step of steps) {
      await shown(step.after);
      seen = '';
      tmux('send-keys', '-t', 'loco', '-l', step.type);
      tmux('send-keys', '-t', 'loco', 'Enter');
    }
    execFileSync('tmux', ['-L', socket, 'wait-for', channel]);
    const screen = tmux('capture-pane', '-p', '-e', '-J', '-S', '-', '-t', 'loco');
    const exitCode = Number(/EXIT=(\d+)/.exec(screen)?.[1] ?? -1);
    return { screen, exitCode };
  } finally {
    control?.kill();
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  }
}
