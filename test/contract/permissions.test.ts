import {
  COMMAND_ID_PATTERN,
  controllerPermissions,
  devicePermissions,
  deviceSubscriptions,
  deviceUpdatePermissions,
  otaSubscriptions,
  LIMITS,
  MAX_LAMPS_PER_CAR,
} from '../../lib/contract';

const LAMPS = ['headlights', 'brake'];

describe('device permissions', () => {
  const rps13 = devicePermissions('cars', 'rps13', LAMPS);

  test('the client id is the thing name', () => {
    expect(rps13.clientId).toBe('rps13');
  });

  test("a car publishes only its own lamps' states, status, telemetry and events", () => {
    expect(rps13.publish).toEqual([
      'cars/rps13/lamps/headlights/state',
      'cars/rps13/lamps/brake/state',
      'cars/rps13/status',
      'cars/rps13/telemetry',
      'cars/rps13/events',
    ]);
  });

  test("a car subscribes to and receives exactly each configured lamp's set topic", () => {
    expect(rps13.subscribe).toEqual(['cars/rps13/lamps/headlights/set', 'cars/rps13/lamps/brake/set']);
    expect(rps13.receive).toEqual(rps13.subscribe);
    expect(deviceSubscriptions('cars', 'rps13', LAMPS)).toEqual(rps13.subscribe);
  });

  test('no wildcard is granted anywhere: every topic and filter is exact', () => {
    for (const topic of [...rps13.publish, ...rps13.subscribe]) expect(topic).not.toMatch(/[+#*?]/);
  });
});

describe('controller permissions', () => {
  const rps13 = controllerPermissions('cars', 'rps13', LAMPS);

  test("the API publishes only to that car's configured lamps", () => {
    expect(rps13.publish).toEqual(['cars/rps13/lamps/headlights/set', 'cars/rps13/lamps/brake/set']);
  });

  test('the API reads retained commands and states of each lamp, and the status, not telemetry', () => {
    expect(rps13.readRetained).toEqual([
      'cars/rps13/lamps/headlights/set',
      'cars/rps13/lamps/brake/set',
      'cars/rps13/lamps/headlights/state',
      'cars/rps13/lamps/brake/state',
      'cars/rps13/status',
    ]);
  });
});

test("a car's lamp limit is AWS IoT Core's subscriptions per connection, less its update topics, since the device subscribes once per lamp", () => {
  const lamps = Array.from({ length: MAX_LAMPS_PER_CAR }, (_, i) => `lamp${i}`);
  expect([...deviceSubscriptions('cars', 'rps13', lamps), ...otaSubscriptions('rps13')]).toHaveLength(LIMITS.subscriptionsPerConnection);
});

describe('command ids', () => {
  test('printable ASCII up to the limit is an id', () => {
    for (const id of ['a', ' ~!"\\{}', 'x'.repeat(LIMITS.commandIdMaxLength), crypto.randomUUID()]) expect(id).toMatch(COMMAND_ID_PATTERN);
  });

  test('empty, too long, control or non-ASCII characters are not', () => {
    for (const id of ['', 'x'.repeat(LIMITS.commandIdMaxLength + 1), 'tab\there', 'line\n', 'ü', 'ライト', '\u007f', 'a\u0000']) {
      expect(id).not.toMatch(COMMAND_ID_PATTERN);
    }
  });
});

describe('update permissions', () => {
  const updates = deviceUpdatePermissions('rps13');

  test("a car publishes only its own job queue requests, its update jobs' reports and its own stream's block requests", () => {
    expect(updates.publish).toEqual([
      '$aws/things/rps13/jobs/$next/get',
      '$aws/things/rps13/jobs/plamo-ota-*/update',
      '$aws/things/rps13/streams/plamo-ota-rps13/get/json',
    ]);
  });

  test('a car subscribes to and receives exactly the answers of its own job queue and stream', () => {
    expect(updates.subscribe).toEqual([
      '$aws/things/rps13/jobs/notify-next',
      '$aws/things/rps13/jobs/$next/get/accepted',
      '$aws/things/rps13/streams/plamo-ota-rps13/data/json',
      '$aws/things/rps13/streams/plamo-ota-rps13/rejected/json',
    ]);
    expect(updates.receive).toEqual(updates.subscribe);
  });

  test("the one wildcard is the update job's id, after the prefix every update job has", () => {
    const withWildcard = [...updates.publish, ...updates.subscribe].filter((topic) => /[+#*?]/.test(topic));
    expect(withWildcard).toEqual(['$aws/things/rps13/jobs/plamo-ota-*/update']);
  });
});
