import { carTopics, DELIVERY, LIMITS, parseLampTopic, retainCommands, topicMatches } from '../../lib/contract';

describe('carTopics', () => {
  const topics = carTopics('cars', 'rps13');

  test('builds the v1 topic names under the root and car id', () => {
    expect(topics.lampSet('headlights')).toBe('cars/rps13/lamps/headlights/set');
    expect(topics.lampState('brake')).toBe('cars/rps13/lamps/brake/state');
    expect(topics.status).toBe('cars/rps13/status');
    expect(topics.telemetry).toBe('cars/rps13/telemetry');
    expect(topics.events).toBe('cars/rps13/events');
  });

  test('follows a custom root', () => {
    expect(carTopics('garage', 'ae86').lampSet('+')).toBe('garage/ae86/lamps/+/set');
  });

  test('parses lamp topics back, and nothing else', () => {
    expect(parseLampTopic('cars', topics.lampSet('turnLeft'))).toEqual({ car: 'rps13', lamp: 'turnLeft', kind: 'set' });
    expect(parseLampTopic('cars', topics.lampState('turnLeft'))).toEqual({ car: 'rps13', lamp: 'turnLeft', kind: 'state' });
    expect(parseLampTopic('cars', topics.status)).toBeUndefined();
    expect(parseLampTopic('garage', topics.lampSet('turnLeft'))).toBeUndefined();
    expect(parseLampTopic('cars', 'cars/rps13/lamps/a/b/set')).toBeUndefined();
  });
});

describe('delivery rules', () => {
  test('commands are retained only when the car restores its lamps after power-on', () => {
    expect(retainCommands('restore')).toBe(true);
    expect(retainCommands('off')).toBe(false);
  });

  test('state and status are retained at QoS 1; telemetry and events are fire-and-forget', () => {
    expect(DELIVERY.lampState).toEqual({ qos: 1, retain: true });
    expect(DELIVERY.status).toEqual({ qos: 1, retain: true });
    expect(DELIVERY.telemetry).toEqual({ qos: 0, retain: false });
    expect(DELIVERY.events).toEqual({ qos: 0, retain: false });
    expect(DELIVERY.lampSet.qos).toBe(1);
  });

  test('payloads are capped at 512 bytes and ids at 36 characters', () => {
    expect(LIMITS.payloadMaxBytes).toBe(512);
    expect(LIMITS.commandIdMaxLength).toBe(36);
  });
});

describe('topicMatches (MQTT 3.1.1 section 4.7)', () => {
  test.each([
    ['cars/+/status', 'cars/rps13/status', true],
    ['cars/+/status', 'cars/rps13/lamps/status', false],
    ['cars/rps13/lamps/+/set', 'cars/rps13/lamps/headlights/set', true],
    ['cars/rps13/lamps/+/set', 'cars/rps13/lamps/headlights/state', false],
    ['cars/rps13/#', 'cars/rps13', true],
    ['cars/rps13/#', 'cars/rps13/lamps/a/set', true],
    ['cars/rps13/#', 'cars/s14/status', false],
    ['cars/rps13/status', 'cars/rps13/status', true],
    ['cars/rps13/status', 'cars/rps13/status/x', false],
    ['+', 'cars', true],
    ['+', 'cars/rps13', false],
  ])('%s against %s → %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});
