// The loco.toml that `loco init` writes: a minimal one (three lines that deploy) or a full one
// that shows the common sections with their defaults, ready to edit.

import { checkAppName } from './formats.ts';
import { LocoError } from '../errors.ts';

export interface InitOptions {
  name: string;
  minimal?: boolean;
  /** A prebuilt image; without it the app builds ./Dockerfile. */
  image?: string;
}

export function initTemplate({ name, minimal = false, image }: InitOptions): string {
  const bad = checkAppName(name);
  if (bad) throw new LocoError('usage.invalid-name', bad[0], bad[1]);
  const build = image ? `Build.Image = ${JSON.stringify(image)}` : 'Build.DockerfilePath = "Dockerfile"';
  if (minimal) return `Metadata.ConfigVersion = 1\nMetadata.Name = ${JSON.stringify(name)}\n${build}\n`;
  return `# loco.toml — reference: docs/loco-toml.md (every key, its default and what it does)
[Metadata]
ConfigVersion = 1
Name = ${JSON.stringify(name)}
Type = "SERVICE"          # SERVICE, WORKER or CRON

[Build]
${image ? `Image = ${JSON.stringify(image)}` : 'DockerfilePath = "Dockerfile"'}

[Resources]
CPU = "250m"
Memory = "256Mi"

[Resources.Replicas]
Min = 1
Max = 1                   # Max > Min turns on autoscaling

[Routing]
Port = 8080               # the port your app listens on (also in $PORT)
PathPrefix = "/"

[Health]
Path = "/"
StartupGracePeriod = "30s"

[Env.Variables]
# GREETING = "hello"

[Env.Secrets]
# DATABASE_URL = "db-credentials/url"   # <Secret name>/<key>, never the value itself

[Profile.dev]
CPU = "100m"
Memory = "128Mi"

[Profile.prod]
Replicas.Min = 2
Replicas.Max = 5
`;
}
