import { MemoryCarStore } from '../../lib/sim/memory-car-store';
import fc from 'fast-check';
import { type ApiRequest, createLampApi, createTokenAuthorizer, header, issueToken, MemoryTokenStore } from '../../lib/api';
import { lampCommandSchema } from '../../lib/contract';
import { FakeLampPort, testConfig } from './fixtures';

const car = testConfig.cars.rps13;
const names = [...Object.keys(car.lamps), ...Object.keys(car.groups), ...Object.keys(car.scenes)];
const carIds = fc.constantFrom('rps13', 'ae86-trueno', 'zz', '__proto__');
const nameOrJunk = fc.oneof(fc.constantFrom(...names, 'fog', 'constructor', '%E0%A4'), fc.string({ maxLength: 10 }));

/** Paths shaped like the routes (so bodies get validated) mixed with arbitrary ones. */
const path = fc.oneof(
  fc.constant('/api/cars'),
  carIds.map((id) => `/api/cars/${id}`),
  fc.tuple(carIds, nameOrJunk).map(([id, name]) => `/api/cars/${id}/lamps/${name}`),
  carIds.map((id) => `/api/cars/${id}/lamps`),
  fc.tuple(carIds, nameOrJunk).map(([id, name]) => `/api/cars/${id}/scenes/${name}`),
  fc
    .array(fc.oneof(fc.constantFrom('api', 'cars', 'lamps', '', '..', '%'), fc.string({ maxLength: 12 })), { maxLength: 7 })
    .map((s) => `/${s.join('/')}`),
  fc.string({ maxLength: 40 }),
);
const method = fc.oneof(fc.constantFrom('GET', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'get'), fc.string({ maxLength: 8 }));
const mode = fc.oneof(fc.constantFrom('on', 'off', 'blink'), fc.jsonValue());
const jsonBody = fc
  .oneof(
    fc.record({ mode, brightness: fc.oneof(fc.integer({ min: -5, max: 105 }), fc.jsonValue()) }, { requiredKeys: ['mode'] }),
    fc.dictionary(
      fc.constantFrom(...names, 'fog', '__proto__'),
      fc.oneof(mode, fc.record({ mode, brightness: fc.integer({ min: 0, max: 100 }) })),
    ),
    fc.jsonValue(),
  )
  .map((value) => JSON.stringify(value) ?? 'null');
const body = fc.option(fc.oneof(jsonBody, jsonBody, fc.string({ maxLength: 64 }), fc.string({ minLength: 4090, maxLength: 4200 })), {
  nil: undefined,
});
const contentType = fc.option(
  fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/ld+json', ''),
  { nil: undefined },
);

/** Requests the API accepts, mixed in so every run also exercises the publishing paths. */
const accepted = fc.constantFrom(
  { method: 'PUT', path: '/api/cars/rps13/lamps/hazard', body: '{"mode":"blink"}' },
  { method: 'PUT', path: '/api/cars/rps13/lamps/headlights', body: '{"mode":"on","brightness":35}' },
  { method: 'PATCH', path: '/api/cars/rps13/lamps', body: '{"brake":"off","turnLeft":{"mode":"on"}}' },
  { method: 'POST', path: '/api/cars/rps13/scenes/night', body: undefined },
  { method: 'PUT', path: '/api/cars/ae86-trueno/lamps/foglamps', body: '{"mode":"off"}' },
);

describe('lamp API fuzz', () => {
  test('1,500 generated requests: never a 5xx, every error is { error: { code, message } }, every publish follows the contract', async () => {
    const store = new MemoryTokenStore();
    const { token } = await issueToken(store, 'fuzz');
    const authorizer = createTokenAuthorizer(store);
    const port = new FakeLampPort();
    const api = createLampApi({
      config: testConfig,
      lamps: port,
      store: new MemoryCarStore(testConfig.topicRoot),
      authorize: async (request) => (await authorizer(header(request, 'authorization'))).authorized,
    });
    const authorization = fc.oneof(
      { weight: 6, arbitrary: fc.constant(`Bearer ${token}`) },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
    const statuses = new Set<number>();

    // Other headers in any case, including spellings of the two the API reads.
    const headerName = fc.oneof(
      fc.constantFrom('Authorization', 'CONTENT-TYPE', 'Content-Length', 'x-forwarded-for', 'accept'),
      fc.string({ maxLength: 12 }),
    );
    const extraHeaders = fc.dictionary(headerName, fc.string({ maxLength: 40 }), { maxKeys: 4 });
    const generated = fc.record({ method, path, auth: authorization, type: contentType, body, extra: extraHeaders });
    // Mostly JSON, sometimes another media type, so the 415 path is reached on well-routed requests too.
    const acceptedType = fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain');
    const valid = fc.tuple(accepted, acceptedType).map(([request, type]) => ({ ...request, auth: `Bearer ${token}`, type, extra: {} }));
    const requests = fc.oneof({ weight: 5, arbitrary: generated }, { weight: 1, arbitrary: valid });

    await fc.assert(
      fc.asyncProperty(requests, async ({ method: m, path: p, auth, type, body: text, extra }) => {
        const headers: Record<string, string> = { ...extra };
        if (auth !== undefined) headers.authorization = auth;
        if (type !== undefined) headers['content-type'] = type;
        const request: ApiRequest = { method: m, path: p, headers, body: text };
        const response = await api.handle(request);
        statuses.add(response.status);
        expect(response.status).toBeLessThan(500);
        const parsed = JSON.parse(response.body);
        if (response.status >= 400) {
          expect(typeof parsed.error.code).toBe('string');
          expect(parsed.error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1500 },
    );
    for (const { payload } of port.published) expect(lampCommandSchema.safeParse(payload).success).toBe(true);
    // The generators must reach the interesting answers, or the property proves little.
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 202, 400, 401, 404, 405, 413, 415]));
  });
});
