// How a routed app is reached: an HTTPRoute or GRPCRoute on the shared Gateway, the
// BackendTrafficPolicy carrying the idle timeout (Envoy Gateway), and for gRPC the Service
// port's appProtocol so the gateway speaks HTTP/2 to the pod.

import { appTypeTemplate } from '../../templates/app-types.ts';
import { SERVICE_PORT } from '../../templates/base-shapes.ts';
import type { AppSpec } from '../config/spec.ts';
import { metadata } from './labels.ts';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/** Whether `host` is `domain` or a name under it (whole labels: `xdomain.com` is not under `domain.com`). */
export function isHostUnder(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

export function hostName(spec: AppSpec): string {
  return `${spec.routing.subdomain}.${spec.routing.baseDomain}`;
}

function parentRefs(spec: AppSpec) {
  const [namespace, name] = spec.routing.gateway.split('/');
  return [{ group: GATEWAY_GROUP, kind: 'Gateway', namespace, name }];
}

/** One piece of the Gateway's traffic a routed app asks for: the host, and the path under it. */
export interface RouteClaim {
  host: string;
  protocol: 'http' | 'grpc';
  /** HTTP: Routing.PathPrefix. gRPC: `/<service>` per GrpcServices entry (a gRPC call's path is `/<service>/<method>`), `/` for all services. */
  pathPrefix: string;
}

/** What a routed app's HTTPRoute or GRPCRoute takes on the shared Gateway (the API records these as claims). */
export function routeClaims(spec: AppSpec): RouteClaim[] {
  if (!appTypeTemplate(spec.metadata.type).isRouted) return [];
  const host = hostName(spec);
  if (spec.routing.protocol === 'grpc') {
    const services = [...new Set(spec.routing.grpcServices)].sort();
    return services.length ? services.map((service) => ({ host, protocol: 'grpc' as const, pathPrefix: `/${service}` })) : [{ host, protocol: 'grpc', pathPrefix: '/' }];
  }
  return [{ host, protocol: 'http', pathPrefix: spec.routing.pathPrefix }];
}

export function routeKind(spec: AppSpec): 'HTTPRoute' | 'GRPCRoute' {
  return spec.routing.protocol === 'grpc' ? 'GRPCRoute' : 'HTTPRoute';
}

export function route(spec: AppSpec): Record<string, unknown> {
  const app = spec.metadata.name;
  const backendRefs = [{ name: app, port: SERVICE_PORT }];
  if (routeKind(spec) === 'GRPCRoute') {
    const services = spec.routing.grpcServices;
    const rule = services.length ? { matches: services.map((service) => ({ method: { type: 'Exact', service } })), backendRefs } : { backendRefs };
    return { apiVersion: `${GATEWAY_GROUP}/v1`, kind: 'GRPCRoute', metadata: metadata(app), spec: { parentRefs: parentRefs(spec), hostnames: [hostName(spec)], rules: [rule] } };
  }
  return {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: metadata(app),
    spec: {
      parentRefs: parentRefs(spec),
      hostnames: [hostName(spec)],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: spec.routing.pathPrefix } }], backendRefs }],
    },
  };
}

export function backendTrafficPolicy(spec: AppSpec): Record<string, unknown> {
  const app = spec.metadata.name;
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'BackendTrafficPolicy',
    metadata: metadata(app),
    spec: {
      targetRefs: [{ group: GATEWAY_GROUP, kind: routeKind(spec), name: app }],
      timeout: { http: { connectionIdleTimeout: `${spec.routing.idleTimeout}s` } },
    },
  };
}

/** gRPC needs HTTP/2 without TLS to the pod (h2c), declared on the Service port. */
export function grpcServicePatch(spec: AppSpec): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: spec.metadata.name }, spec: { ports: [{ port: SERVICE_PORT, appProtocol: 'kubernetes.io/h2c' }] } };
}

/** TLS for a route on a workspace's verified custom domain: the platform's wildcard certificate does not cover it. */
export interface RouteTls {
  /** The workspace's verified custom domains. */
  customDomains: string[];
  /** cert-manager ClusterIssuer that signs their certificates (LOCO_CERT_ISSUER). */
  issuer: string;
}

export function needsCertificate(spec: AppSpec, tls: RouteTls | undefined): boolean {
  if (!tls || !appTypeTemplate(spec.metadata.type).isRouted) return false;
  const host = hostName(spec);
  return tls.customDomains.some((d) => isHostUnder(host, d));
}

export const tlsSecretName = (spec: AppSpec) => `${spec.metadata.name}-tls`;

/** cert-manager Certificate for the route's host, into a Secret in the app's namespace. */
export function certificate(spec: AppSpec, tls: RouteTls): Record<string, unknown> {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: metadata(spec.metadata.name),
    spec: { secretName: tlsSecretName(spec), dnsNames: [hostName(spec)], issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: tls.issuer } },
  };
}

/** Lets the shared Gateway (another namespace) read that Secret for its HTTPS listener on the host. */
export function certificateReferenceGrant(spec: AppSpec): Record<string, unknown> {
  const [namespace] = spec.routing.gateway.split('/');
  return {
    apiVersion: `${GATEWAY_GROUP}/v1beta1`,
    kind: 'ReferenceGrant',
    metadata: metadata(spec.metadata.name, `${spec.metadata.name}-tls`),
    spec: { from: [{ group: GATEWAY_GROUP, kind: 'Gateway', namespace }], to: [{ group: '', kind: 'Secret', name: tlsSecretName(spec) }] },
  };
}
