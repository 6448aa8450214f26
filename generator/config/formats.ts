// Value formats loco.toml fields must follow, each stated once with the reason for the limit.
// Checks return [what is wrong, how to fix it] so validation can report them as problems.

import { Cron } from 'croner';
import { imageReferenceProblem } from '../image-reference.ts';

export type Check = [string, string] | undefined;

const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** App names become Kubernetes object names, DNS labels and env names (LOCO_<APP>_URL). */
export const APP_NAME_MAX = 40;
export function checkAppName(v: string): Check {
  // "--" separates workspace, app and profile in namespace names (generator/names.ts).
  if (!DNS_LABEL.test(v) || v.length > APP_NAME_MAX || v.includes('--')) {
    return [
      `"${v}" is not a valid app name`,
      `use lower-case letters, digits and single '-', starting with a letter, at most ${APP_NAME_MAX} characters (e.g. "orders-api")`,
    ];
  }
  return undefined;
}

/**
 * Profile names end the namespace `<org>--<workspace>--<app>--<profile>` (generator/names.ts);
 * letters and digits only and short, as they show in every namespace and Application name,
 * which must stay within a 63-character DNS label.
 */
export const PROFILE_NAME = /^[a-z][a-z0-9]{0,19}$/;
export function checkProfileName(v: string): Check {
  if (!PROFILE_NAME.test(v)) {
    return [`"${v}" is not a valid profile name`, 'use lower-case letters and digits, starting with a letter, at most 20 characters (e.g. "dev", "prod", "uat2")'];
  }
  return undefined;
}

export function checkDnsLabel(v: string): Check {
  if (!DNS_LABEL.test(v) || v.length > 63) {
    return [`"${v}" is not a DNS label`, "use lower-case letters, digits and '-', starting with a letter, at most 63 characters"];
  }
  return undefined;
}

export function checkDomain(v: string): Check {
  if (!DNS_SUBDOMAIN.test(v) || v.length > 200 || v.split('.').some((l) => l.length > 63)) {
    return [`"${v}" is not a valid domain`, 'use lower-case DNS labels separated by dots, e.g. "apps.example.com"'];
  }
  return undefined;
}

/** Kubernetes CPU quantity: cores ("0.5", "2") or millicores ("250m"). */
export function parseCpu(v: unknown): string | undefined {
  const text = typeof v === 'number' ? String(v) : v;
  if (typeof text !== 'string' || !/^(\d+(\.\d{1,3})?|\.\d{1,3}|\d+m)$/.test(text)) return undefined;
  const millis = text.endsWith('m') ? Number(text.slice(0, -1)) : Number(text) * 1000;
  return millis >= 1 && millis <= 256_000 ? text : undefined;
}

const MEMORY_UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
/** Memory needs a unit: a bare number means bytes in Kubernetes, which is never what was meant. */
export function parseMemory(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)$/.exec(v);
  if (!m) return undefined;
  const bytes = Number(m[1]) * MEMORY_UNITS[m[2]];
  return bytes >= 4 * 2 ** 20 && bytes <= 2 ** 40 ? v : undefined;
}

/**
 * Durations: an integer counts seconds (the original loco.toml format); a string carries its
 * unit ("30s", "2m", "1h30m"). Kubernetes probes count whole seconds, so no "ms".
 */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(?:(\d{1,4})h)?(?:(\d{1,5})m)?(?:(\d{1,6})s)?$/.exec(v);
  if (!m || v === '') return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

const SCHEDULE_HINT = 'write five fields "minute hour day-of-month month day-of-week", e.g. "*/15 * * * *" (every 15 minutes) or "30 2 * * MON-FRI", or a macro such as "@daily"';
// Quartz extensions croner understands but Kubernetes' cron parser (robfig/cron) refuses.
const NOT_IN_KUBERNETES = /(^|[,-])(L|LW|\d*W|\d+L)($|[,-])|#/;

/**
 * Cron schedule as a Kubernetes CronJob takes it: five fields, or one of its macros. Croner
 * checks each field's range and syntax; a schedule that can never fire (e.g. "0 0 31 2 *")
 * is refused too, as the app would silently never run.
 */
