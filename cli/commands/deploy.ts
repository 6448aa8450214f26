// loco deploy: validate loco.toml locally, get an image (given, or built and pushed), ask the
// API for a deployment, print its id at once and follow it to the outcome.

import { randomUUID } from 'node:crypto';
import { dirname, relative, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { LocoError } from '../../generator/errors.ts';
import type { Action } from '../action.ts';
import { buildSettings, envFileFor, loadConfig, pickProfile, warningLines } from '../app-config.ts';
import { createView, followDeployment, waitOptions } from '../follow.ts';
import { buildAndPush, findEngine } from '../image.ts';

export const deploy: Action = async (ctx, _args, flags) => {
  const wait = waitOptions(flags);
  const view = createView(ctx);
  try {
    const loaded = await loadConfig(typeof flags.config === 'string' ? flags.config : undefined);
    const profile = pickProfile(flags.profile, loaded.profiles, 'deploy', loaded.config.defaultProfile);
    const envFile = await envFileFor(loaded, profile);
    process.stderr.write(warningLines(loaded.config));
    view.phase(`Validated ${loaded.file}: ${loaded.app}@${profile}`);
    // Auth and workspace before any build: a bad token should not cost a ten-minute build.
    const client = await ctx.client();
    const workspace = await ctx.workspace();

    const build = buildSettings(loaded.config);
    let image = typeof flags.image === 'string' ? flags.image : build.image;
    if (!image) {
      const engine = findEngine(ctx.debug);
      const repository = process.env.LOCO_REGISTRY ? `${process.env.LOCO_REGISTRY.replace(/\/+$/, '')}/${loaded.app}` : undefined;
      if (!repository) {
        throw new LocoError('usage.no-registry', 'cannot build the image: no registry to push it to', 'set LOCO_REGISTRY=<registry>/<team>, or pass --image <registry>/<app>:<tag>');
      }
      // Ask the API first (placeholder tag): a protected profile, a bad config or a refused
      // prune should cost seconds, not a ten-minute build.
      await client.checkDeployment(workspace, loaded.app, { config: loaded.text, profile, image: `${repository}:to-be-built`, ...(envFile !== undefined ? { envFile } : {}), ...(flags.force ? { confirmPrune: true } : {}) });
      view.phase(`Building ${repository} with ${engine}`);
      const appDir = dirname(resolve(loaded.file));
      const contextDir = resolve(appDir, build.context);
      image = await buildAndPush({ engine, contextDir, dockerfile: relative(contextDir, resolve(appDir, build.dockerfile)), repository, tag: sourceTag(appDir), log: (l) => ctx.debug(`build: ${l}`) });
      view.phase(`Pushed ${image}`);
    }

    view.phase(`Deploying ${loaded.app}@${profile} to ${workspace.org}/${workspace.workspace}`);
    const deployment = await client.createDeployment(workspace, loaded.app, {
      config: loaded.text,
      profile,
      image,
      ...(envFile !== undefined ? { envFile } : {}),
      idempotencyKey: randomUUID(),
      ...(flags.force ? { confirmPrune: true } : {}),
    });
    return await followDeployment(ctx, client, deployment, { ...wait, view });
  } finally {
    view.stop();
  }
};

/** The git commit of the app's folder when there is one, so image tags say what they hold. */
function sourceTag(dir: string): string {
  try {
    const sha = execFileSync('git', ['-C', dir, 'rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['-C', dir, 'status', '--porcelain', '.'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${sha}-dirty-${Date.now().toString(36)}` : sha;
  } catch {
    return `build-${Date.now().toString(36)}`;
  }
}
