// The typed shape of a loco.toml after validation: `LocoConfig` holds what the user wrote
// (canonical keys, no defaults), `AppSpec` one profile with every default filled in.

import type { ProblemDetail } from '../errors.ts';
import type { KeyPositions } from './locate.ts';

export interface AppSpec {
  metadata: { configVersion: number; name: string; description: string; type: string };
  build: { type: 'docker' | 'image'; dockerfilePath: string; context: string; image: string };
  resources: {
    cpu: string;
    memory: string;
    replicas: { min: number; max: number };
    scalers: { enabled: boolean; cpuTarget: number; memoryTarget: number };
  };
  routing: {
    port: number;
    protocol: 'http' | 'grpc';
    subdomain: string;
    baseDomain: string;
    pathPrefix: string;
    /** Seconds. */
    idleTimeout: number;
    gateway: string;
    grpcServices: string[];
  };
  health: {
    kind: 'http' | 'grpc' | 'tcp' | 'cmd' | 'none';
    path: string;
    port: number;
    grpcService: string;
    command: string[];
    interval: number;
    timeout: number;
    startupGracePeriod: number;
    failThreshold: number;
  };
  /** secrets: "<secret>/<key>" of an existing Secret, or a key of a platform secret store (External Secrets). */
  env: { file: string; variables: Record<string, string>; notSecret: string[]; secrets: Record<string, SecretSource> };
  network: { egress: string[] };
  cron: { schedule: string; timeZone: string; concurrencyPolicy: 'Forbid' | 'Allow' | 'Replace'; retries: number; deadline: number };
  obs: {
    logging: { level: string; format: string; enabled: boolean; retentionPeriod: string };
    metrics: { enabled: boolean; path: string; port: number };
    tracing: { enabled: boolean; endpoint: string; sampleRate: number; tags: Record<string, string> };
  };
}

/** A key in one of the platform's ClusterSecretStores, fetched by External Secrets Operator. */
export interface ExternalSecretRef { store: string; key: string; property?: string }

export type SecretSource = string | ExternalSecretRef;

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends Record<string, unknown> ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** One layer of settings as written: the file's top level, a profile, or an override. */
export type ConfigLayer = DeepPartial<AppSpec>;

export interface LocoConfig {
  file: string;
  name: string;
  type: string;
  /** Top-level settings, canonical keys, without defaults. */
  base: ConfigLayer;
  /** `[Profile.<name>]` layers by profile name, in file order. */
  profiles: Record<string, ConfigLayer>;
  /** Where keys sit in the text, for problems found after parsing (e.g. per profile). */
  positions: KeyPositions;
  /** Raw paths (as written) of canonical paths, to point problems at the user's spelling. */
  rawPaths: Map<string, string[]>;
  /** Format version the file was read with: "0.1" (loco's) or 1 (current). */
  version: '0.1' | 1;
  /** Problems that do not stop a deploy (unknown keys of a 0.1 file); `--strict` fails on them. */
  warnings: ProblemDetail[];
  /** Profile used when none is named (a 0.1 file's Metadata.Region). */
  defaultProfile?: string;
}
