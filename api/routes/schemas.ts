// JSON schemas shared by several route plugins (params, names, the Deployment and Event shapes).

export const NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$';
export const name = { type: 'string', pattern: NAME_PATTERN, description: 'lowercase letters, digits and dashes' } as const;

export const orgParams = { type: 'object', required: ['org'], properties: { org: name } } as const;
export const workspaceParams = { type: 'object', required: ['org', 'ws'], properties: { org: name, ws: name } } as const;
export const appParams = { type: 'object', required: ['org', 'ws', 'app'], properties: { org: name, ws: name, app: name } } as const;
export const deploymentParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } } as const;

export const problemResponses = {
  400: { $ref: 'Problem#' },
  401: { $ref: 'Problem#' },
  403: { $ref: 'Problem#' },
  404: { $ref: 'Problem#' },
  409: { $ref: 'Problem#' },
} as const;

export const deploymentSchema = {
  $id: 'Deployment',
  type: 'object',
  required: ['id', 'org', 'workspace', 'app', 'profile', 'status', 'image', 'configDigest', 'actor', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    org: { type: 'string' },
    workspace: { type: 'string' },
    app: { type: 'string' },
    profile: { type: 'string' },
    change: { type: 'string', enum: ['deploy', 'scale', 'env', 'rollback', 'promote', 'delete', 'secrets'] },
    status: { type: 'string', enum: ['pending', 'committed', 'syncing', 'progressing', 'succeeded', 'failed'] },
    reason: { type: 'string' },
    message: { type: 'string' },
    nextStep: { type: 'string' },
    image: { type: 'string' },
    configDigest: { type: 'string' },
    commit: { type: 'string' },
    url: { type: 'string', description: 'public URL of the app in this profile (routed apps)' },
    actor: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const eventSchema = {
  $id: 'Event',
  type: 'object',
  required: ['seq', 'deploymentId', 'time', 'type', 'message'],
  properties: {
    seq: { type: 'integer' },
    deploymentId: { type: 'string' },
    time: { type: 'string', format: 'date-time' },
    type: { type: 'string' },
    message: { type: 'string' },
    data: { type: 'object', additionalProperties: true },
  },
} as const;
