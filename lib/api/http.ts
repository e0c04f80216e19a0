/** A transport-independent HTTP request: the Lambda adapter and the local twin both build one. */
export interface ApiRequest {
  readonly method: string;
  /**
   * The path without its query string, percent-decoded exactly once: API Gateway's HTTP API hands the Lambda
   * `rawPath` already decoded, and the twin decodes the request target with `decodeRequestPath`. The core
   * never decodes it again, so `/%2561pi` stays `/%61pi` and never becomes `/api`.
   */
  readonly path: string;
  /** Header names in any case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body as text; undefined or '' when there is none. */
  readonly body?: string;
  /**
   * Who the platform already authenticated: the token name API Gateway's authorizer put in the request
   * context. @default - nobody; the API's own `authorize` check decides
   */
  readonly principal?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Requests with a larger body are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 4096;

/** An expected failure that becomes `{ "error": { code, message } }` with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** More fields of the answer, beside `error`. */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Client-supplied text quoted in an error message, cut short so an error never echoes a huge input. */
export function shorten(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export const badRequest = (message: string) => new ApiError(400, 'bad_request', message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
export const payloadTooLarge = () => new ApiError(413, 'payload_too_large', `body: at most ${MAX_BODY_BYTES} bytes`);

/**
 * The path of an HTTP request target (`/a%70i/cars?x=1` → `/api/cars`), percent-decoded once, as API
 * Gateway's HTTP API does before it hands `rawPath` to the Lambda. Malformed percent-encoding is a 400.
 */
export function decodeRequestPath(target: string): string {
  const encoded = target.split('?', 1)[0];
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw badRequest(`path: '${shorten(encoded)}' is not valid percent-encoding`);
  }
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(error: ApiError): ApiResponse {
  return jsonResponse(error.status, { ...error.details, error: { code: error.code, message: error.message } }, error.headers);
}

/** Header lookup that ignores the case of the name, as RFC 9110 section 5.1 says. */
export function header(request: ApiRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
