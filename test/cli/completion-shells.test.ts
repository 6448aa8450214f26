// Completions under the real shells, each through its own completion entry point, with the
// script `loco completion <shell>` prints installed the way its header says and the real
// `loco` on PATH: bash through `complete -p` with COMP_LINE/COMP_WORDS set, zsh typing TAB in
// an interactive shell on a pseudo-terminal (zpty; the script autoloaded from $fpath, so the
// first TAB is the first call), fish through `complete -C`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, root, tempDir } from './harness.ts';

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;

/** A folder with `loco` on PATH, an app folder (loco.toml with profiles useast1 and euwest1, a Dockerfile, src/). */
function workspace(shell: string) {
  const dir = tempDir(`complete-${shell}`);
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'loco'), `#!/bin/sh\nexec '${process.execPath}' '${bin}' "$@"\n`);
  chmodSync(join(binDir, 'loco'), 0o755);
  const app = join(dir, 'app');
  mkdirSync(join(app, 'src'), { recursive: true });
  copyFileSync(join(root, 'examples/loco01-regions/loco.toml'), join(app, 'loco.toml'));
  writeFileSync(join(app, 'Dockerfile'), 'FROM scratch\n');
  const loco = spawnSync(join(binDir, 'loco'), ['completion', shell], { encoding: 'utf8' });
  assert.equal(loco.status, 0, loco.stderr);
  const env = { PATH: `${binDir}:/usr/bin:/bin`, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), TERM: 'xterm' };
  return { dir, app, script: loco.stdout, env };
}

/** `== <line>` headers, each followed by that line's candidates. */
function answers(output: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of output.split('\n')) {
    const header = /^== (.*)$/.exec(line);
    if (header) map.set(header[1], (current = []));
    else if (line !== '') current.push(line.split('\t')[0]);
  }
  return map;
}

