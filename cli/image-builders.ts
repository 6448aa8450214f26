// The builders `loco deploy` can build and push an image with, and the command lines each one
// gets. Pure: the shell that runs them is cli/image.ts.

export const BUILDERS = ['podman', 'buildah', 'docker'] as const;
export type Builder = (typeof BUILDERS)[number];

export function isBuilder(name: string): name is Builder {
  return (BUILDERS as readonly string[]).includes(name);
}

export interface BuildPlan {
  builder: Builder;
  /** repository:tag, e.g. registry.example.com/acme/web/api:3f2a9c1-k7q2 */
  ref: string;
  dockerfile: string;
  contextDir: string;
  /** podman and buildah: an ignore file read instead of the context's .dockerignore (the translated .gitignore). */
  ignoreFile?: string;
  /** docker-config-style auths file (podman, buildah: --authfile; docker: config.json of DOCKER_CONFIG). */
  authFile: string;
  /** The folder holding authFile as config.json, for docker. */
  dockerConfigDir: string;
  /** podman and buildah write the pushed manifest's digest here. */
  digestFile: string;
  plainHttp: boolean;
}

export interface Command {
  command: Builder;
  args: string[];
  env?: Record<string, string>;
}

/** Build, then push: what each builder needs for the same result. */
export function buildCommands(plan: BuildPlan): { build: Command; push: Command } {
  const ignore = plan.ignoreFile ? ['--ignorefile', plan.ignoreFile] : [];
  const tls = plan.plainHttp ? ['--tls-verify=false'] : [];
  switch (plan.builder) {
    case 'podman':
      return {
        build: { command: 'podman', args: ['build', '-t', plan.ref, '-f', plan.dockerfile, ...ignore, plan.contextDir] },
        push: { command: 'podman', args: ['push', '--authfile', plan.authFile, '--digestfile', plan.digestFile, ...tls, plan.ref, `docker://${plan.ref}`] },
      };
    case 'buildah':
      return {
        build: { command: 'buildah', args: ['build', '-t', plan.ref, '-f', plan.dockerfile, ...ignore, plan.contextDir] },
        push: { command: 'buildah', args: ['push', '--authfile', plan.authFile, '--digestfile', plan.digestFile, ...tls, plan.ref, `docker://${plan.ref}`] },
      };
    case 'docker':
      // docker reads only the context's .dockerignore (the shell writes a temporary one) and its
      // credentials from DOCKER_CONFIG; a plain-HTTP registry must be in the daemon's insecure-registries
      return {
        build: { command: 'docker', args: ['build', '-t', plan.ref, '-f', plan.dockerfile, plan.contextDir] },
        push: { command: 'docker', args: ['push', plan.ref], env: { DOCKER_CONFIG: plan.dockerConfigDir } },
      };
  }
}

/** `3f2a9c1-k7q2`: the commit the build came from (or "nogit") and a random suffix, so no two builds share a tag. */
export function imageTag(commit: string | null, suffix: string): string {
  return `${commit ? commit.slice(0, 7) : 'nogit'}-${suffix}`;
}

/** The auths file every builder reads: user name and password for one registry. */
export function authsFile(registry: string, username: string, password: string): string {
  return `${JSON.stringify({ auths: { [registry]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }, null, 2)}\n`;
}
