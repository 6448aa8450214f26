// The cdk8s peer of `loco render examples/autoscaled-shop`: the same app (Namespace,
// ServiceAccount, ConfigMap, Deployment, Service, Ingress, HPA, PodDisruptionBudget,
// NetworkPolicy) for its three profiles, written as a cdk8s + cdk8s-plus-32 chart and printed
// as YAML, as `cdk8s synth` would write it. Run by bench/render.ts after `npm install --prefix`.

import { ApiObject, App, Chart, Size, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-32';

const profiles = {
  dev: { min: 1, max: 1, domain: 'dev.shop.example', cpu: 250, memory: 384 },
  uat: { min: 1, max: 3, domain: 'uat.shop.example', cpu: 250, memory: 384 },
  prod: { min: 2, max: 10, domain: 'shop.example', cpu: 1000, memory: 1024 },
};
const name = 'shop-frontend';
const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'loco' };

const app = new App({ outdir: '/tmp' });
for (const [profile, p] of Object.entries(profiles)) {
  const namespace = `acme-${name}-${profile}`;
  const chart = new Chart(app, profile, { namespace, labels });
  new kplus.Namespace(chart, 'namespace', { metadata: { name: namespace } });
  const serviceAccount = new kplus.ServiceAccount(chart, 'sa', { metadata: { name }, automountToken: false });
  const config = new kplus.ConfigMap(chart, 'config', { metadata: { name: `${name}-env` }, data: { PORT: '3000', LOCO_PROFILE: profile } });
  const deployment = new kplus.Deployment(chart, 'deployment', {
    metadata: { name },
    serviceAccount,
    automountServiceAccountToken: false,
    securityContext: { ensureNonRoot: true },
    containers: [{
      name: 'app',
      image: 'registry.example.com/acme/shop-frontend:1.0.0',
      portNumber: 3000,
      envFrom: [kplus.Env.fromConfigMap(config)],
      resources: {
        cpu: { request: kplus.Cpu.millis(p.cpu), limit: kplus.Cpu.millis(p.cpu) },
        memory: { request: Size.mebibytes(p.memory), limit: Size.mebibytes(p.memory) },
      },
      readiness: kplus.Probe.fromHttpGet('/ready', { port: 3000, periodSeconds: Duration.seconds(10) }),
      liveness: kplus.Probe.fromHttpGet('/ready', { port: 3000, periodSeconds: Duration.seconds(20) }),
      securityContext: { ensureNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true },
    }],
  });
  const service = deployment.exposeViaService({ name, ports: [{ port: 80, targetPort: 3000 }] });
  new kplus.Ingress(chart, 'ingress', { metadata: { name }, rules: [{ host: `shop.${p.domain}`, path: '/', backend: kplus.IngressBackend.fromService(service) }] });
  new kplus.HorizontalPodAutoscaler(chart, 'hpa', {
    metadata: { name }, target: deployment, minReplicas: p.min, maxReplicas: p.max,
    metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(75)), kplus.Metric.resourceMemory(kplus.MetricTarget.averageUtilization(85))],
  });
  new ApiObject(chart, 'pdb', {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name },
    spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': name } } },
  });
  new kplus.NetworkPolicy(chart, 'netpol', {
    metadata: { name },
    selector: deployment,
    ingress: { rules: [{ peer: kplus.Pods.all(), ports: [kplus.NetworkPolicyPort.tcp(3000)] }] },
  });
}
process.stdout.write(app.synthYaml());
