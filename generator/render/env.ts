// The container's environment: plain values (the user's, Loco's LOCO_* and the observability
// ones) go into a ConfigMap whose name carries a hash of its content, so any change rolls the
// pods; secrets stay references to existing Secrets and never appear as values.

import { createHash } from 'node:crypto';
import { parseSecretRef } from '../config/formats.ts';
import type { AppSpec } from '../config/spec.ts';
import { appTypeTemplate } from '../../templates/app-types.ts';
import { metadata } from './labels.ts';

export interface EnvInputs {
  spec: AppSpec;
  profile: string;
  workspace: string;
  version: string;
  otherApps: { name: string; url: string }[];
  /** Variables read from Env.File (dotenv); Env.Variables wins over them. */
  fileVariables: Record<string, string>;
}

/** LOCO_<APP>_URL for another app of the workspace. */
export function appUrlVariable(app: string): string {
  return `LOCO_${app.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
}

export function plainEnv(input: EnvInputs): Record<string, string> {
  const { spec } = input;
  const env: Record<string, string> = { ...input.fileVariables, ...spec.env.variables };
  env.LOCO_APP_NAME = spec.metadata.name;
  env.LOCO_PROFILE = input.profile;
  env.LOCO_APP_VERSION = input.version;
  env.LOCO_WORKSPACE = input.workspace;
  for (const other of input.otherApps) {
    if (other.name !== spec.metadata.name) env[appUrlVariable(other.name)] = other.url;
  }
  if (appTypeTemplate(spec.metadata.type).isRouted) env.PORT = String(spec.routing.port);
  env.LOG_LEVEL = spec.obs.logging.level;
  env.LOG_FORMAT = spec.obs.logging.format;
  if (spec.obs.tracing.enabled) {
    env.OTEL_SERVICE_NAME = spec.metadata.name;
    env.OTEL_EXPORTER_OTLP_ENDPOINT = spec.obs.tracing.endpoint;
    env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    env.OTEL_TRACES_SAMPLER_ARG = String(spec.obs.tracing.sampleRate);
  }
  return Object.fromEntries(Object.keys(env).sort().map((k) => [k, env[k]]));
}

export function envConfigMap(app: string, data: Record<string, string>): { name: string; doc: Record<string, unknown> } {
  const hash = createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 10);
  const name = `${app}-env-${hash}`;
  return { name, doc: { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(app, name), data } };
}

/** `env:` entries for [Env.Secrets], sorted by name. */
export function secretEnv(spec: AppSpec): Array<Record<string, unknown>> {
  return Object.keys(spec.env.secrets)
    .sort()
    .map((name) => {
      const ref = parseSecretRef(spec.env.secrets[name])!;
      return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
    });
}

/** Parses dotenv text (KEY=value, # comments, optional quotes, optional `export `). */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    let value = m[2];
    const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
    if (quoted) value = quoted[1];
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]] = value;
  }
  return out;
}
