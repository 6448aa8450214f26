// Building and pushing the app's image when `loco deploy` gets no --image: with docker or
// podman, whichever is installed and answers. The engine reads .dockerignore itself, so the
// build context is the app's folder as it is. When no engine answers, say so and suggest --image.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LocoError } from '../generator/errors.ts';

const ENGINES = ['docker', 'podman'] as const;
const USE_IMAGE = 'deploy a prebuilt image instead: loco deploy --image <registry>/<app>:<tag>';

export function onPath(command: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

/** The first installed engine whose daemon answers; otherwise a LocoError saying what was found. */
export function findEngine(debug: (line: string) => void = () => {}): string {
  const installed = ENGINES.filter((e) => onPath(e));
  if (installed.length === 0) {
    throw new LocoError('usage.no-container-engine', 'cannot build the image: neither docker nor podman is installed', USE_IMAGE);
  }
  const silent: string[] = [];
  for (const engine of installed) {
    const probe = spawnSync(engine, ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10_000 });
    debug(`${engine} info → ${probe.status}: ${(probe.stderr || probe.stdout || '').trim()}`);
    if (probe.status === 0) return engine;
    const why = (probe.stderr || probe.error?.message || '').trim().split('\n').pop();
    silent.push(`${engine}${why ? ` (${why})` : ''}`);
  }
  throw new LocoError('usage.container-engine-down', `cannot build the image: ${installed.join(' and ')} ${installed.length > 1 ? 'are' : 'is'} installed but no engine answers: ${silent.join('; ')}`,
    `start the engine, or ${USE_IMAGE}`);
}

export interface BuildRequest {
  engine: string;
  contextDir: string;
  dockerfile: string;
  /** Repository to push to, e.g. registry.example.com/acme/api */
  repository: string;
  tag: string;
  log: (line: string) => void;
}

/** Builds and pushes; returns the pushed reference pinned by digest when the engine reports one. */
export async function buildAndPush(req: BuildRequest): Promise<string> {
  if (!existsSync(join(req.contextDir, req.dockerfile))) {
    throw new LocoError('config.no-dockerfile', `no ${req.dockerfile} in ${req.contextDir} to build from`, USE_IMAGE);
  }
  const ref = `${req.repository}:${req.tag}`;
  await run(req.engine, ['build', '-t', ref, '-f', join(req.contextDir, req.dockerfile), req.contextDir], req.log);
  await run(req.engine, ['push', ref], req.log);
  const inspect = spawnSync(req.engine, ['image', 'inspect', '--format', '{{index .RepoDigests 0}}', ref], { encoding: 'utf8' });
  const pinned = inspect.status === 0 ? inspect.stdout.trim() : '';
  return pinned.includes('@sha256:') ? pinned : ref;
}

function run(command: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        log(line);
        tail.push(line);
        if (tail.length > 15) tail.shift();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new LocoError('build.failed', `${command} ${args[0]} failed (exit ${code}):\n${tail.join('\n')}`, args[0] === 'push' ? `log in to the registry (${command} login) or ${USE_IMAGE}` : 'fix the build, or ' + USE_IMAGE));
    });
  });
}
