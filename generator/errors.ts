// Typed, user-facing errors shared by every part of Loco: a stable code, a message that says
// what is wrong and a hint that says what to do. The API maps them to problem+json and the
// CLI to an exit code, both by the code's family (the part before the first dot).

export interface SourceLocation {
  file?: string;
  line: number;
  column: number;
}

export interface ProblemDetail {
  code: string;
  message: string;
  hint: string;
  at?: SourceLocation;
  /** Key path inside loco.toml, e.g. "Resources.Memory". */
  path?: string;
}

export class LocoError extends Error {
  readonly code: string;
  readonly hint: string;
  readonly at?: SourceLocation;
  /** Several problems at once (validation reports every problem, not just the first). */
  readonly problems?: ProblemDetail[];
  /** Extra machine-readable fields, safe to show to the user. */
  readonly data?: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    hint: string,
    extra: { at?: SourceLocation; problems?: ProblemDetail[]; data?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'LocoError';
    this.code = code;
    this.hint = hint;
    if (extra.at) this.at = extra.at;
    if (extra.problems) this.problems = extra.problems;
    if (extra.data) this.data = extra.data;
  }

  get family(): string {
    return this.code.split('.')[0];
  }
}

export function isLocoError(value: unknown): value is LocoError {
  return value instanceof LocoError;
}

/**
 * Exit code for a CLI error by its family (DESIGN.md "Fixed conventions"):
 * 0 ok, 1 failed, 2 usage or config error, 3 auth, 4 API unreachable.
 */
export function exitCodeFor(code: string): 1 | 2 | 3 | 4 {
  const family = code.split('.')[0];
  if (family === 'config' || family === 'usage' || family === 'validation') return 2;
  if (family === 'auth') return 3;
  if (family === 'unreachable') return 4;
  return 1;
}

/**
 * HTTP status for an error code's family. Kept beside exitCodeFor so that the API and the CLI
 * read one table.
 */
export function httpStatusFor(code: string): number {
  const family = code.split('.')[0];
  switch (family) {
    case 'config':
    case 'validation':
    case 'usage':
      return 400;
    case 'auth':
      return code === 'auth.forbidden' ? 403 : 401;
    case 'not-found':
      return 404;
    case 'conflict':
      return 409;
    case 'rejected':
      return 422;
    case 'gone':
      return 410;
    case 'rate':
      return 429;
    case 'upstream':
      return 502;
    case 'unavailable':
      return 503;
    default:
      return 500;
  }
}
