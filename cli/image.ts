// Building and pushing the app's image when `loco deploy` gets no --image: with podman, buildah
// or docker (the first on PATH, or the one --builder / LOCO_BUILDER names), pushed to the
// workspace's repository with the five-minute credential the API issued, kept in a temporary
// auth file that is removed afterwards (the builder's own logins are not touched).
// .dockerignore is the builder's to read; without one, the .gitignore is translated
// (cli/gitignore.ts) and given as --ignorefile (podman, buildah) or as a temporary .dockerignore
// in the context (docker reads no other file).

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { LocoError } from '../generator/errors.ts';
import { dockerignoreFromGitignore } from './gitignore.ts';
import { authsFile, buildCommands, BUILDERS, imageTag, isBuilder, type Builder, type Command } from './image-builders.ts';

const USE_IMAGE = 'deploy a prebuilt image instead: loco deploy --image <registry>/<org>/<workspace>/<app>:<tag>';

export function onPath(command: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

/** The builder --builder / LOCO_BUILDER names, else the first of podman, buildah, docker on PATH (docker only when its daemon answers). */
export function pickBuilder(requested: string | undefined, debug: (line: string) => void = () => {}): Builder {
  if (requested) {
    if (!isBuilder(requested)) throw new LocoError('usage.unknown-builder', `unknown builder ${JSON.stringify(requested)}`, `use one of ${BUILDERS.join(', ')} (--builder or LOCO_BUILDER)`);
    if (!onPath(requested)) throw new LocoError('usage.no-container-engine', `cannot build the image: ${requested} is not installed (not on PATH)`, `install it, pick another builder, or ${USE_IMAGE}`);
    return requested;
  }
  const installed = BUILDERS.filter((b) => onPath(b));
  debug(`builders on PATH: ${installed.join(', ') || 'none'}`);
  for (const builder of installed) {
    if (builder !== 'docker') return builder;
    const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10_000 });
    debug(`docker info → ${probe.status}: ${(probe.stderr || probe.stdout || '').trim()}`);
    if (probe.status === 0) return builder;
    const why = (probe.stderr || probe.error?.message || '').trim().split('\n').pop();
    throw new LocoError('usage.container-engine-down', `cannot build the image: docker is installed but its daemon does not answer${why ? ` (${why})` : ''}`, `start it, install podman or buildah, or ${USE_IMAGE}`);
  }
  throw new LocoError('usage.no-container-engine', 'cannot build the image: none of podman, buildah or docker is installed', USE_IMAGE);
}

/** The short commit of the app's folder when it is a git checkout, else null. */
export function sourceCommit(dir: string): string | null {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

const SUFFIX = 'abcdefghijklmnopqrstuvwxyz0123456789';
export function uniqueTag(dir: string): string {
  return imageTag(sourceCommit(dir), Array.from({ length: 4 }, () => SUFFIX[randomInt(SUFFIX.length)]).join(''));
}

export interface PushCredential {
  registry: string;
  repository: string;
  plainHttp: boolean;
  username: string;
  password: string;
}

export interface BuildRequest {
  builder: Builder;
  contextDir: string;
  /** Absolute path of the Dockerfile or Containerfile. */
  dockerfile: string;
  credential: PushCredential;
  tag: string;
  log: (line: string) => void;
}

/** Builds and pushes; returns `repository:tag@sha256:…` (or repository:tag when the builder reports no digest). */
export async function buildAndPush(req: BuildRequest): Promise<string> {
  if (!existsSync(req.dockerfile)) throw new LocoError('config.no-dockerfile', `no ${req.dockerfile} to build from`, USE_IMAGE);
  const ref = `${req.credential.repository}:${req.tag}`;
  const work = mkdtempSync(join(tmpdir(), 'loco-build-'));
  const cleanups: (() => void)[] = [() => rmSync(work, { recursive: true, force: true })];
  const cleanup = () => { for (const c of cleanups.splice(0).reverse()) { try { c(); } catch { /* already gone */ } } };
  process.once('exit', cleanup);
  try {
    const authFile = join(work, 'config.json');
    writeFileSync(authFile, authsFile(req.credential.registry, req.credential.username, req.credential.password), { mode: 0o600 });
    const ignoreFile = gitignoreFallback(req, work, cleanups);
    const digestFile = join(work, 'digest');
    const commands = buildCommands({ builder: req.builder, ref, dockerfile: req.dockerfile, contextDir: req.contextDir, ...(ignoreFile ? { ignoreFile } : {}), authFile, dockerConfigDir: work, digestFile, plainHttp: req.credential.plainHttp });
    await run(commands.build, req.log);
    await run(commands.push, req.log);
    const digest = existsSync(digestFile) ? readFileSync(digestFile, 'utf8').trim() : dockerDigest(ref, req.credential.repository);
    return /^sha256:[0-9a-f]{64}$/.test(digest) ? `${ref}@${digest}` : ref;
  } finally {
    cleanup();
    process.off('exit', cleanup);
  }
}

/**
 * No .dockerignore (nor podman's .containerignore) but a .gitignore: podman and buildah get the
 * translation as --ignorefile; docker gets it as a temporary .dockerignore, created only if none
 * exists (never overwriting) and removed after the build.
 */
function gitignoreFallback(req: BuildRequest, work: string, cleanups: (() => void)[]): string | undefined {
  const own = ['.dockerignore', ...(req.builder === 'docker' ? [] : ['.containerignore'])];
  if (own.some((f) => existsSync(join(req.contextDir, f)))) return undefined;
  const gitignore = join(req.contextDir, '.gitignore');
  if (!existsSync(gitignore)) return undefined;
  const translated = dockerignoreFromGitignore(readFileSync(gitignore, 'utf8'));
  req.log(`no .dockerignore: honouring .gitignore`);
  if (req.builder !== 'docker') {
    const file = join(work, 'ignore');
    writeFileSync(file, translated);
    return file;
  }
  const temporary = join(req.contextDir, '.dockerignore');
  writeFileSync(temporary, `${translated}.dockerignore\n`, { flag: 'wx' });
  cleanups.push(() => unlinkSync(temporary));
  return undefined;
}

/** docker push reports no digest file: read the pushed repository's digest from the image. */
function dockerDigest(ref: string, repository: string): string {
  const inspect = spawnSync('docker', ['image', 'inspect', '--format', '{{json .RepoDigests}}', ref], { encoding: 'utf8' });
  if (inspect.status !== 0) return '';
  try {
    const digests = JSON.parse(inspect.stdout) as string[];
    return digests.find((d) => d.startsWith(`${repository}@`))?.split('@')[1] ?? '';
  } catch {
    return '';
  }
}

function run(cmd: Command, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...cmd.env } });
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
    child.on('error', (error) => reject(new LocoError('build.failed', `${cmd.command} could not start: ${error.message}`, USE_IMAGE)));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const push = cmd.args[0] === 'push';
      reject(new LocoError('build.failed', `${cmd.command} ${cmd.args[0]} failed (exit ${code}):\n${tail.join('\n')}`,
        push ? 'the registry refused the push: check that it sends its token requests to this Loco (docs/registry-tokens.md), or ' + USE_IMAGE : 'fix the build, or ' + USE_IMAGE));
    });
  });
}
