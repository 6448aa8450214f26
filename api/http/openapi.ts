// What /docs/json says about the routes: every operation gets an operationId and a tag (the
// route's own, or one derived from its path, so a route added without them still has both),
// and JSON Schema keywords OpenAPI 3.0 does not allow are taken out of the document. The
// routes keep them: fastify validates requests with the full schema.

import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';

/** JSON Schema 2019+ keywords that are not in OpenAPI 3.0's schema object. */
const NOT_IN_OPENAPI_30 = ['propertyNames', 'patternProperties', 'const', 'contains', 'if', 'then', 'else', 'dependentRequired', 'dependentSchemas', 'unevaluatedProperties'];

const PREFIX = /^\/api\/v1(\/orgs\/:[^/]+(\/workspaces\/:[^/]+)?)?/;

const camel = (words: string[]) => words.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('');
const words = (segment: string) => segment.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w.toLowerCase());

/** `GET /api/v1/orgs/:org/workspaces/:ws/apps/:app/status` → `getOrgsWorkspacesAppsStatusByApp`-like, unique per method and path. */
export function operationIdFor(method: string, url: string): string {
  // Outside /api/v1 live the web pages (web/), which share paths with API routes.
  const parts: string[] = [method.toLowerCase(), ...(url.startsWith('/api/') ? [] : ['page'])];
  const params: string[] = [];
  for (const segment of url.replace(/^\/api\/v1(?=\/|$)/, '').split('/').filter(Boolean)) {
    if (segment.startsWith(':') || segment.startsWith('{')) params.push(...words(segment));
    else parts.push(...words(segment));
  }
  return camel([...parts, ...(params.length ? ['by', ...params] : [])]);
}

/** The resource a path is about: its first segment after /api/v1/orgs/:org/workspaces/:ws. */
export function tagFor(url: string): string {
  if (!url.startsWith('/api/')) return 'web';
  const rest = url.replace(PREFIX, '').split('/').filter((s) => s && !s.startsWith(':'));
  if (rest.length > 0) return rest[0];
  if (/\/workspaces\/:/.test(url)) return 'workspaces';
  if (/\/orgs/.test(url)) return 'orgs';
  return 'operations';
}

export const openApiTransform: SwaggerTransform = ({ schema, url, route }) => {
  const method = Array.isArray(route.method) ? route.method[0] : route.method;
  const s = (schema ?? {}) as Record<string, unknown>;
  return {
    url,
    schema: { ...s, operationId: (s.operationId as string | undefined) ?? operationIdFor(String(method), url), tags: (s.tags as string[] | undefined)?.length ? (s.tags as string[]) : [tagFor(url)] },
  };
};

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // Under `properties` a key is a property's name, not a keyword.
    if (NOT_IN_OPENAPI_30.includes(k) && typeof v === 'object' && v !== null) continue;
    out[k] = k === 'properties' && v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, strip(ps)])) : strip(v);
  }
  return out;
}

export const openApiTransformObject: SwaggerTransformObject = (doc) => {
  const api = (doc as { openapiObject?: unknown }).openapiObject ?? (doc as { swaggerObject?: unknown }).swaggerObject;
  return strip(api) as ReturnType<SwaggerTransformObject>;
};