// bash-completion's own word splitting when the package is there, the script's fallback always.
const bashCompletion = ['/usr/share/bash-completion/bash_completion'].find((f) => existsSync(f));
for (const withPackage of bashCompletion ? [false, true] : [false]) {
  test(`bash${withPackage ? ' with bash-completion' : ''}: commands, subcommands, flags anywhere, option values, files only where a file goes`, { skip: !has('bash') && 'bash is not installed' }, () => {
    const { dir, app, script, env } = workspace('bash');
    writeFileSync(join(dir, 'loco.bash'), script);
    const driver = `${withPackage ? `source '${bashCompletion}'` : ''}
  source "$1"; shift
  fn=$(complete -p loco | sed -E 's/.*-F ([^ ]+).*/\\1/')
  for line in "$@"; do
    COMP_LINE="$line"; COMP_POINT=\${#line}
    read -ra COMP_WORDS <<< "$line"; [[ "$line" == *' ' ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
    "$fn" loco "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
    echo "== $line"; printf '%s\\n' "\${COMPREPLY[@]}"
  done`;
    const lines = ['loco aud', 'loco audit ', 'loco workspace l', 'loco members a', 'loco members add rosa --role ', 'loco --api http://127.0.0.1:7420 -o json deploy --prof', 'loco deploy --profile ', 'loco -w acme/shop status --profile eu', 'loco -o ', 'loco validate ', 'loco render --out ', 'loco deploy ', 'loco deploy --image ', 'loco config ', 'loco config upgrade --write '];
    const run = spawnSync('bash', ['--norc', '--noprofile', '-c', driver, 'bash', join(dir, 'loco.bash'), ...lines], { cwd: app, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const got = answers(run.stdout);
    assert.deepEqual(got.get('loco aud'), ['audit']);
    assert.deepEqual(got.get('loco audit '), ['verify']);
    assert.deepEqual(got.get('loco workspace l'), ['list']);
    const twice = spawnSync('bash', ['--norc', '--noprofile', '-c', 'source "$1"; source "$1"', 'bash', join(dir, 'loco.bash')], { env, encoding: 'utf8' });
    assert.equal(twice.stderr, '', 'sourcing the script again (a re-read ~/.bashrc) is quiet');
    assert.deepEqual(got.get('loco members a'), ['add']);
    assert.deepEqual(got.get('loco members add rosa --role '), ['admin', 'deploy', 'read']);
    assert.deepEqual(got.get('loco --api http://127.0.0.1:7420 -o json deploy --prof'), ['--profile'], 'the command is found after global flags with values');
    assert.deepEqual(got.get('loco deploy --profile '), ['useast1', 'euwest1'], 'profiles of the nearest loco.toml');
    assert.deepEqual(got.get('loco -w acme/shop status --profile eu'), ['euwest1']);
    assert.deepEqual(got.get('loco -o '), ['table', 'json']);
    assert.deepEqual(got.get('loco validate ')?.sort(), ['Dockerfile', 'loco.toml', 'src'], 'a path argument lists files');
    assert.deepEqual(got.get('loco render --out '), ['src'], '--out lists folders only');
    assert.deepEqual(got.get('loco deploy '), [], 'deploy takes no file: nothing is listed');
    assert.deepEqual(got.get('loco deploy --image '), [], 'an image reference is not a file');
    assert.deepEqual(got.get('loco config '), ['upgrade']);
    assert.deepEqual(got.get('loco config upgrade --write ')?.sort(), ['Dockerfile', 'loco.toml', 'src'], 'a subcommand\'s path argument lists files');
  });
}

test('zsh: the first TAB completes (script autoloaded from $fpath), and so do subcommands, flags and values', { skip: !has('zsh') && 'zsh is not installed' }, () => {
  const { dir, app, script, env } = workspace('zsh');
  mkdirSync(join(dir, 'functions'));
  writeFileSync(join(dir, 'functions', '_loco'), script);
  // Each line is typed, then TAB, then ^X, bound to a widget printing the edit buffer between
  // markers; zpty -r -m blocks until the markers come back (no sleeps), ^U clears the line.
  const driver = `
zmodload zsh/zpty
zpty -b z zsh -f -i
zpty -w z "PS1='%% '; fpath=(\${(q)1} \$fpath); autoload -Uz compinit; compinit -u -D; cd \${(q)2}"
zpty -w z 'm=@@; show() { print -rn -- "[$m$BUFFER$m]" }; zle -N show; bindkey "^X" show; print -r -- "$m"READY'
zpty -r -m z out '*@@READY*' || exit 3
shift 2
for line in "$@"; do
  zpty -w -n z "$line"$'\\t\\x18'
  zpty -r -m z out '*\\[@@*@@\\]*' || exit 4
  out=\${out##*\\[@@}
  print -r -- "== $line"; print -r -- "\${out%%@@\\]*}"
  zpty -w -n z $'\\x15'
done
zpty -d z`;
  const lines = ['loco aud', 'loco audit v', 'loco members ad', 'loco members add rosa --role ad', 'loco -o json deploy --prof', 'loco deploy --profile use', 'loco -o j', 'loco validate Dock', 'loco deploy Dock'];
  const run = spawnSync('zsh', ['-f', '-c', driver, 'zsh', join(dir, 'functions'), app, ...lines], { env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `zsh driver: ${run.stderr}${run.error ?? ''}`);
  const buffer = (line: string) => answers(run.stdout).get(line)?.join('\n');
  assert.equal(buffer('loco aud'), 'loco audit ', 'the very first TAB completes');
  assert.equal(buffer('loco audit v'), 'loco audit verify ');
  assert.equal(buffer('loco members ad'), 'loco members add ');
  assert.equal(buffer('loco members add rosa --role ad'), 'loco members add rosa --role admin ');
  assert.equal(buffer('loco -o json deploy --prof'), 'loco -o json deploy --profile ');
  assert.equal(buffer('loco deploy --profile use'), 'loco deploy --profile useast1 ');
  assert.equal(buffer('loco -o j'), 'loco -o json ');
  assert.equal(buffer('loco validate Dock'), 'loco validate Dockerfile ', 'a path argument completes files');
  assert.equal(buffer('loco deploy Dock'), 'loco deploy Dock', 'deploy takes no file: TAB adds nothing');
});

test('fish: completions through complete -C, and files stay on where a file goes', { skip: !has('fish') && 'fish is not installed' }, () => {
  const { dir, app, script, env } = workspace('fish');
  writeFileSync(join(dir, 'loco.fish'), script);
  const lines = ['loco aud', 'loco audit ', 'loco members ', 'loco members add rosa --role ', 'loco -o json deploy --prof', 'loco deploy --profile ', 'loco validate ', 'loco deploy ', 'ls Dock'];
  const driver = 'source $argv[1]; for line in $argv[2..-1]; echo "== $line"; complete -C "$line"; end';
  const run = spawnSync('fish', ['--no-config', '-c', driver, join(dir, 'loco.fish'), ...lines], { cwd: app, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  const got = answers(run.stdout);
  assert.deepEqual(got.get('loco aud'), ['audit']);
  assert.deepEqual(got.get('loco audit '), ['verify']);
  assert.deepEqual(got.get('loco members ')?.sort(), ['add', 'invite', 'list', 'remove']);
  assert.deepEqual(got.get('loco members add rosa --role '), ['admin', 'deploy', 'read']);
  assert.deepEqual(got.get('loco -o json deploy --prof'), ['--profile']);
  assert.deepEqual(got.get('loco deploy --profile ')?.sort(), ['euwest1', 'useast1']);
  assert.deepEqual(got.get('loco validate ')?.sort(), ['Dockerfile', 'loco.toml', 'src/'], 'a path argument lists files');
  assert.deepEqual(got.get('loco deploy '), [], 'deploy takes no file');
  assert.deepEqual(got.get('ls Dock'), ['Dockerfile'], 'file completion of other commands is untouched');
});
