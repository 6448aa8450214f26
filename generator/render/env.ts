// The container's environment: plain values (the user's, Loco's LOCO_* and the observability
// ones) go into a ConfigMap whose name carries a hash of its content, so any change rolls the
// pods; secrets stay references to existing Secrets and never appear as values.

import { createHash } from 'node:crypto';
import { parseEnv } from 'node:util';
import { LocoError } from '../errors.ts';
import { parseSecretRef } from '../config/formats.ts';
import type { AppSpec, SecretSource } from '../config/spec.ts';
import { externalSecretName } from './external-secrets.ts';
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
  /** The platform's OTLP endpoint (LOCO_OTLP_ENDPOINT), used when Obs.Tracing.Endpoint is empty. */
  otlpEndpoint?: string;
  /** LOCO_TRACING_ENDPOINT for every app (the platform's setting, else its OTLP endpoint). */
  tracingEndpoint?: string;
  /** LOCO_METRICS_ENDPOINT for every app (the platform's setting). */
  metricsEndpoint?: string;
}

/** The platform's observability endpoints (API settings LOCO_OTLP_/TRACING_/METRICS_ENDPOINT) handed to every render. */
export type PlatformEndpoints = Pick<EnvInputs, 'otlpEndpoint' | 'tracingEndpoint' | 'metricsEndpoint'>;

/** The set endpoints of `input` only (exactOptionalPropertyTypes: no undefined values). */
export function platformEndpoints(input: PlatformEndpoints): PlatformEndpoints {
  const out: PlatformEndpoints = {};
  if (input.otlpEndpoint) out.otlpEndpoint = input.otlpEndpoint;
  if (input.tracingEndpoint) out.tracingEndpoint = input.tracingEndpoint;
  if (input.metricsEndpoint) out.metricsEndpoint = input.metricsEndpoint;
  return out;
}

/** Loco's collector when neither loco.toml nor the platform names one. */
export const DEFAULT_OTLP_ENDPOINT = 'http://otel-collector.loco-system:4317';

/** OTEL_RESOURCE_ATTRIBUTES: the user's tags, then workspace, app and profile (which win). */
function resourceAttributes(input: EnvInputs): string {
  const attrs: Record<string, string> = { ...input.spec.obs.tracing.tags, 'loco.workspace': input.workspace, 'loco.app': input.spec.metadata.name, 'deployment.environment': input.profile };
  // The W3C baggage-style list OpenTelemetry reads: key=value pairs, values percent-encoded.
  return Object.keys(attrs).sort().map((k) => `${k}=${encodeURIComponent(attrs[k])}`).join(',');
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
  // Where the platform takes traces and metrics, for apps that configure their own exporters;
  // set whatever Obs says, so an app can read them without a loco.toml change.
  const tracing = input.tracingEndpoint || input.otlpEndpoint;
  if (tracing) env.LOCO_TRACING_ENDPOINT = tracing;
  if (input.metricsEndpoint) env.LOCO_METRICS_ENDPOINT = input.metricsEndpoint;
  for (const other of input.otherApps) {
    if (other.name !== spec.metadata.name) env[appUrlVariable(other.name)] = other.url;
  }
  if (appTypeTemplate(spec.metadata.type).isRouted) env.PORT = String(spec.routing.port);
  env.LOG_LEVEL = spec.obs.logging.level;
  env.LOG_FORMAT = spec.obs.logging.format;
  if (spec.obs.tracing.enabled) {
    env.OTEL_SERVICE_NAME = spec.metadata.name;
    env.OTEL_EXPORTER_OTLP_ENDPOINT = spec.obs.tracing.endpoint || input.otlpEndpoint || DEFAULT_OTLP_ENDPOINT;
    env.OTEL_RESOURCE_ATTRIBUTES = resourceAttributes(input);
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

/** `env:` entries for [Env.Secrets], sorted by name: existing Secrets, or the Secret of a store's ExternalSecret. */
export function secretEnv(spec: AppSpec): Array<Record<string, unknown>> {
  return Object.keys(spec.env.secrets)
    .sort()
    .map((name) => {
      const ref = secretKeyOf(spec.metadata.name, spec.env.secrets[name], name);
      return { name, valueFrom: { secretKeyRef: ref } };
    });
}

/** The Secret and key a variable of [Env.Secrets] is read from. */
export function secretKeyOf(app: string, source: SecretSource, variable: string): { name: string; key: string } {
  if (typeof source !== 'string') return { name: externalSecretName(app, source.store), key: variable };
  const ref = parseSecretRef(source)!;
  return { name: ref.name, key: ref.key };
}

/**
 * Bytes of an Env.File. util.parseEnv is linear except for `\n` escapes inside one double-quoted
 * value, which it expands at a cost quadratic in their number (130,000 of them: 0.45 s); at this
 * size the worst case stays near 20 ms. A ConfigMap's values are meant for settings, not files.
 */
export const ENV_FILE_MAX_BYTES = 64 * 1024;

/**
 * Parses dotenv text with Node's own parser (util.parseEnv): `KEY=value`, `export KEY=value`,
 * `#` comments, single, double and backtick quotes, multi-line quoted values, `\n` expanded in
 * double quotes. `file` names the file in errors.
 */
export function parseDotenv(text: string, file = 'Env.File'): Record<string, string> {
  if (text.length * 3 > ENV_FILE_MAX_BYTES && Buffer.byteLength(text, 'utf8') > ENV_FILE_MAX_BYTES) {
    const message = `${file} is too large: ${Buffer.byteLength(text, 'utf8')} bytes (the limit is ${ENV_FILE_MAX_BYTES} bytes)`;
    const hint = 'keep Env.File to plain settings; mount large content from a ConfigMap or Secret of its own';
    throw new LocoError('config.too-large', message, hint, { problems: [{ code: 'config.too-large', message, hint }] });
  }
  const parsed = parseEnv(text);
  const out: Record<string, string> = {};
  for (const key of Object.keys(parsed)) out[key] = parsed[key] ?? '';
  return out;
}