export function checkSchedule(v: string): Check {
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(v)) return undefined;
  const parts = v.trim().split(/\s+/);
  if (parts.length !== 5) return [`"${v}" is not a cron schedule: it has ${parts.length} field${parts.length === 1 ? '' : 's'}, Kubernetes wants five (no seconds, no year)`, SCHEDULE_HINT];
  const odd = parts.find((p) => NOT_IN_KUBERNETES.test(p));
  if (odd) return [`"${v}" is not a cron schedule Kubernetes accepts: "${odd}" (L, W and # are not supported)`, SCHEDULE_HINT];
  let job: Cron;
  try {
    job = new Cron(parts.join(' '), { mode: '5-part', paused: true, timezone: 'UTC' });
  } catch (error) {
    // Croner says which field is wrong ("Invalid value for minute: 99"); keep that part.
    const why = String((error as Error).message ?? error).replace(/^CronPattern:\s*/, '');
    return [`"${v}" is not a cron schedule: ${why}`, SCHEDULE_HINT];
  }
  if (job.nextRun() === null) return [`"${v}" never runs: no date matches it`, `check day-of-month against month (e.g. February has no 30th); ${SCHEDULE_HINT}`];
  return undefined;
}

let zones: Set<string> | undefined;
/**
 * IANA zone names as the cluster's tz database knows them. Intl knows the same database; its
 * list holds canonical names only, so aliases ("UTC", "US/Pacific") are probed. The name must
 * be spelled exactly: Kubernetes looks the file up case-sensitively, and refuses offsets.
 */
export function checkTimeZone(v: string): Check {
  if (v === '') return undefined;
  zones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (zones.has(v)) return undefined;
  let resolved: string | undefined;
  if (/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+){0,2}$/.test(v)) {
    try {
      resolved = new Intl.DateTimeFormat('en', { timeZone: v }).resolvedOptions().timeZone;
    } catch {
      resolved = undefined;
    }
  }
  const hint = 'use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"';
  if (resolved === undefined) return [`"${v}" is not a time zone name`, hint];
  // Intl accepts "europe/berlin"; the cluster does not. An alias spelled exactly is fine.
  const exact = [...zones, 'UTC', 'GMT'].find((z) => z.toLowerCase() === v.toLowerCase());
  if (exact !== undefined && exact !== v) return [`"${v}" is not spelled as the time zone database spells it`, `write "${exact}"`];
  // Every tz database name has each part capitalised ("Etc/GMT+5", "US/Pacific").
  if (v.split('/').some((part) => !/^[A-Z]/.test(part))) return [`"${v}" is not spelled as the time zone database spells it`, `write "${resolved}"`];
  return undefined;
}

