import { AxError, type ErrorCode, toAxError } from '@ax/core';

/** The media type of {@link ProblemDocument}s (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An RFC 9457 problem document carrying the AxError code. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  details: Record<string, unknown>;
}

/** An HTTP answer for an error: status, headers and the problem document. */
export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: ProblemDocument;
}

/**
 * Maps an error to HTTP. QUOTA_EXCEEDED and RATE_LIMITED answer 429 with `Retry-After` (seconds, at least 1;
 * a quota without a known reset says 60), FORBIDDEN and TENANT_SUSPENDED 403 (a suspended tenant is a
 * refusal of this caller, not a lock on the resource, hence not 423). Errors that are not AxErrors become
 * INTERNAL 500 with a generic message: their text may carry anything.
 */
export function problemOf(err: unknown): ProblemResponse {
  const e =
    err instanceof AxError ? err : new AxError('INTERNAL', 500, 'internal error', { cause: toAxError(err) });
  const json = e.toJSON();
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  if (e.code === 'RATE_LIMITED' || e.code === 'QUOTA_EXCEEDED') {
    const ms = typeof e.details.retryAfterMs === 'number' ? e.details.retryAfterMs : 60_000;
    headers['retry-after'] = String(Math.max(1, Math.ceil(ms / 1000)));
  }
  return {
    status: e.status,
    headers,
    body: {
      type: `urn:ax:error:${e.code.toLowerCase()}`,
      title: e.code,
      status: e.status,
      detail: json.message,
      code: e.code,
      details: json.details,
    },
  };
}
