// What a promotion changes in its target profile, read from the rendered overlay files before
// and after (image, replicas, resources, env keys), and the pull-request body that shows it.
// Pure. Env values are never shown, only key names: a plain value can still be sensitive, and
// secret references are names of cluster secrets, never their values.

import { parse } from 'yaml';

export interface ProfileState {
  image?: string;
  configDigest?: string;
  /** "2", or "2–10 (autoscaled)" when an HPA manages replicas. */
  replicas?: string;
  /** "requests.cpu" → "250m" … */
  resources: Record<string, string>;
  /** Plain env key → a fingerprint of its value (compared, never shown). */
  env: Record<string, string>;
  /** Env keys filled from a Kubernetes Secret → "secret/key" reference. */
  secrets: Record<string, string>;
}

export interface KeyChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface Change {
  from?: string;
  to?: string;
}

export interface ProfileChange {
  /** The target profile had no release yet. */
  firstRelease: boolean;
  image?: Change;
  configDigest?: Change;
  replicas?: Change;
  resources: Array<Change & { key: string }>;
  env: KeyChanges;
  secrets: KeyChanges;
}

type Yaml = Record<string, any>;

function docs(text: string | undefined): Yaml | undefined {
  if (text === undefined) return undefined;
  try {
    const value = parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Yaml) : undefined;
  } catch {
    return undefined;
  }
}

const WORKLOAD_PATCH = /^(deployment|statefulset|cronjob|daemonset)-patch\.yaml$/;

/** Reads the overlay of `app`/`profile` out of a file tree; null when the profile has none. */
export function readProfileState(files: Map<string, string>, app: string, profile: string): ProfileState | null {
  const dir = `apps/${app}/overlays/${profile}/`;
  const own = new Map([...files].filter(([p]) => p.startsWith(dir)).map(([p, t]) => [p.slice(dir.length), t]));
  if (own.size === 0) return null;
  const state: ProfileState = { resources: {}, env: {}, secrets: {} };
  const release = docs(own.get('release.yaml'));
  if (release?.image) state.image = String(release.image);
  if (release?.configDigest) state.configDigest = String(release.configDigest);
  for (const [name, text] of own) {
    if (!WORKLOAD_PATCH.test(name)) continue;
    const doc = docs(text);
    const podSpec = doc?.spec?.template?.spec ?? doc?.spec?.jobTemplate?.spec?.template?.spec;
    if (typeof doc?.spec?.replicas === 'number') state.replicas = String(doc.spec.replicas);
    const container = (podSpec?.containers ?? [])[0] as Yaml | undefined;
    for (const kind of ['requests', 'limits']) {
      for (const [key, value] of Object.entries((container?.resources?.[kind] ?? {}) as Record<string, unknown>)) {
        state.resources[`${kind}.${key}`] = String(value);
      }
    }
    for (const entry of (container?.env ?? []) as Yaml[]) {
      const ref = entry.valueFrom?.secretKeyRef;
      if (ref) state.secrets[String(entry.name)] = `${ref.name}/${ref.key}`;
      else state.env[String(entry.name)] = fingerprint(entry.value ?? entry.valueFrom);
    }
  }
  const hpa = docs(own.get('hpa.yaml'));
  if (hpa?.spec?.minReplicas !== undefined) state.replicas = `${hpa.spec.minReplicas}–${hpa.spec.maxReplicas} (autoscaled)`;
  const configMap = docs(own.get('configmap.yaml'));
  for (const [key, value] of Object.entries((configMap?.data ?? {}) as Record<string, unknown>)) state.env[key] = fingerprint(value);
  return state;
}

