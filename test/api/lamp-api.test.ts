import { BrokerBusyError, createLampApi, header, type LampApiOptions } from '../../lib/api';
import { carTopics, lampCommandSchema, lampEffectSchema } from '../../lib/contract';
import { parseConfig } from '../../lib/config';
import { MemoryCarStore } from '../../lib/sim/memory-car-store';
import { FakeLampPort, FIXED_ID, FIXED_TS, jsonRequest, testConfig } from './fixtures';

/** The test cars' topics, from the contract. */
const topics = (car: string) => carTopics(testConfig.topicRoot, car);

function setup(options: Partial<LampApiOptions> = {}) {
  const port = new FakeLampPort();
  const store = new MemoryCarStore(testConfig.topicRoot);
  const api = createLampApi({
    config: testConfig,
    lamps: port,
    store,
    authorize: async () => true,
    now: () => FIXED_TS,
    newId: () => FIXED_ID,
    ...options,
  });
  const call = async (...args: Parameters<typeof jsonRequest>) => {
    const response = await api.handle(jsonRequest(...args));
    return { ...response, json: JSON.parse(response.body) };
  };
  return { port, store, api, call };
}

describe('lamp API core: reading', () => {
  test('GET /api/cars lists every car with what the picture needs, but no pins or Wi-Fi', async () => {
    const { call } = setup();
    const { status, json, body } = await call('GET', '/api/cars');
    expect(status).toBe(200);
    expect(json.cars.map((car: { id: string }) => car.id)).toEqual(['rps13', 'ae86-trueno']);
    expect(json.cars[0].blinkPerMin).toBe(85);
    expect(json.cars[0].lamps[0]).toEqual({
      name: 'headlights',
      label: 'Headlights',
      kind: 'pwm',
      dimmable: true,
      blinksByDefault: false,
      colour: 'white',
      position: 'front',
      tailLevel: null,
      pod: null,
    });
    expect(json.cars[0].lamps[1]).toMatchObject({ name: 'turnLeft', kind: 'blinker', dimmable: false, blinksByDefault: true });
    expect(json.cars[0].lamps[3]).toMatchObject({ name: 'brake', label: null, colour: 'red', position: 'rear', tailLevel: 20 });
    expect(json.cars[0].groups).toEqual([{ name: 'hazard', label: 'Hazard lights', lamps: ['turnLeft', 'turnRight'] }]);
    expect(json.cars[0].scenes).toEqual([
      { name: 'night', label: null, lamps: { headlights: { mode: 'on' }, brake: { mode: 'on', brightness: 20 } } },
      { name: 'parked', label: null, lamps: { headlights: { mode: 'off' }, turnLeft: { mode: 'blink' }, turnRight: { mode: 'blink' } } },
    ]);
    expect(body).not.toMatch(/GP2|garage-2g/);
  });

  test('GET /api/cars/{car} shows desired, reported and pending per lamp, and online from the status', async () => {
    const { store, call } = setup();
    store.ingest(topics('rps13').status, '{"online":true,"fw":"1.0.0","ip":"10.0.0.7"}', 1000);
    store.ingest(topics('rps13').lampSet('headlights'), '{"mode":"on","brightness":80,"id":"a","ts":1}', 2000);
    store.ingest(topics('rps13').lampState('headlights'), '{"mode":"on","brightness":80,"id":"a","ts":2}', 2014);
    store.ingest(topics('rps13').lampSet('brake'), '{"mode":"blink","id":"b","ts":3}', 3000);
    const { status, json } = await call('GET', '/api/cars/rps13');
    expect(status).toBe(200);
    expect(json).toMatchObject({ online: true, since: 1000, lastSeen: 2014, lastCommandLatencyMs: 14 });
    expect(json.lamps.headlights).toEqual({
      desired: { mode: 'on', brightness: 80, id: 'a', ts: 1 },
      reported: { mode: 'on', brightness: 80, id: 'a', ts: 2 },
      pending: false,
    });
    expect(json.lamps.brake).toEqual({ desired: { mode: 'blink', id: 'b', ts: 3 }, reported: null, pending: true });
  });

  test("a lamp's reported pod position is passed on; anything else in its place is dropped", async () => {
    const { store, call } = setup();
    store.ingest(topics('rps13').lampState('headlights'), '{"mode":"on","brightness":100,"id":"a","ts":2,"pod":"moving"}', 2000);
    store.ingest(topics('rps13').lampState('brake'), '{"mode":"on","brightness":100,"id":"a","ts":2,"pod":"<b>"}', 2000);
    const { json } = await call('GET', '/api/cars/rps13');
    expect(json.lamps.headlights.reported).toEqual({ mode: 'on', brightness: 100, id: 'a', ts: 2, pod: 'moving' });
    expect(json.lamps.brake.reported).toEqual({ mode: 'on', brightness: 100, id: 'a', ts: 2 });
  });

  test('a command the car got on reconnecting counts for no latency', async () => {
    const { store, call } = setup();
    store.ingest(topics('rps13').lampSet('headlights'), '{"mode":"on","id":"a","ts":1}', 1000);
    store.ingest(topics('rps13').status, '{"online":true,"fw":"1.0.0","ip":"10.0.0.7"}', 30_000);
    store.ingest(topics('rps13').lampState('headlights'), '{"mode":"on","brightness":100,"id":"a","ts":2}', 30_050);
    expect((await call('GET', '/api/cars/rps13')).json.lastCommandLatencyMs).toBeNull();
  });

  test('GET /api/cars/{car} is one read of the store', async () => {
    const { store, call } = setup();
    await call('GET', '/api/cars/rps13');
    await call('GET', '/api/cars/rps13');
    expect(store.reads.get('rps13')).toBe(2);
  });

  test('GET /api/cars/{car} shows null for missing or malformed messages', async () => {
    const { store, call } = setup();
    store.ingest(topics('rps13').lampState('turnLeft'), 'not json');
    store.ingest(topics('rps13').lampState('turnRight'), '{"mode":"sideways","ts":1}');
    const { json } = await call('GET', '/api/cars/rps13');
    expect(json).toMatchObject({ online: null, since: null, health: null, lastCommandLatencyMs: null, events: [] });
    expect(json.lamps.turnLeft).toEqual({ desired: null, reported: null, pending: false });
    expect(json.lamps.turnRight.reported).toBeNull();
  });

  test('a car that does not retain commands shows no desired state', async () => {
    const { store, call } = setup();
    store.ingest(topics('ae86-trueno').lampSet('foglamps'), '{"mode":"on","id":"old","ts":1}');
    store.ingest(topics('ae86-trueno').lampState('foglamps'), '{"mode":"off","brightness":0,"id":null,"ts":2}');
    const { json } = await call('GET', '/api/cars/ae86-trueno');
    expect(json.lamps.foglamps).toEqual({ desired: null, reported: { mode: 'off', brightness: 0, id: null, ts: 2 }, pending: false });
  });

  test('the last will makes a car offline, since when it came', async () => {
    const { store, call } = setup();
    store.ingest(topics('rps13').status, '{"online":true,"fw":"1.0.0","ip":"10.0.0.7"}', 1000);
    store.ingest(topics('rps13').status, '{"online":false}', 5000);
    expect((await call('GET', '/api/cars/rps13')).json).toMatchObject({ online: false, since: 5000 });
  });

  test('the health comes from the last telemetry', async () => {
    const { store, call } = setup();
    const telemetry = { uptime_s: 3600, heap_free: 61000, heap_min_free: 52000, rssi: -61, reconnects: 2, fw: '1.2.0' };
    store.ingest(topics('rps13').telemetry, JSON.stringify(telemetry), 7000);
    const { json } = await call('GET', '/api/cars/rps13');
    expect(json.health).toEqual({ at: 7000, uptimeS: 3600, heapFree: 61000, rssi: -61, reconnects: 2, fw: '1.2.0' });
    expect(json.lastSeen).toBe(7000);
  });

  test('the latest 20 events come newest first; an unreadable one is shown as its text', async () => {
    const { store, call } = setup();
    for (let i = 0; i < 25; i++)
      store.ingest(topics('rps13').events, JSON.stringify({ level: 'warn', code: 'bad_payload', detail: `#${i}` }), 1000 + i);
    store.ingest(topics('rps13').events, 'garbled', 2000);
    const { json } = await call('GET', '/api/cars/rps13');
    expect(json.events).toHaveLength(20);
    expect(json.events[0]).toEqual({ at: 2000, level: 'warn', code: 'unreadable', detail: 'garbled' });
    expect(json.events[1]).toEqual({ at: 1024, level: 'warn', code: 'bad_payload', detail: '#24' });
    expect(json.events[19].detail).toBe('#6');
  });
});

