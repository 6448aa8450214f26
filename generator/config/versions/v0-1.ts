// loco.toml 0.1 → the current format, with the same meaning: the old reader's defaults are
// written out explicitly (Port 8000, CPU 100m, Health.Path /health …), its "0 means unset"
// fields are dropped, and the later dialect (Metadata.Region, [RegionConfig.<r>],
// [DomainConfig]) becomes one profile per region. Used to read 0.1 files and by
// `loco config upgrade`, so an upgraded file renders exactly what the 0.1 file did.

import { pathId, type KeyPositions } from '../locate.ts';
import type { ProblemList } from '../problems.ts';
import { alias, readOldKeys } from './v0-1-read.ts';

/** The 0.1 reader's defaults (loader-0.1.go Default / FillSensibleDefaults). */
export const OLD_DEFAULTS = {
  cpu: '100m', memory: '256Mi', replicas: 1, port: 8000,
  healthPath: '/health', interval: 30, timeout: 5, startupGracePeriod: 0, failThreshold: 3,
  retention: '7d', metricsPath: '/metrics', metricsPort: 9090, sampleRate: 0.1,
} as const;

export interface Translated {
  /** Current-format table (canonical keys), ready for the current reader. */
  raw: Record<string, any>;
  /** Profile used when none is named: the profile of Metadata.Region. */
  defaultProfile?: string;
}

/** Profile name of a region: profile names are letters and digits, so "us-east-1" is "useast1". */
export function regionProfile(region: string): string {
  return region.toLowerCase().replace(/[^a-z0-9]/g, '');
}

const isSet = (v: unknown) => v !== undefined && v !== 0 && v !== '';

