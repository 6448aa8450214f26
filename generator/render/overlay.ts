// apps/<app>/overlays/<profile>: self-contained — the app's base objects (base.ts) plus
// everything that differs by profile, config or release (namespace, image digest-pinned when
// known, patches, routes, policies, env ConfigMap) — plus release.yaml, a record of what was
// rendered that Kustomize does not read. Nothing outside the folder feeds its build, so only a
// change to this profile (reviewed, for a protected one) can change what it runs.

import { appTypeTemplate } from '../../templates/app-types.ts';
import { IMAGE_PLACEHOLDER } from '../../templates/base-shapes.ts';
import { namespaceFor } from '../names.ts';
import type { AppSpec } from '../config/spec.ts';
import { envConfigMap, plainEnv, platformEndpoints, secretEnv } from './env.ts';
import { imageVersion, parseImageRef } from './image.ts';
import { hasPodMonitor, podMonitor } from './metrics.ts';
import { autoscaler, disruptionBudget, hasAutoscaler, hasDisruptionBudget, namespaceObject, networkPolicyPatch } from './policies.ts';
import { backendTrafficPolicy, certificate, certificateReferenceGrant, grpcServicePatch, needsCertificate, route, type RouteTls } from './routes.ts';
import type { PlatformFacts } from './platform.ts';
import { egressObjects } from './egress.ts';
import { externalRefsByStore, externalSecretObject } from './external-secrets.ts';
import { SEALED_SECRETS_FILE, sealedEnv, sealedSecretObject, type SealedValues } from './sealed-secrets.ts';
import { workloadPatch } from './workload.ts';
import { renderBase } from './base.ts';
import { toYaml } from './yaml.ts';

export interface OverlayInput {
  spec: AppSpec;
  profile: string;
  workspace: string;
  image: string;
  configDigest: string;
  otherApps: { name: string; url: string }[];
  fileVariables: Record<string, string>;
  otlpEndpoint?: string;
  /** The workspace's verified custom domains: a route on one gets a cert-manager Certificate. */
  tls?: RouteTls;
  tracingEndpoint?: string;
  metricsEndpoint?: string;
  /** Format version the loco.toml was read with, recorded so a rollback reads it the same way. */
  configVersion: '0.1' | 1;
  /** Values sealed by `loco secrets set` for this profile (ciphertext only). */
  sealedSecrets?: SealedValues;
  platform?: PlatformFacts;
}

export function renderOverlay(input: OverlayInput): Map<string, string> {
  const { spec, profile, workspace } = input;
  const app = spec.metadata.name;
  const template = appTypeTemplate(spec.metadata.type);
  const namespace = namespaceFor(workspace, app, profile);
  const image = parseImageRef(input.image);
  const files = new Map<string, string>();
  const resources: string[] = [];
  const patches: Array<{ path: string }> = [];
  const addResource = (file: string, doc: unknown) => {
    files.set(file, toYaml(doc));
    resources.push(file);
  };
  const addPatch = (file: string, doc: unknown) => {
    files.set(file, toYaml(doc));
    patches.push({ path: file });
  };

  for (const [file, text] of renderBase(app, spec.metadata.type)) {
    files.set(file, text);
    resources.push(file);
  }
  addResource('namespace.yaml', namespaceObject(namespace, workspace, app, profile));
  const env = envConfigMap(app, plainEnv({ spec, profile, workspace, version: imageVersion(image), otherApps: input.otherApps, fileVariables: input.fileVariables, ...platformEndpoints(input) }));
  addResource('configmap.yaml', env.doc);
  if (template.isRouted) {
    addResource('route.yaml', route(spec));
    addResource('backendtrafficpolicy.yaml', backendTrafficPolicy(spec));
  }
  if (input.tls && needsCertificate(spec, input.tls)) {
    addResource('certificate.yaml', certificate(spec, input.tls));
    addResource('certificate-referencegrant.yaml', certificateReferenceGrant(spec));
  }
  if (hasAutoscaler(spec)) addResource('hpa.yaml', autoscaler(spec));
  if (hasDisruptionBudget(spec)) addResource('pdb.yaml', disruptionBudget(spec));
  if (hasPodMonitor(spec)) addResource('podmonitor.yaml', podMonitor(spec));

  for (const [store, refs] of externalRefsByStore(spec, input.platform?.secretStores)) addResource(`externalsecret-${store}.yaml`, externalSecretObject(app, store, refs));
  for (const [file, doc] of egressObjects(spec, workspace, input.platform?.cni)) addResource(file, doc);
  const sealed = input.sealedSecrets ?? {};
  if (Object.keys(sealed).length) addResource(SEALED_SECRETS_FILE, sealedSecretObject(app, namespace, sealed));
  const secretEntries = [...secretEnv(spec), ...sealedEnv(spec, sealed)].sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1));

  addPatch(`${template.workload.toLowerCase()}-patch.yaml`, workloadPatch(spec, env.name, secretEntries));
  addPatch('networkpolicy-patch.yaml', networkPolicyPatch(spec, workspace));
  if (template.isRouted && spec.routing.protocol === 'grpc') addPatch('service-patch.yaml', grpcServicePatch(spec));

  const imageEntry: Record<string, string> = { name: IMAGE_PLACEHOLDER, newName: image.name };
  if (image.digest) imageEntry.digest = image.digest;
  else imageEntry.newTag = image.tag ?? 'latest';

  files.set(
    'kustomization.yaml',
    toYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', namespace, resources, patches, images: [imageEntry] }),
  );
  files.set(
    'release.yaml',
    '# What Loco rendered here (not a Kubernetes object; kustomization.yaml does not list it).\n' +
      toYaml({ app, profile, workspace, namespace, image: input.image, configDigest: input.configDigest, configVersion: input.configVersion }),
  );
  return files;
}