describe('lamp API core: commands', () => {
  test('PUT on a lamp publishes one contract payload with a fresh id and ts, QoS 1, retained for powerOn "restore"', async () => {
    const { port, call } = setup();
    const { status, json } = await call('PUT', '/api/cars/rps13/lamps/headlights', { mode: 'on', brightness: 40 });
    expect(status).toBe(202);
    expect(json).toEqual({ id: FIXED_ID, car: 'rps13', lamps: { headlights: { mode: 'on', brightness: 40 } } });
    expect(port.published).toEqual([
      {
        topic: topics('rps13').lampSet('headlights'),
        payload: { mode: 'on', brightness: 40, id: FIXED_ID, ts: FIXED_TS },
        options: { qos: 1, retain: true },
      },
    ]);
    expect(lampCommandSchema.safeParse(port.published[0].payload).success).toBe(true);
  });

  test('a fade goes to the car with the command, and a PATCH gives each lamp its own', async () => {
    let n = 0;
    const { port, call } = setup({ newId: () => `id-${++n}` });
    await call('PUT', '/api/cars/rps13/lamps/headlights', { mode: 'on', brightness: 60, transitionMs: 1500 });
    await call('PATCH', '/api/cars/rps13/lamps', { headlights: { mode: 'off', transitionMs: 800 }, brake: 'on' });
    expect(port.published.map((p) => p.payload)).toEqual([
      { mode: 'on', brightness: 60, transitionMs: 1500, id: 'id-1', ts: FIXED_TS },
      { mode: 'off', transitionMs: 800, id: 'id-2', ts: FIXED_TS },
      { mode: 'on', id: 'id-2', ts: FIXED_TS },
    ]);
    for (const { payload } of port.published) expect(lampCommandSchema.safeParse(payload).success).toBe(true);
  });

  test('a car with powerOn "off" gets commands that are not retained', async () => {
    const { port, call } = setup();
    await call('PUT', '/api/cars/ae86-trueno/lamps/foglamps', { mode: 'on' });
    expect(port.published[0].options).toEqual({ qos: 1, retain: false });
  });

  test('PUT on a group fans out to its lamps with one shared id', async () => {
    const { port, call } = setup();
    const { json } = await call('PUT', '/api/cars/rps13/lamps/hazard', { mode: 'blink' });
    expect(port.published.map((p) => p.topic)).toEqual([topics('rps13').lampSet('turnLeft'), topics('rps13').lampSet('turnRight')]);
    expect(new Set(port.published.map((p) => p.payload.id))).toEqual(new Set([FIXED_ID]));
    expect(Object.keys(json.lamps)).toEqual(['turnLeft', 'turnRight']);
  });

  test('PATCH sets several lamps at once, bare modes and objects alike', async () => {
    const { port, call } = setup();
    const { status } = await call('PATCH', '/api/cars/rps13/lamps', { headlights: 'on', brake: { mode: 'on', brightness: 100 } });
    expect(status).toBe(202);
    expect(port.published.map((p) => [p.topic, p.payload.mode, p.payload.brightness])).toEqual([
      [topics('rps13').lampSet('headlights'), 'on', undefined],
      [topics('rps13').lampSet('brake'), 'on', 100],
    ]);
  });

  test('in a PATCH a later key wins over an earlier group for the same lamp', async () => {
    const { port, call } = setup();
    await call('PATCH', '/api/cars/rps13/lamps', { hazard: 'blink', turnLeft: 'off' });
    expect(port.published.map((p) => [p.topic, p.payload.mode])).toEqual([
      [topics('rps13').lampSet('turnLeft'), 'off'],
      [topics('rps13').lampSet('turnRight'), 'blink'],
    ]);
  });

  test('POST a scene publishes its commands, groups resolved', async () => {
    const { port, call } = setup();
    const { status } = await call('POST', '/api/cars/rps13/scenes/parked');
    expect(status).toBe(202);
    expect(port.published.map((p) => [p.topic, p.payload.mode])).toEqual([
      [topics('rps13').lampSet('headlights'), 'off'],
      [topics('rps13').lampSet('turnLeft'), 'blink'],
      [topics('rps13').lampSet('turnRight'), 'blink'],
    ]);
  });

  test('a scene accepts an empty JSON object as its body', async () => {
    const { call } = setup();
    expect((await call('POST', '/api/cars/rps13/scenes/night', {})).status).toBe(202);
  });
});

