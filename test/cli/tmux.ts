// Drives the real `loco` in a real terminal: a private tmux server runs one command in a pane
// that stays after the command exits; the test waits on a tmux channel the command signals
// (no sleeps), then reads the screen with its colour escapes.

import { execFileSync, spawnSync } from 'node:child_process';
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