function fingerprint(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function keyChanges(before: Record<string, string>, after: Record<string, string>): KeyChanges {
  const added = Object.keys(after).filter((k) => !(k in before)).sort();
  const removed = Object.keys(before).filter((k) => !(k in after)).sort();
  const changed = Object.keys(after).filter((k) => k in before && before[k] !== after[k]).sort();
  return { added, removed, changed };
}

function change(from: string | undefined, to: string | undefined): Change | undefined {
  if (from === to) return undefined;
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** What moving the target profile from `before` to `after` changes. */
export function compareProfiles(before: ProfileState | null, after: ProfileState): ProfileChange {
  const b: ProfileState = before ?? { resources: {}, env: {}, secrets: {} };
  const keys = [...new Set([...Object.keys(b.resources), ...Object.keys(after.resources)])].sort();
  const out: ProfileChange = {
    firstRelease: before === null,
    resources: keys.flatMap((key) => {
      const c = change(b.resources[key], after.resources[key]);
      return c ? [{ key, ...c }] : [];
    }),
    env: keyChanges(b.env, after.env),
    secrets: keyChanges(b.secrets, after.secrets),
  };
  const image = change(b.image, after.image);
  if (image) out.image = image;
  const digest = change(b.configDigest, after.configDigest);
  if (digest) out.configDigest = digest;
  const replicas = change(b.replicas, after.replicas);
  if (replicas) out.replicas = replicas;
  return out;
}

export function isEmptyChange(c: ProfileChange): boolean {
  const none = (k: KeyChanges) => k.added.length + k.removed.length + k.changed.length === 0;
  return !c.image && !c.configDigest && !c.replicas && c.resources.length === 0 && none(c.env) && none(c.secrets);
}

export interface SourceOutcome {
  deploymentId: string;
  profile: string;
  status: string;
  commit?: string | null;
  finishedAt?: string | null;
  message?: string | null;
}

export interface PromotionBodyInput {
  app: string;
  from: string;
  to: string;
  image: string;
  configDigest: string;
  source: SourceOutcome;
  change: ProfileChange;
  /** 'rollback' PRs restore an earlier release instead of promoting one. */
  kind?: 'promote' | 'rollback';
}

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;
const arrow = (c: Change) => `${c.from !== undefined ? code(c.from) : '_(none)_'} → ${c.to !== undefined ? code(c.to) : '_(removed)_'}`;

function keyLine(label: string, k: KeyChanges): string | null {
  const parts = [
    k.added.length ? `added ${k.added.map(code).join(', ')}` : '',
    k.removed.length ? `removed ${k.removed.map(code).join(', ')}` : '',
    k.changed.length ? `changed ${k.changed.map(code).join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? `- ${label}: ${parts.join('; ')}` : null;
}

/** What a promotion of a release that ended at committed says (no Argo CD: nobody saw it run). */
export function sourceNotVerified(profile: string): string {
  return `> **The source outcome was not verified.** No Argo CD is configured, so Loco never saw this release running in ${profile}: it was committed there, and whether it became healthy is unknown. Check it in ${profile} yourself before approving.`;
}

/** The markdown a reviewer reads: what is promoted, how it did in the source profile, what changes. */
export function promotionBody(input: PromotionBodyInput): string {
  const { change: c, source } = input;
  const outcome = [
    `**${source.status}** in ${source.profile}`,
    source.commit ? `commit ${code(source.commit.slice(0, 12))}` : '',
    source.finishedAt ? `finished ${source.finishedAt}` : '',
  ].filter(Boolean).join(', ');
  const lines = [
    input.kind === 'rollback'
      ? `Rolls **${input.app}** in **${input.to}** back to the release of deployment ${code(source.deploymentId)}.`
      : `Promotes the release of **${input.app}** that is running in **${input.from}** to **${input.to}**.`,
    '',
    '| | |',
    '|---|---|',
    `| Image | ${code(input.image)} |`,
    `| Config digest | ${code(input.configDigest)} |`,
    `| Source deployment | ${code(source.deploymentId)}: ${outcome} |`,
  ];
  if (source.message) lines.push(`| Outcome message | ${source.message.replace(/\|/g, '\\|').replace(/\s+/g, ' ')} |`);
  if (source.status === 'committed') lines.push('', sourceNotVerified(source.profile));
  lines.push('', `### What changes in ${input.to}`, '');
  if (c.firstRelease) lines.push(`- First release of ${input.app} in ${input.to}.`);
  if (c.image) lines.push(`- Image: ${arrow(c.image)}`);
  if (c.replicas) lines.push(`- Replicas: ${arrow(c.replicas)}`);
  for (const r of c.resources) lines.push(`- Resources ${r.key}: ${arrow(r)}`);
  const env = keyLine('Env keys', c.env);
  if (env) lines.push(env);
  const secrets = keyLine('Secret references', c.secrets);
  if (secrets) lines.push(secrets);
  if (c.configDigest && !c.firstRelease) lines.push(`- Config (loco.toml): ${arrow(c.configDigest)}`);
  if (isEmptyChange(c)) lines.push(`- Nothing changes in ${input.to}.`);
  lines.push('', '_Env values are never shown here, only key names. The full diff is in this pull request\'s files._', '');
  return lines.join('\n');
}