describe('lamp API core: client errors', () => {
  const cases: [string, Parameters<typeof jsonRequest>, number, string, RegExp][] = [
    ['unknown car', ['GET', '/api/cars/s15'], 404, 'not_found', /car 's15' not found; known: rps13, ae86-trueno/],
    ['unknown lamp', ['PUT', '/api/cars/rps13/lamps/fog', { mode: 'on' }], 404, 'not_found', /lamp or group 'fog' not found/],
    [
      'unknown scene',
      ['POST', '/api/cars/rps13/scenes/party'],
      404,
      'not_found',
      /scene 'party' not found on car 'rps13'; known: night, parked/,
    ],
    ['an inherited name is no lamp', ['PUT', '/api/cars/rps13/lamps/constructor', { mode: 'on' }], 404, 'not_found', /constructor/],
    ['unknown path', ['GET', '/api/trucks'], 404, 'not_found', /no such resource/],
    ['wrong method', ['DELETE', '/api/cars/rps13'], 405, 'method_not_allowed', /use GET/],
    ['missing body', ['PUT', '/api/cars/rps13/lamps/headlights'], 400, 'bad_request', /^body: required/],
    ['bad JSON', ['PUT', '/api/cars/rps13/lamps/headlights', '{"mode":'], 400, 'bad_request', /^body: not valid JSON/],
    [
      'bad mode',
      ['PUT', '/api/cars/rps13/lamps/headlights', { mode: 'dim' }],
      400,
      'bad_request',
      /^mode: must be one of "on", "off", "blink"/,
    ],
    [
      'brightness over 100',
      ['PUT', '/api/cars/rps13/lamps/headlights', { mode: 'on', brightness: 101 }],
      400,
      'bad_request',
      /^brightness: /,
    ],
    [
      'fractional brightness',
      ['PUT', '/api/cars/rps13/lamps/headlights', { mode: 'on', brightness: 2.5 }],
      400,
      'bad_request',
      /^brightness: /,
    ],
    [
      'unknown field',
      ['PUT', '/api/cars/rps13/lamps/headlights', { mode: 'on', colour: 'red' }],
      400,
      'bad_request',
      /^colour: unknown field/,
    ],
    [
      "a command id of its own, non-ASCII (ids are the API's: printable ASCII, made for each request)",
      ['PUT', '/api/cars/rps13/lamps/headlights', { mode: 'on', id: 'ライト' }],
      400,
      'bad_request',
      /^id: unknown field/,
    ],
    ['body not an object', ['PUT', '/api/cars/rps13/lamps/headlights', '[1]'], 400, 'bad_request', /^body: expected a JSON object/],
    [
      'brightness on a blinker',
      ['PUT', '/api/cars/rps13/lamps/hazard', { mode: 'on', brightness: 50 }],
      400,
      'bad_request',
      /^brightness: turnLeft, turnRight cannot dim/,
    ],
    [
      'a fade longer than 5 s',
      ['PUT', '/api/cars/rps13/lamps/headlights', { mode: 'on', transitionMs: 5001 }],
      400,
      'bad_request',
      /^transitionMs: must be a whole number of ms from 0 to 5000/,
    ],
    [
      'a fade on a blinker in a PATCH',
      ['PATCH', '/api/cars/rps13/lamps', { hazard: { mode: 'on', transitionMs: 300 } }],
      400,
      'bad_request',
      /^hazard\.transitionMs: turnLeft, turnRight cannot fade/,
    ],
    [
      'brightness on a blinker in a PATCH',
      ['PATCH', '/api/cars/rps13/lamps', { turnLeft: { mode: 'on', brightness: 5 } }],
      400,
      'bad_request',
      /^turnLeft\.brightness: turnLeft cannot dim/,
    ],
    [
      'unknown lamp in a PATCH',
      ['PATCH', '/api/cars/rps13/lamps', { fog: 'on' }],
      400,
      'bad_request',
      /^fog: not a lamp or group of car 'rps13'/,
    ],
    ['bad mode in a PATCH', ['PATCH', '/api/cars/rps13/lamps', { headlights: 'dim' }], 400, 'bad_request', /^headlights: must be one of/],
    ['empty PATCH', ['PATCH', '/api/cars/rps13/lamps', {}], 400, 'bad_request', /^body: name at least one lamp/],
    [
      'a scene with a body',
      ['POST', '/api/cars/rps13/scenes/night', { headlights: 'off' }],
      400,
      'bad_request',
      /^body: a scene takes no body/,
    ],
    ['a doubled slash', ['GET', '/api//cars'], 400, 'bad_request', /^path: '\/api\/\/cars' is not canonical/],
    ['a dot segment', ['GET', '/api/cars/../cars'], 400, 'bad_request', /^path: .* is not canonical/],
    ['a trailing slash', ['GET', '/api/cars/'], 400, 'bad_request', /^path: .* is not canonical/],
  ];

  test.each(cases)('%s', async (_name, args, status, code, message) => {
    const { port, call } = setup();
    const response = await call(...args);
    expect(response.status).toBe(status);
    expect(response.json.error.code).toBe(code);
    expect(response.json.error.message).toMatch(message);
    expect(port.published).toEqual([]);
  });

  test('405 names the allowed methods in an Allow header', async () => {
    const { call } = setup();
    expect((await call('POST', '/api/cars')).headers.allow).toBe('GET');
  });

  test('a body that is not JSON is a 415', async () => {
    const { call } = setup();
    const response = await call('PUT', '/api/cars/rps13/lamps/headlights', 'mode=on', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(response.status).toBe(415);
    expect(response.json.error.code).toBe('unsupported_media_type');
  });

  test('a body without a content type is a 415', async () => {
    const { api } = setup();
    const response = await api.handle({ method: 'PUT', path: '/api/cars/rps13/lamps/headlights', headers: {}, body: '{"mode":"on"}' });
    expect(response.status).toBe(415);
  });

  test('a JSON content type with a charset is accepted', async () => {
    const { call } = setup();
    const response = await call(
      'PUT',
      '/api/cars/rps13/lamps/headlights',
      { mode: 'on' },
      { 'Content-Type': 'application/json; charset=UTF-8' },
    );
    expect(response.status).toBe(202);
  });

  test('a body over 4 KB is a 413', async () => {
    const { call } = setup();
    const response = await call('PUT', '/api/cars/rps13/lamps/headlights', { mode: 'on', pad: 'x'.repeat(4096) });
    expect(response.status).toBe(413);
    expect(response.json.error.message).toBe('body: at most 4096 bytes');
  });

  test('the path is never decoded a second time: a percent sign in it stays a percent sign', async () => {
    const { call } = setup();
    const response = await call('GET', '/api/cars/rps%31%33');
    expect(response.status).toBe(404);
    expect(response.json.error.message).toMatch(/^car 'rps%31%33' not found/);
  });
});

describe('lamp API core: a partly throttled command and its retry', () => {
  /** A broker that refuses the lamps named in `busy` while they are in it. */
  function throttling(busy: Set<string>) {
    const port = new FakeLampPort();
    const publish = port.publishLampCommand.bind(port);
    port.publishLampCommand = async (topic, payload, options) => {
      if ([...busy].some((lamp) => topic === topics('rps13').lampSet(lamp))) throw new BrokerBusyError(2);
      return publish(topic, payload, options);
    };
    return port;
  }
  const command = { headlights: 'on', brake: 'on', turnLeft: 'blink' };

  test('answers 503 naming the lamps that were published, those that were not, and the id to retry with', async () => {
    const port = throttling(new Set(['brake']));
    const { call } = setup({ lamps: port });
    const response = await call('PATCH', '/api/cars/rps13/lamps', command);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    expect(response.json).toMatchObject({ id: FIXED_ID, published: ['headlights', 'turnLeft'], unpublished: ['brake'] });
    expect(response.json.error.code).toBe('broker_busy');
    expect(port.published.map(({ topic }) => topic).sort()).toEqual(
      [topics('rps13').lampSet('headlights'), topics('rps13').lampSet('turnLeft')].sort(),
    );
  });

  test('a retry with the same command id publishes only the lamps left out, once each', async () => {
    const busy = new Set(['brake']);
    const port = throttling(busy);
    const { call } = setup({ lamps: port, newId: () => 'never-used-on-retry' });
    const first = await call('PATCH', '/api/cars/rps13/lamps', command, { 'Idempotency-Key': 'phone-cmd-1' });
    expect(first.status).toBe(503);
    busy.clear();
    const retry = await call('PATCH', '/api/cars/rps13/lamps', command, { 'Idempotency-Key': first.json.id });
    expect(retry.status).toBe(202);
    expect(retry.json.id).toBe('phone-cmd-1');
    const perLamp = port.published.map(({ topic }) => topic).sort();
    expect(perLamp).toEqual(['brake', 'headlights', 'turnLeft'].map((lamp) => topics('rps13').lampSet(lamp)).sort());
    expect(port.published.every(({ payload }) => payload.id === 'phone-cmd-1')).toBe(true);
    // A third try of the finished command publishes nothing more.
    expect((await call('PATCH', '/api/cars/rps13/lamps', command, { 'Idempotency-Key': 'phone-cmd-1' })).status).toBe(202);
    expect(port.published).toHaveLength(3);
  });

  test('an Idempotency-Key that cannot be a command id is a 400', async () => {
    const { port, call } = setup();
    const response = await call('PUT', '/api/cars/rps13/lamps/headlights', { mode: 'on' }, { 'Idempotency-Key': 'x'.repeat(37) });
    expect(response.status).toBe(400);
    expect(response.json.error.message).toMatch(/^idempotency-key: 1 to 36 printable ASCII characters/);
    expect(port.published).toEqual([]);
  });
});

describe('lamp API core: server errors', () => {
  test('a busy broker is a 503 with Retry-After', async () => {
    const { BrokerBusyError } = await import('../../lib/api');
    const port = new FakeLampPort();
    port.publishLampCommand = async () => {
      throw new BrokerBusyError(2);
    };
    const api = createLampApi({
      config: testConfig,
      lamps: port,
      store: new MemoryCarStore(testConfig.topicRoot),
      authorize: async () => true,
    });
    const response = await api.handle(jsonRequest('PUT', '/api/cars/rps13/lamps/headlights', { mode: 'on' }));
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    expect(JSON.parse(response.body).error.code).toBe('broker_busy');
  });

  test('an unexpected failure is a 500 with a generic message, reported to the observer', async () => {
    const port = new FakeLampPort();
    const store = {
      readCar: async () => {
        throw new Error('socket hang up at /var/task/index.js:1:2');
      },
    };
    const unexpected: unknown[] = [];
    const api = createLampApi({
      config: testConfig,
      lamps: port,
      store,
      authorize: async () => true,
      observer: { unexpectedError: (error) => unexpected.push(error) },
    });
    const response = await api.handle(jsonRequest('GET', '/api/cars/rps13'));
    expect(response.status).toBe(500);
    expect(response.body).not.toMatch(/socket|index\.js/);
    expect(unexpected).toHaveLength(1);
  });
});

const publicPage = { method: 'GET', path: '/', public: true, handle: async () => ({ status: 200, headers: {}, body: '"page"' }) };

describe('lamp API core: observer, auth and extra routes', () => {
  test('the observer hears every published command and every refused request', async () => {
    const commands: string[] = [];
    const failures: string[] = [];
    const { call } = setup({
      observer: { commandPublished: (car, lamp) => commands.push(`${car}/${lamp}`), requestFailed: (error) => failures.push(error.code) },
    });
    await call('PUT', '/api/cars/rps13/lamps/hazard', { mode: 'blink' });
    await call('GET', '/api/cars/s15');
    expect(commands).toEqual(['rps13/turnLeft', 'rps13/turnRight']);
    expect(failures).toEqual(['not_found']);
  });

  test('with an authorize check, an /api/ request it refuses is a 401 with WWW-Authenticate', async () => {
    const { call } = setup({ authorize: async (request) => header(request, 'authorization') === 'Bearer good' });
    const response = await call('GET', '/api/cars', undefined, { Authorization: 'Bearer bad' });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.json.error.code).toBe('unauthorized');
  });

  test('with an authorize check, an /api/ request it accepts is served', async () => {
    const { call } = setup({ authorize: async (request) => header(request, 'authorization') === 'Bearer good' });
    expect((await call('GET', '/api/cars', undefined, { authorization: 'Bearer good' })).status).toBe(200);
  });

  test.each([
    ['an unknown /api/ path', 'GET', '/api/anything'],
    ['an unknown path outside /api/', 'GET', '/x/y'],
    ['a known path with the wrong method', 'DELETE', '/api/cars'],
    ['a public path with a method it does not serve', 'POST', '/'],
  ])('%s is a 401 without a token, never a 404 or 405', async (_name, method, path) => {
    const { call } = setup({ authorize: async () => false, extraRoutes: [publicPage] });
    expect((await call(method, path)).status).toBe(401);
  });

  test('a route marked public is served without a token', async () => {
    const { call } = setup({ authorize: async () => false, extraRoutes: [publicPage] });
    expect((await call('GET', '/')).json).toBe('page');
  });

  test('an extra route that is not marked public needs the token like the API', async () => {
    const privateRoute = { ...publicPage, public: false };
    const { call } = setup({ authorize: async () => false, extraRoutes: [privateRoute] });
    expect((await call('GET', '/')).status).toBe(401);
  });
});

