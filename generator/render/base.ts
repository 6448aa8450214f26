// The app's base objects (ServiceAccount, workload, Service, NetworkPolicy) before any profile's
// patches. They are written into every overlay, not into a shared apps/<app>/base/: a shared
// folder let a deploy to one profile (say dev with another Metadata.Type) change what a
// protected profile's overlay builds without that profile's review (issue 14).

import { appTypeTemplate } from '../../templates/app-types.ts';
import {
  cronJobShape,
  deploymentShape,
  hardenedPodSpec,
  networkPolicyShape,
  serviceAccountShape,
  serviceShape,
} from '../../templates/base-shapes.ts';
import { metadata, selectorLabels } from './labels.ts';
import { toYaml } from './yaml.ts';

function podTemplate(app: string) {
  const spec = structuredClone(hardenedPodSpec) as any;
  spec.serviceAccountName = app;
  return { metadata: { labels: selectorLabels(app) }, spec };
}

export function workloadObject(app: string, type: string): Record<string, unknown> {
  const template = appTypeTemplate(type);
  if (template.workload === 'CronJob') {
    const pod = podTemplate(app);
    pod.spec.restartPolicy = cronJobShape.jobSpec.restartPolicy;
    return {
      apiVersion: cronJobShape.apiVersion,
      kind: cronJobShape.kind,
      metadata: metadata(app),
      spec: { ...structuredClone(cronJobShape.spec), jobTemplate: { spec: { template: pod } } },
    };
  }
  return {
    apiVersion: deploymentShape.apiVersion,
    kind: deploymentShape.kind,
    metadata: metadata(app),
    spec: {
      selector: { matchLabels: selectorLabels(app) },
      ...structuredClone(deploymentShape.spec),
      template: podTemplate(app),
    },
  };
}

/** File name → YAML of the base objects, in the order the overlay lists them. */
export function renderBase(app: string, type: string): Map<string, string> {
  const template = appTypeTemplate(type);
  const files = new Map<string, string>();
  const add = (file: string, doc: unknown) => files.set(file, toYaml(doc));
  add('serviceaccount.yaml', { apiVersion: serviceAccountShape.apiVersion, kind: serviceAccountShape.kind, metadata: metadata(app), automountServiceAccountToken: false });
  add(template.workload === 'CronJob' ? 'cronjob.yaml' : 'deployment.yaml', workloadObject(app, type));
  if (template.isRouted) {
    add('service.yaml', {
      apiVersion: serviceShape.apiVersion,
      kind: serviceShape.kind,
      metadata: metadata(app),
      spec: { ...structuredClone(serviceShape.spec), selector: selectorLabels(app) },
    });
  }
  add('networkpolicy.yaml', {
    apiVersion: networkPolicyShape.apiVersion,
    kind: networkPolicyShape.kind,
    metadata: metadata(app),
    spec: { podSelector: { matchLabels: selectorLabels(app) }, ...structuredClone(networkPolicyShape.spec) },
  });
  return files;
}