/** A path prefix as Gateway API accepts it (its CEL rules, which offline schemas do not check). */
export function checkPathPrefix(v: string): Check {
  const bad = !v.startsWith('/') || v.length > 1024 || /\/\/|\/\.\/|\/\.\.\/|%2f|%2F|#|\s|\/\.\.?$/.test(v) || !/^[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*$/.test(v);
  if (bad) return [`"${v}" is not a valid path prefix`, 'start with "/" and use plain URL path characters, e.g. "/api"'];
  return undefined;
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** LOCO_* names are injected by Loco and would silently shadow or be shadowed. */
export function checkEnvName(v: string): Check {
  if (!ENV_NAME.test(v) || v.length > 128) return [`"${v}" is not a valid environment variable name`, 'use letters, digits and "_", not starting with a digit'];
  if (/^LOCO_/i.test(v)) return [`${v} is reserved: Loco injects LOCO_* variables itself`, 'pick a name that does not start with LOCO_'];
  return undefined;
}

/** A list of environment variable names (Env.NotSecret). */
export function checkEnvNames(names: string[]): Check {
  for (const name of names) {
    const bad = checkEnvName(name);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * Names that say "secret" anywhere (AWS_SECRET_ACCESS_KEY, SECRET_KEY_BASE, JWT_SECRET_KEY,
 * DB_PASS): their values belong in a Secret, never in the GitOps repository. Words of their own
 * (PASS, PWD) only as whole parts of the name, so PASSENGER_COUNT or PWD_DIR are not caught.
 */
export const SECRET_LIKE_NAME = /SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|PRIVATE_?KEY|CREDENTIAL|API_?KEY|ACCESS_?KEY|AUTH_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|(?:^|_)(?:PASS|PWD)(?:_|$)/i;

/** Whether a plain variable's name looks like a secret, unless loco.toml's Env.NotSecret lists it. */
export function looksSecret(name: string, notSecret: readonly string[] = []): boolean {
  return SECRET_LIKE_NAME.test(name) && !notSecret.includes(name);
}

/** Problem text of a plain variable that looks like a secret. */
export function plainSecretProblem(name: string): [string, string] {
  return [
    `${name} looks like a secret and would be stored in plain text in the GitOps repository`,
    `move it to [Env.Secrets] as ${name} = "<secret-name>/<key>", referring to a Kubernetes Secret; if it is not secret, list it in [Env] NotSecret = ["${name}"]`,
  ];
}

/** `<secret-name>/<key>` reference to a key of an existing Secret in the app's namespace. */
export function parseSecretRef(v: unknown): { name: string; key: string } | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/([-._a-zA-Z0-9]+)$/.exec(v);
  if (!m || m[1].length > 253 || m[3].length > 253) return undefined;
  return { name: m[1], key: m[3] };
}

/** Store names are ClusterSecretStore names: DNS labels. */
const STORE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * `{ Store = "aws-ssm", Key = "/prod/db/password", Property = "…" }` (a key of a platform secret
 * store, for External Secrets), or why it is not one.
 */
export function externalSecretRef(v: Record<string, unknown>): { store: string; key: string; property?: string } | string {
  const unknown = Object.keys(v).filter((k) => !['Store', 'Key', 'Property'].includes(k));
  if (unknown.length) return `${unknown.join(', ')} ${unknown.length === 1 ? 'is not a key' : 'are not keys'} of a store reference (Store, Key, Property)`;
  if (typeof v.Store !== 'string' || !STORE_NAME.test(v.Store)) return 'Store must name one of the platform\'s secret stores (lower-case letters, digits and "-")';
  if (typeof v.Key !== 'string' || v.Key === '' || v.Key.length > 1024) return 'Key must be the (non-empty) key of the value in the store';
  if (v.Property !== undefined && (typeof v.Property !== 'string' || v.Property === '')) return 'Property, when given, must be a non-empty string (a field of a JSON value)';
  return { store: v.Store, key: v.Key, ...(typeof v.Property === 'string' ? { property: v.Property } : {}) };
}

export function checkGatewayRef(v: string): Check {
  const parts = v.split('/');
  if (parts.length === 2 && parts.every((p) => DNS_LABEL.test(p) && p.length <= 63)) return undefined;
  return [`"${v}" is not a Gateway reference`, 'write "<namespace>/<name>", e.g. "loco-system/loco"'];
}

/** gRPC fully qualified service names, as GRPCRoute's method.service accepts them. */
export function checkGrpcService(v: string): Check {
  if (/^[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*$/.test(v) && v.length <= 1024) return undefined;
  return [`"${v}" is not a gRPC service name`, 'use the fully qualified name from the .proto, e.g. "shop.orders.v1.Orders"'];
}

export function checkImageRef(v: string): Check {
  return v === '' ? undefined : imageReferenceProblem(v);
}

export function checkRelativePath(v: string): Check {
  if (v !== '' && !v.startsWith('/') && !v.split('/').includes('..')) return undefined;
  return [`"${v}" is not a path inside the project`, 'use a path relative to loco.toml, without ".."'];
}

export function checkHttpPath(v: string): Check {
  if (v.startsWith('/') && !/\s/.test(v) && v.length <= 1024) return undefined;
  return [`"${v}" is not an HTTP path`, 'start with "/", e.g. "/healthz"'];
}
