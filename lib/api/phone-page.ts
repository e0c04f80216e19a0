import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ApiResponse, errorResponse, notFound } from './http';
import type { Route } from './router';

/**
 * The phone page (`web/`) as routes of the lamp API: `GET /` and `GET /<file>`. The same routes serve it
 * from the Lambda in AWS (the files are compiled into its bundle, see `PHONE_PAGE_DEFINE`) and from the local
 * twin (read from `web/`). They need no token: the page holds none until the phone opens its link, and the
 * token stays in the URL fragment.
 */

/** Every file of the page and its media type; nothing else under web/ is served. */
export const PHONE_PAGE_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'picture.js': 'text/javascript; charset=utf-8',
  'strings.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'manifest.webmanifest': 'application/manifest+json; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

/** The page's files by name, read once. */
export type PhonePage = ReadonlyMap<string, string>;

/** `web/` of this repository: two levels up from `lib/api/`. */
export const DEFAULT_WEB_DIR = join(__dirname, '..', '..', 'web');

export function loadPhonePage(dir: string = DEFAULT_WEB_DIR): PhonePage {
  return new Map(Object.keys(PHONE_PAGE_FILES).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

/**
 * The Lambda gets the page baked into its bundle at synth through esbuild's
 * `define` of this expression (about 25 KB of text; the bundle's budget is 150 KB).
 */
export const PHONE_PAGE_DEFINE = 'process.env.PLAMO_PHONE_PAGE';

/** The page as one JSON text, for `PHONE_PAGE_DEFINE`. */
export function serializePhonePage(page: PhonePage): string {
  return JSON.stringify(Object.fromEntries(page));
}

/** The page back from `serializePhonePage`; only the page's own file names are kept. */
export function parsePhonePage(json: string): PhonePage {
  const files: Record<string, unknown> = JSON.parse(json);
  return new Map(
    Object.keys(PHONE_PAGE_FILES)
      .filter((name) => typeof files[name] === 'string')
      .map((name) => [name, files[name] as string]),
  );
}

/** The HTTP API routes of the page; they carry no authorizer (see the module comment). */
export const PHONE_PAGE_ROUTE_PATHS = ['/', '/{file}'] as const;

/**
 * Only this origin's scripts, styles and API; no inline script, so an injected tag cannot run. The page
 * never needs to be framed, and no referrer leaves it.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

function fileResponse(page: PhonePage, name: string): ApiResponse {
  const body = page.get(name);
  const type = PHONE_PAGE_FILES[name];
  if (body === undefined || type === undefined) return errorResponse(notFound(`no such file: /${name.slice(0, 64)}`));
  // no-cache: the phone revalidates, so a new version of the page shows up on the next visit.
  return { status: 200, headers: { 'content-type': type, 'cache-control': 'no-cache', ...SECURITY_HEADERS }, body };
}

export function phonePageRoutes(page: PhonePage): Route[] {
  return [
    { method: 'GET', path: PHONE_PAGE_ROUTE_PATHS[0], public: true, handle: async () => fileResponse(page, 'index.html') },
    { method: 'GET', path: PHONE_PAGE_ROUTE_PATHS[1], public: true, handle: async (_request, params) => fileResponse(page, params.file) },
  ];
}
