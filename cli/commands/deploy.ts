// loco deploy: validate loco.toml locally, get an image (given, or built and pushed), ask the
// API for a deployment, print its id at once and follow it to the outcome.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Action } from '../action.ts';
import { buildSettings, envFileFor, loadConfig, pickProfile, warningLines } from '../app-config.ts';
import { createView, followDeployment, waitOptions } from '../follow.ts';
import { buildAndPush, pickBuilder, uniqueTag } from '../image.ts';

export const deploy: Action = async (ctx, _args, flags) => {
  const wait = waitOptions(flags);
  // the API's prune refusal says --confirm-prune; --force is its older name
  const confirmPrune = Boolean(flags.confirmPrune || flags.force);
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
      const builder = pickBuilder(typeof flags.builder === 'string' ? flags.builder : process.env.LOCO_BUILDER || undefined, ctx.debug);
      // Where to push and a five-minute login for the builder; refused here when this Loco
      // issues no registry credentials (LOCO_REGISTRY_TOKEN_KEY unset), before any build.
      const credential = await client.registryCredential(workspace, loaded.app, profile);
      // Ask the API first (placeholder tag): a protected profile, a bad config or a refused
      // prune should cost seconds, not a ten-minute build.
      await client.checkDeployment(workspace, loaded.app, { config: loaded.text, profile, image: `${credential.repository}:to-be-built`, ...(envFile !== undefined ? { envFile } : {}), ...(confirmPrune ? { confirmPrune: true } : {}) });
      const appDir = dirname(resolve(loaded.file));
      const contextDir = resolve(appDir, build.context);
      const tag = uniqueTag(appDir);
      view.phase(`Building ${credential.repository}:${tag} with ${builder}`);
      image = await buildAndPush({ builder, contextDir, dockerfile: dockerfileOf(appDir, build.dockerfile), credential, tag, log: (l) => ctx.debug(`build: ${l}`) });
      view.phase(`Pushed ${image}`);
    }

    view.phase(`Deploying ${loaded.app}@${profile} to ${workspace.org}/${workspace.workspace}`);
    const deployment = await client.createDeployment(workspace, loaded.app, {
      config: loaded.text,
      profile,
      image,
      ...(envFile !== undefined ? { envFile } : {}),
      idempotencyKey: randomUUID(),
      ...(confirmPrune ? { confirmPrune: true } : {}),
    });
    return await followDeployment(ctx, client, deployment, { ...wait, view });
  } finally {
    view.stop();
  }
};

/** Build.DockerfilePath, or a Containerfile when the default Dockerfile is missing (podman's and buildah's own name). */
function dockerfileOf(appDir: string, written: string): string {
  const path = resolve(appDir, written);
  const containerfile = resolve(appDir, 'Containerfile');
  return written === 'Dockerfile' && !existsSync(path) && existsSync(containerfile) ? containerfile : path;
}
