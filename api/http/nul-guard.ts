// One boundary check for every route: a NUL character anywhere in the path parameters, query or
// JSON body is refused with 400. PostgreSQL text cannot hold NUL, so it used to surface as a 500
// from the database; checking here means no route can forget it.

import type { FastifyInstance } from 'fastify';
import { LocoError } from '../../generator/errors.ts';

/** The path (e.g. "body.image") of the first string holding NUL, or undefined. Iterative: no stack limit. */
export function findNul(value: unknown, root: string): string | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return at;
    } else if (Array.isArray(v)) v.forEach((item, n) => stack.push([item, `${at}[${n}]`]));
    else if (v && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        if (key.includes('\u0000')) return at;
        stack.push([item, `${at}.${key}`]);
      }
    }
  }
  return undefined;
}

export function registerNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const at = findNul(request.params, 'path') ?? findNul(request.query, 'query') ?? findNul(request.body, 'body');
    if (at !== undefined) {
      throw new LocoError('validation.nul-byte', `${at} contains a NUL character (\\u0000)`, 'remove the NUL character: Loco stores text, and text cannot hold it');
    }
  });
}
