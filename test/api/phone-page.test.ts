import { type CarStore, createLampApi, type LampPort } from '../../lib/api';
import { loadPhonePage, PHONE_PAGE_FILES, phonePageRoutes } from '../../lib/api/phone-page';
import { twoCarConfig } from '../sim/support';

const page = loadPhonePage();
const unusedPort: LampPort = {
  publishLampCommand: async () => {
    throw new Error('not used');
  },
};
const unusedStore: CarStore = {
  readCar: async () => {
    throw new Error('not used');
  },
};
const api = createLampApi({
  config: twoCarConfig(),
  lamps: unusedPort,
  store: unusedStore,
  authorize: async () => false,
  extraRoutes: phonePageRoutes(page),
});
const get = (path: string) => api.handle({ method: 'GET', path, headers: {} });

test('GET / serves the page without a token', async () => {
  const response = await get('/');
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(response.body).toBe(page.get('index.html'));
});

test('the API behind the page still needs a token', async () => {
  expect((await get('/api/cars')).status).toBe(401);
});

test.each(Object.entries(PHONE_PAGE_FILES))('%s is served with its media type', async (name, type) => {
  const response = await get(`/${name}`);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe(type);
});

test('a file outside the page is not found', async () => {
  const response = await get('/..%2Fpackage.json');
  expect(response.status).toBe(404);
  expect(JSON.parse(response.body).error.code).toBe('not_found');
});

test('a name inherited by every object is not mistaken for a file', async () => {
  expect((await get('/constructor')).status).toBe(404);
});

test('the page forbids inline and foreign scripts', async () => {
  const csp = (await get('/')).headers['content-security-policy'];
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
});

test('every file the page links to is one that is served', () => {
  const html = page.get('index.html')!;
  const links = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((match) => match[1]);
  expect(links.length).toBeGreaterThan(0);
  for (const link of links) expect(Object.keys(PHONE_PAGE_FILES)).toContain(link);
});

test('the manifest lets the page be added to the home screen', () => {
  const manifest = JSON.parse(page.get('manifest.webmanifest')!);
  expect(manifest).toMatchObject({ name: expect.any(String), short_name: 'plamo', start_url: './', display: 'standalone' });
  for (const icon of manifest.icons) expect(Object.keys(PHONE_PAGE_FILES)).toContain(icon.src);
});

test('the page has no inline script for the policy to block', () => {
  expect(page.get('index.html')).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
});