export function translateV01(input: Record<string, unknown>, positions: KeyPositions, problems: ProblemList, warnings: ProblemList): Translated {
  const { values: old, written } = readOldKeys(input, warnings);
  const raw: Record<string, any> = {};
  const put = (to: string[], value: unknown, from?: string[]) => {
    if (value === undefined) return;
    let table = raw;
    for (const key of to.slice(0, -1)) table = table[key] ??= {};
    table[to[to.length - 1]] = value;
    if (from) alias(positions, written, from, to);
  };
  const get = (...path: string[]): any => path.reduce<any>((t, k) => (t && typeof t === 'object' ? t[k] : undefined), old);
  const orDefault = (path: string[], fallback: unknown, to: string[] = path) => put(to, isSet(get(...path)) ? get(...path) : fallback, path);

  for (const key of ['Name', 'Description', 'Type']) put(['Metadata', key], get('Metadata', key), ['Metadata', key]);
  for (const key of ['Type', 'DockerfilePath']) put(['Build', key], get('Build', key), ['Build', key]);

  orDefault(['Resources', 'CPU'], OLD_DEFAULTS.cpu);
  orDefault(['Resources', 'Memory'], OLD_DEFAULTS.memory);
  orDefault(['Resources', 'Replicas', 'Min'], OLD_DEFAULTS.replicas);
  orDefault(['Resources', 'Replicas', 'Max'], OLD_DEFAULTS.replicas);
  scalers(['Resources', 'Scalers'], get('Resources', 'Scalers', 'Enabled'), get('Resources', 'Scalers', 'CPUTarget'), get('Resources', 'Scalers', 'MemoryTarget'),
    { enabled: ['Resources', 'Scalers', 'Enabled'], cpu: ['Resources', 'Scalers', 'CPUTarget'], memory: ['Resources', 'Scalers', 'MemoryTarget'] });

  orDefault(['Routing', 'Port'], OLD_DEFAULTS.port);
  put(['Routing', 'Subdomain'], get('Routing', 'Subdomain'), ['Routing', 'Subdomain']);
  put(['Routing', 'PathPrefix'], isSet(get('Routing', 'PathPrefix')) ? get('Routing', 'PathPrefix') : undefined, ['Routing', 'PathPrefix']);
  put(['Routing', 'IdleTimeout'], isSet(get('Routing', 'IdleTimeout')) ? get('Routing', 'IdleTimeout') : undefined, ['Routing', 'IdleTimeout']);
  domain(get('DomainConfig', 'Hostname'));

  orDefault(['Health', 'Path'], OLD_DEFAULTS.healthPath);
  put(['Health', 'Interval'], get('Health', 'Interval') ?? OLD_DEFAULTS.interval, ['Health', 'Interval']);
  orDefault(['Health', 'Timeout'], OLD_DEFAULTS.timeout);
  put(['Health', 'StartupGracePeriod'], get('Health', 'StartupGracePeriod') ?? OLD_DEFAULTS.startupGracePeriod, ['Health', 'StartupGracePeriod']);
  orDefault(['Health', 'FailThreshold'], OLD_DEFAULTS.failThreshold);

  if (isSet(get('Env', 'File'))) put(['Env', 'File'], get('Env', 'File'), ['Env', 'File']);
  put(['Env', 'Variables'], get('Env', 'Variables'), ['Env', 'Variables']);

  put(['Obs', 'Logging', 'Enabled'], get('Obs', 'Logging', 'Enabled') ?? true, ['Obs', 'Logging', 'Enabled']);
  orDefault(['Obs', 'Logging', 'RetentionPeriod'], OLD_DEFAULTS.retention);
  const structured = get('Obs', 'Logging', 'Structured');
  put(['Obs', 'Logging', 'Format'], typeof structured === 'boolean' || structured === undefined ? (structured ? 'json' : 'text') : structured, ['Obs', 'Logging', 'Structured']);
  if (get('Obs', 'Metrics', 'Enabled') !== undefined) put(['Obs', 'Metrics', 'Enabled'], get('Obs', 'Metrics', 'Enabled'), ['Obs', 'Metrics', 'Enabled']);
  if (get('Obs', 'Metrics', 'Enabled') === true) {
    orDefault(['Obs', 'Metrics', 'Path'], OLD_DEFAULTS.metricsPath);
    orDefault(['Obs', 'Metrics', 'Port'], OLD_DEFAULTS.metricsPort);
  }
  if (get('Obs', 'Tracing', 'Enabled') !== undefined) put(['Obs', 'Tracing', 'Enabled'], get('Obs', 'Tracing', 'Enabled'), ['Obs', 'Tracing', 'Enabled']);
  if (get('Obs', 'Tracing', 'Enabled') === true) {
    orDefault(['Obs', 'Tracing', 'SampleRate'], OLD_DEFAULTS.sampleRate);
    const tags = get('Obs', 'Tracing', 'Tags');
    if (tags && typeof tags === 'object' && Object.keys(tags).length) put(['Obs', 'Tracing', 'Tags'], tags, ['Obs', 'Tracing', 'Tags']);
  }

  const defaultProfile = regions();
  return { raw, ...(defaultProfile ? { defaultProfile } : {}) };

  function scalers(to: string[], enabled: unknown, cpu: unknown, memory: unknown, from: { enabled: string[]; cpu: string[]; memory: string[] }) {
    // The old default is off whatever the replica counts say; when on, 0 means "no target".
    put([...to, 'Enabled'], enabled ?? false, from.enabled);
    if (enabled !== true) return;
    put([...to, 'CPUTarget'], isSet(cpu) ? cpu : 0, from.cpu);
    put([...to, 'MemoryTarget'], isSet(memory) ? memory : 0, from.memory);
    if (!isSet(cpu) && !isSet(memory)) {
      problems.add('config.missing-key', written.get(pathId(from.enabled)) ?? [], from.enabled.join('.'), `${from.enabled.join('.')} is true but neither CPUTarget nor MemoryTarget is set (0 means not set)`, 'set CPUTarget (e.g. 70) or MemoryTarget, or set Enabled = false');
    }
  }

  function domain(hostname: unknown) {
    if (hostname === undefined) return;
    const from = ['DomainConfig', 'Hostname'];
    const at = written.get(pathId(from)) ?? [];
    const dot = typeof hostname === 'string' ? hostname.indexOf('.') : -1;
    if (dot <= 0) {
      problems.add('config.invalid-value', at, 'DomainConfig.Hostname', `DomainConfig.Hostname ${JSON.stringify(hostname)} is not a full host name`, 'write the whole host, e.g. Hostname = "myapp.deploy-app.com"');
      return;
    }
    // The route's host is the whole Hostname: its first label and the domain under it.
    put(['Routing', 'Subdomain'], (hostname as string).slice(0, dot), from);
    put(['Routing', 'BaseDomain'], (hostname as string).slice(dot + 1), from);
  }

  function regions(): string | undefined {
    const table = get('RegionConfig');
    const region = get('Metadata', 'Region');
    if (!table || typeof table !== 'object') {
      if (region !== undefined) warnings.add('config.not-applicable', written.get(pathId(['Metadata', 'Region'])) ?? [], 'Metadata.Region', 'Metadata.Region is ignored: there is no [RegionConfig.<region>]', 'add [RegionConfig.' + String(region) + '], or remove Region');
      return undefined;
    }
    for (const [name, r] of Object.entries<Record<string, any>>(table)) {
      const profile = regionProfile(name);
      const base = ['RegionConfig', name];
      const to = ['Profile', profile, 'Resources'];
      alias(positions, written, base, ['Profile', profile]);
      put([...to, 'CPU'], isSet(r?.CPU) ? r.CPU : OLD_DEFAULTS.cpu, [...base, 'CPU']);
      put([...to, 'Memory'], isSet(r?.Memory) ? r.Memory : OLD_DEFAULTS.memory, [...base, 'Memory']);
      put([...to, 'Replicas', 'Min'], r?.ReplicasMin ?? OLD_DEFAULTS.replicas, [...base, 'ReplicasMin']);
      put([...to, 'Replicas', 'Max'], r?.ReplicasMax ?? OLD_DEFAULTS.replicas, [...base, 'ReplicasMax']);
      scalers([...to, 'Scalers'], r?.EnableAutoScaling, r?.CPUTarget, r?.MemoryTarget, { enabled: [...base, 'EnableAutoScaling'], cpu: [...base, 'CPUTarget'], memory: [...base, 'MemoryTarget'] });
    }
    if (region === undefined) return undefined;
    const match = Object.keys(table).find((name) => name === region);
    if (!match) {
      problems.add('config.invalid-value', written.get(pathId(['Metadata', 'Region'])) ?? [], 'Metadata.Region', `Metadata.Region ${JSON.stringify(region)} is not one of the [RegionConfig] entries (${Object.keys(table).join(', ')})`, 'name a configured region, or add [RegionConfig.' + String(region) + ']');
      return undefined;
    }
    return regionProfile(match);
  }
}