describe('lamp API core: effects', () => {
  test("GET /api/cars lists the effects the page can start: the flash and the config's, with their lamps and labels", async () => {
    const { call } = setup();
    const { json } = await call('GET', '/api/cars');
    expect(json.cars[0].effects).toEqual([
      { name: 'flash', label: null, lamps: null },
      { name: 'welcome', label: 'Welcome', lamps: ['turnLeft', 'turnRight', 'headlights'] },
    ]);
    expect(json.cars[1].effects).toEqual([{ name: 'flash', label: null, lamps: null }]);
  });

  test('a flash goes to the lamps named, for 400 ms unless the request says, never retained', async () => {
    const { port, call } = setup();
    const { status, json } = await call('POST', '/api/cars/rps13/effects/flash', { lamps: ['headlights', 'hazard'] });
    expect(status).toBe(202);
    expect(json.lamps).toEqual({
      headlights: { effect: 'flash', durationMs: 400 },
      turnLeft: { effect: 'flash', durationMs: 400 },
      turnRight: { effect: 'flash', durationMs: 400 },
    });
    expect(port.published.map((p) => [p.topic, p.options.retain])).toEqual(
      ['headlights', 'turnLeft', 'turnRight'].map((lamp) => [topics('rps13').lampSet(lamp), false]),
    );
    await call('POST', '/api/cars/rps13/effects/flash', { lamps: 'headlights', durationMs: 150 }, { 'idempotency-key': 'second' });
    expect(port.published.at(-1)?.payload).toEqual({ effect: 'flash', durationMs: 150, id: 'second', ts: FIXED_TS });
    for (const { payload } of port.published) expect(lampEffectSchema.safeParse(payload).success).toBe(true);
  });

  test.each([
    ['a flash without lamps', 'flash', {}, 400, /^lamps: name the lamp or group to flash/],
    ['a flash of a lamp the car lacks', 'flash', { lamps: 'fog' }, 400, /^lamps: 'fog' is not a lamp or group of car 'rps13'; known: /],
    [
      'a flash longer than 5 s',
      'flash',
      { lamps: 'headlights', durationMs: 5001 },
      400,
      /^durationMs: must be a whole number of ms from 1 to 5000/,
    ],
    ['a flash with a field it does not take', 'flash', { lamps: 'headlights', mode: 'on' }, 400, /^mode: unknown field/],
    ['a sequence with parameters', 'welcome', { durationMs: 100 }, 400, /^body: the effect 'welcome' takes no parameters/],
    ['an effect the car does not have', 'sparkle', undefined, 404, /^effect 'sparkle' not found on car 'rps13'; known: flash, welcome/],
  ])('%s is refused', async (_what, effect, body, status, message) => {
    const { port, call } = setup();
    const response = await call('POST', `/api/cars/rps13/effects/${effect}`, body);
    expect(response.status).toBe(status);
    expect(response.json.error.message).toMatch(message);
    expect(port.published).toEqual([]);
  });
});

