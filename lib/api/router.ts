import type { ApiRequest, ApiResponse } from './http';
import { ApiError, badRequest, notFound, shorten } from './http';

/** Path parameters by name, e.g. `{ car: 'rps13' }` for `/api/cars/{car}`. */
export type PathParams = Readonly<Record<string, string>>;

export interface Route {
  readonly method: string;
  /** Segments in braces are parameters: `/api/cars/{car}/lamps/{target}`. */
  readonly path: string;
  handle(request: ApiRequest, params: PathParams): Promise<ApiResponse>;
}

/** The path without its query string, split into decoded segments. */
export function pathSegments(path: string): string[] {
  const pathname = path.split('?', 1)[0];
  return pathname.split('/').map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw badRequest(`path: '${shorten(segment)}' is not valid percent-encoding`);
    }
  });
}

function matchPath(pattern: string, segments: readonly string[]): PathParams | undefined {
  const wanted = pattern.split('/');
  if (wanted.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < wanted.length; i++) {
    const name = /^\{(\w+)\}$/.exec(wanted[i])?.[1];
    if (name !== undefined && segments[i] !== '') params[name] = segments[i];
    else if (wanted[i] !== segments[i]) return undefined;
  }
  return params;
}

/** Finds the route for a request: 404 when no route has the path, 405 (with `Allow`) when none has the method. */
export function findRoute(routes: readonly Route[], request: ApiRequest): { route: Route; params: PathParams } {
  const segments = pathSegments(request.path);
  const matches = routes.flatMap((route) => {
    const params = matchPath(route.path, segments);
    return params ? [{ route, params }] : [];
  });
  if (matches.length === 0) throw notFound(`no such resource: ${shorten(request.method, 16)} ${shorten(segments.join('/') || '/', 200)}`);
  const method = request.method.toUpperCase();
  const found = matches.find((match) => match.route.method === method);
  if (found) return found;
  const allow = [...new Set(matches.map((match) => match.route.method))].join(', ');
  throw new ApiError(405, 'method_not_allowed', `${shorten(method, 16)} is not allowed here; use ${allow}`, { allow });
}
