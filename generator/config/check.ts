// Rules that involve more than one field, checked on every profile's effective settings
// (a profile may break a rule that the top level keeps, e.g. Replicas.Min above Max).

import { appTypeTemplate } from '../../templates/app-types.ts';
import { looksSecret, plainSecretProblem } from './formats.ts';
import { pathId } from './locate.ts';
import { mergeLayers } from './resolve.ts';
import type { ProblemList } from './problems.ts';
import type { AppSpec, LocoConfig } from './spec.ts';

export interface RuleProblem {
  code: string;
  rawPath: string[];
  path: string;
  message: string;
  hint: string;
  /** The profile sets one of the keys involved, so the message names the profile. */
  byProfile: boolean;
}

/** Problems of one profile (`undefined`: a file without profiles), located at the written key. */
export function checkProfile(config: LocoConfig, profile: string | undefined, spec: AppSpec): RuleProblem[] {
  const found: RuleProblem[] = [];
  const written = mergeLayers(config.base, profile ? config.profiles[profile] ?? {} : {});
  /** Raw path of the most specific written key among `paths` (profile first), for the position. */
  const locate = (...paths: string[][]): string[] => {
    for (const path of paths) {
      for (const prefix of profile ? [['Profile', profile], []] : [[]]) {
        const raw = config.rawPaths.get(pathId([...prefix, ...path]));
        if (raw) return raw;
      }
    }
    return profile ? ['Profile', profile] : [];
  };
  const add = (code: string, paths: string[][], message: string, hint: string) => {
    const byProfile = profile !== undefined && paths.some((path) => config.rawPaths.has(pathId(['Profile', profile, ...path])));
    found.push({ code, rawPath: locate(...paths), path: paths[0].join('.'), message, hint, byProfile });
  };

  if (written.build?.image && written.build?.dockerfilePath) {
    add('config.conflict', [['Build', 'Image'], ['Build', 'DockerfilePath']], 'Build.Image and Build.DockerfilePath are both set', 'a build is either a Dockerfile or a prebuilt image: remove one of them');
  } else if (spec.build.type === 'docker' && spec.build.image) {
    add('config.conflict', [['Build', 'Type'], ['Build', 'Image']], 'Build.Type is "docker" but Build.Image names a prebuilt image', 'set Build.Type = "image", or remove Build.Image to build the Dockerfile');
  } else if (spec.build.type === 'image' && written.build?.dockerfilePath) {
    add('config.conflict', [['Build', 'Type'], ['Build', 'DockerfilePath']], 'Build.Type is "image" but Build.DockerfilePath is set', 'remove Build.DockerfilePath, or set Build.Type = "docker"');
  }
  const { min, max } = spec.resources.replicas;
  if (min > max) add('config.invalid-value', [['Resources', 'Replicas', 'Min'], ['Resources', 'Replicas', 'Max']], `Resources.Replicas.Min (${min}) is greater than Max (${max})`, `set Replicas.Max to at least ${min}`);
  if (spec.resources.scalers.enabled && min < 1) add('config.invalid-value', [['Resources', 'Replicas', 'Min'], ['Resources', 'Scalers', 'Enabled']], 'Resources.Replicas.Min must be at least 1 when autoscaling is enabled', 'set Replicas.Min = 1 or more, or disable Resources.Scalers');
  if (spec.resources.scalers.enabled && spec.resources.scalers.cpuTarget === 0 && spec.resources.scalers.memoryTarget === 0) add('config.invalid-value', [['Resources', 'Scalers', 'CPUTarget'], ['Resources', 'Scalers', 'Enabled']], 'Resources.Scalers has neither a CPUTarget nor a MemoryTarget', 'set CPUTarget (e.g. 70) or MemoryTarget, or disable Resources.Scalers');
  // A schedule written but refused already has its own problem; "required" would contradict the file.
  if (spec.metadata.type === 'CRON' && !spec.cron.schedule && !config.rawPaths.has(pathId(['Cron', 'Schedule'])) && !(profile && config.rawPaths.has(pathId(['Profile', profile, 'Cron', 'Schedule'])))) add('config.missing-key', [['Cron', 'Schedule'], ['Cron'], ['Metadata', 'Type']], 'Cron.Schedule is required for a CRON app', 'add [Cron] with Schedule = "*/15 * * * *" (or @hourly, @daily …)');
  if (spec.metadata.type !== 'CRON' && written.cron?.schedule) add('config.not-applicable', [['Cron', 'Schedule']], `Cron.Schedule only applies to Type "CRON", not "${spec.metadata.type}"`, 'remove [Cron], or set Metadata.Type = "CRON"');
  if (spec.metadata.type === 'CRON' && spec.health.kind !== 'none') add('config.not-applicable', [['Health', 'Kind'], ['Metadata', 'Type']], 'Health checks do not apply to a CRON app (a run ends by itself)', 'remove [Health], or set Health.Kind = "none"');
  if (spec.health.kind === 'cmd' && spec.health.command.length === 0) add('config.missing-key', [['Health', 'Command'], ['Health', 'Kind']], 'Health.Command is required when Health.Kind is "cmd"', 'add Command = ["/bin/check"], or pick another Kind');
  // A WORKER or CRON app gets no Service or route, so routing keys would be silently ignored.
  // Port is the exception: health checks and metrics take their port from it by default.
  const routingKeys = Object.keys(written.routing ?? {}).filter((prop) => prop !== 'port').map((prop) => prop[0].toUpperCase() + prop.slice(1)); // pathPrefix → PathPrefix
  if (!appTypeTemplate(spec.metadata.type).isRouted && routingKeys.length > 0) {
    add('config.not-applicable', [['Routing', routingKeys[0]], ['Routing'], ['Metadata', 'Type']], `Routing only applies to apps that take traffic (Type "SERVICE"), not "${spec.metadata.type}": it would get no Service and no URL`, 'remove [Routing], or set Metadata.Type = "SERVICE"');
  }
  if (spec.routing.protocol === 'http' && spec.routing.grpcServices.length > 0) add('config.not-applicable', [['Routing', 'GrpcServices'], ['Routing', 'Protocol']], 'Routing.GrpcServices needs Routing.Protocol = "grpc"', 'set Protocol = "grpc", or remove GrpcServices');
  if (spec.routing.protocol === 'grpc' && spec.routing.pathPrefix !== '/') add('config.not-applicable', [['Routing', 'PathPrefix'], ['Routing', 'Protocol']], 'Routing.PathPrefix does not apply to gRPC', 'remove PathPrefix; select gRPC services with GrpcServices');
  const host = `${spec.routing.subdomain}.${spec.routing.baseDomain}`;
  if (host.length > 253) add('config.invalid-value', [['Routing', 'BaseDomain'], ['Routing', 'Subdomain']], `host name ${host.slice(0, 40)}… is longer than 253 characters`, 'use a shorter Subdomain or BaseDomain');
  for (const name of Object.keys(spec.env.variables)) {
    if (looksSecret(name, spec.env.notSecret)) add('config.plain-secret', [['Env', 'Variables', name]], ...plainSecretProblem(name));
  }
  for (const name of Object.keys(spec.env.secrets)) {
    if (name in spec.env.variables) add('config.conflict', [['Env', 'Secrets', name], ['Env', 'Variables', name]], `${name} is both in Env.Variables and Env.Secrets`, 'keep it in one of them (Secrets for anything confidential)');
  }
  return found;
}

/**
 * Reports rule problems of all profiles: one that comes from the top level shows once; one that
 * a profile causes names the profile.
 */
export function reportRuleProblems(perProfile: Array<[string | undefined, RuleProblem[]]>, problems: ProblemList): void {
  const shown = new Set<string>();
  for (const [profile, list] of perProfile) {
    for (const p of list) {
      const fromProfile = p.byProfile;
      const message = fromProfile ? `${p.message} (profile ${profile})` : p.message;
      const id = `${p.code}\u0000${p.path}\u0000${message}`;
      if (shown.has(id)) continue;
      shown.add(id);
      problems.add(p.code, p.rawPath, p.path, message, p.hint);
    }
  }
}
