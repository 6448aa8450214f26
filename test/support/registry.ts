// A real OCI registry for tests: Debian's docker-registry (distribution v2) on loopback, port 0,
// storage in a temp dir, deletion enabled; images pushed to it with skopeo from OCI layouts the
// test writes itself (random layer bytes of a chosen size, a config, a manifest, optionally an
// index of several platforms).

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestRegistry {
  /** host:port */
  host: string;
  close(): Promise<void>;
}

/** Starts docker-registry with `extraConfig` YAML appended (e.g. an auth section); resolves once it listens. */
export async function startRegistry(extraConfig = ''): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'loco-registry-'));
  const config = join(dir, 'config.yml');
  await writeFile(config, [
    'version: 0.1',
    'log: {level: info, formatter: text}',
    'storage:',
    `  filesystem: {rootdirectory: ${join(dir, 'data')}}`,
    '  delete: {enabled: true}',
    'http:',
    '  addr: 127.0.0.1:0',
    `  secret: ${randomBytes(16).toString('hex')}`,
    extraConfig,
  ].join('\n'));
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const host = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /listening on ([0-9.]+:\d+)/.exec(seen);
      if (m) resolve(m[1]);
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`docker-registry exited (${code}) before listening:\n${seen}`)));
    child.once('error', reject);
  });
  return {
    host,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function blob(dir: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
  const hex = sha(bytes);
  await writeFile(join(dir, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

async function imageManifest(dir: string, layerBytes: number, arch: string): Promise<{ digest: string; size: number; layer: string }> {
  const layer = await blob(dir, randomBytes(layerBytes));
  const config = await blob(dir, Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} })));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  }));
  return { ...(await blob(dir, manifest)), layer: layer.digest };
}

export interface PushedImage {
  /** The digest the registry serves for the tag (the index's for a multi-platform image). */
  digest: string;
  /** Per architecture: the image manifest's digest. */
  platforms: Record<string, string>;
}

/**
 * Writes an OCI layout and copies it to `registry/repository:tag` with skopeo. One architecture
 * gives a plain image manifest; several give an image index.
 */
export async function pushImage(registry: TestRegistry, repository: string, tag: string, options: { layerBytes?: number; architectures?: string[]; creds?: string } = {}): Promise<PushedImage> {
  const dir = await mkdtemp(join(tmpdir(), 'loco-oci-'));
  try {
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const archs = options.architectures ?? ['amd64'];
    const platforms: Record<string, string> = {};
    const manifests = [];
    for (const arch of archs) {
      const m = await imageManifest(dir, options.layerBytes ?? 4096, arch);
      platforms[arch] = m.digest;
      manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: m.digest, size: m.size, platform: { os: 'linux', architecture: arch } });
    }
    let top: { mediaType: string; digest: string; size: number };
    if (archs.length === 1) {
      top = { mediaType: manifests[0].mediaType, digest: manifests[0].digest, size: manifests[0].size };
    } else {
      const index = await blob(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })));
      top = { mediaType: 'application/vnd.oci.image.index.v1+json', ...index };
    }
    await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
    await run('skopeo', ['copy', '--quiet', '--all', '--preserve-digests', '--dest-tls-verify=false', ...(options.creds ? ['--dest-creds', options.creds] : []), `oci:${dir}:${tag}`, `docker://${registry.host}/${repository}:${tag}`], { timeout: 120_000 });
    return { digest: top.digest, platforms };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