test("the car store keeps a lamp's commands, not the effects played on it: GET still shows the state to restore", async () => {
  const { store, call } = setup();
  store.ingest(topics('rps13').lampSet('headlights'), '{"mode":"on","brightness":30,"id":"base","ts":1}', 1000);
  store.ingest(topics('rps13').lampSet('headlights'), '{"effect":"flash","durationMs":300,"id":"fx","ts":2}', 2000);
  const { json } = await call('GET', '/api/cars/rps13');
  expect(json.lamps.headlights.desired).toEqual({ mode: 'on', brightness: 30, id: 'base', ts: 1 });
});

test('a scene with a fade publishes it with each lamp it dims', async () => {
  const config = parseConfig({
    topicRoot: testConfig.topicRoot,
    cars: {
      rps13: {
        wifi: { ssid: 'garage-2g' },
        lamps: { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } },
        scenes: { night: { headlights: { mode: 'on', brightness: 70, transitionMs: 1200 } } },
      },
    },
  });
  const { port, call } = setup({ config });
  expect((await call('POST', '/api/cars/rps13/scenes/night')).status).toBe(202);
  expect(port.published.map((p) => p.payload)).toEqual([{ mode: 'on', brightness: 70, transitionMs: 1200, id: FIXED_ID, ts: FIXED_TS }]);
  expect(lampCommandSchema.safeParse(port.published[0].payload).success).toBe(true);
});
