// Every error leaves the API as application/problem+json (RFC 9457) with Loco's stable code,
// a message and a hint. LocoErrors carry user-safe text; fastify's own 4xx errors (bad JSON,
// schema validation) are rephrased; anything else is logged with the request id and reaches
// the client only as "internal error, request id …" — never database or stack text.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LocoError, httpStatusFor } from '../../generator/errors.ts';
import type { ProblemDetail } from '../../generator/errors.ts';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'Upstream error',
  503: 'Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  hint: string;
  problems?: ProblemDetail[];
  data?: Record<string, unknown>;
  requestId: string;
}

export function problemFor(error: LocoError, requestId: string): Problem {
  const status = httpStatusFor(error.code);
  return {
    type: `urn:loco:problem:${error.code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code: error.code,
    detail: error.message,
    hint: error.hint,
    ...(error.problems ? { problems: error.problems } : {}),
    ...(error.data ? { data: error.data } : {}),
    requestId,
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send(JSON.stringify(problem));
}

interface SchemaIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
  keyword?: string;
}

/** Turns ajv issues into readable problems: "body.profile: must be string". */
function validationError(error: FastifyError): LocoError {
  const context = (error as { validationContext?: string }).validationContext ?? 'body';
  const issues = (error.validation ?? []) as SchemaIssue[];
  const problems: ProblemDetail[] = issues.map((issue) => {
    let path = `${context}${(issue.instancePath ?? '').replaceAll('/', '.')}`;
    let message = issue.message ?? 'is invalid';
    if (issue.keyword === 'additionalProperties' && issue.params?.additionalProperty) {
      path = `${path}.${String(issue.params.additionalProperty)}`;
      message = 'is not a known field';
    } else if (issue.keyword === 'required' && issue.params?.missingProperty) {
      path = `${path}.${String(issue.params.missingProperty)}`;
      message = 'is required';
    } else if (issue.keyword === 'enum' && Array.isArray(issue.params?.allowedValues)) {
      message = `must be one of ${(issue.params.allowedValues as unknown[]).join(', ')}`;
    }
    return { code: 'validation.request', message: `${path} ${message}`, hint: 'see the API reference at /docs', path };
  });
  const summary = problems.map((p) => p.message).join('; ') || 'the request is invalid';
  return new LocoError('validation.request', summary, 'fix the request; the API reference is at /docs', { problems });
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof LocoError) {
      if (httpStatusFor(error.code) >= 500) request.log.warn({ code: error.code, err: error }, error.message);
      return sendProblem(reply, problemFor(error, request.id));
    }
    if (error.validation) return sendProblem(reply, problemFor(validationError(error), request.id));
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500 && typeof error.code === 'string' && error.code.startsWith('FST_')) {
      // fastify's own client errors (invalid JSON, wrong content type, body too large) say what is wrong
      const code = status === 415 ? 'usage.content-type' : status === 413 ? 'usage.body-too-large' : 'validation.request';
      return sendProblem(reply, {
        ...problemFor(new LocoError(code, error.message, 'send JSON with Content-Type: application/json; see /docs'), request.id),
        status,
        title: TITLES[status] ?? 'Bad request',
      });
    }
    request.log.error({ err: error }, 'internal error');
    return sendProblem(reply, {
      type: 'urn:loco:problem:internal',
      title: 'Internal error',
      status: 500,
      code: 'internal',
      detail: `internal error, request id ${request.id}`,
      hint: 'try again; if it persists, give the request id to your Loco operator',
      requestId: request.id,
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      problemFor(new LocoError('not-found.route', `${request.method} ${request.url.split('?')[0]} is not an API route`, 'the API reference is at /docs'), request.id),
    ),
  );
}

/** JSON schema of a problem body, for the OpenAPI document. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    hint: { type: 'string' },
    problems: { type: 'array', items: { type: 'object', additionalProperties: true } },
    data: { type: 'object', additionalProperties: true },
    requestId: { type: 'string' },
  },
} as const;
