import type { ApiRequest, ApiResponse } from './http';
import { ApiError, badRequest, notFound, shorten } from './http';

/** Path parameters by name, e.g. `{ car: 'rps13' }` for `/api/cars/{car}`. */
export type PathParams = Readonly<Record<string, string>>;

/** A route by what it answers: an HTTP method and a path. */
export interface RouteKey {
  readonly method: string;
  /** Segments in braces are parameters: `/api/cars/{car}/lamps/{target}`. */
  readonly path: string;
  /**
   * Served without a token: only the phone page's files, which hold no data.
   * @default false - the request needs a valid token
   */
  readonly public?: boolean;
}

export interface Route extends RouteKey {
  handle(request: ApiRequest, params: PathParams): Promise<ApiResponse>;
}

/**
 * The segments of an already-decoded path, the one form that both the token check and the routing look at.
 * Empty (`//`, trailing `/`) and dot (`.`, `..`) segments are refused rather than normalised: no route has
 * them, and a path that reaches a route only after rewriting is a path some other layer read differently.
 */
export function canonicalSegments(path: string): string[] {
  if (path === '/') return [''];
  const segments = path.split('/');
  const [root, ...rest] = segments;
  if (root !== '' || rest.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw badRequest(`path: '${shorten(path)}' is not canonical; no empty, '.' or '..' segments`);
  }
  return rest;
}

function matchPath(pattern: string, segments: readonly string[]): PathParams | undefined {
  const wanted = pattern === '/' ? [''] : pattern.split('/').slice(1);
  if (wanted.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < wanted.length; i++) {
    const name = /^\{(\w+)\}$/.exec(wanted[i])?.[1];
    if (name !== undefined && segments[i] !== '') params[name] = segments[i];
    else if (wanted[i] !== segments[i]) return undefined;
  }
  return params;
}

export type RouteMatch = { readonly route: Route; readonly params: PathParams } | { readonly refusal: ApiError };

/** The route for a method and path: a 404 refusal when no route has the path, 405 (with `Allow`) when none has the method. */
export function matchRoute(routes: readonly Route[], method: string, segments: readonly string[]): RouteMatch {
  const matches = routes.flatMap((route) => {
    const params = matchPath(route.path, segments);
    return params ? [{ route, params }] : [];
  });
  if (matches.length === 0) {
    return { refusal: notFound(`no such resource: ${shorten(method, 16)} /${shorten(segments.join('/'), 200)}`) };
  }
  const wanted = method.toUpperCase();
  const found = matches.find((match) => match.route.method === wanted);
  if (found) return found;
  const allow = [...new Set(matches.map((match) => match.route.method))].join(', ');
  return { refusal: new ApiError(405, 'method_not_allowed', `${shorten(wanted, 16)} is not allowed here; use ${allow}`, { allow }) };
}
