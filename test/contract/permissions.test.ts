import { controllerPermissions, devicePermissions, iotPolicyTopicPattern, subscriptionAllowed, topicAllowed } from '../../lib/contract';

describe('device permissions', () => {
  const rps13 = devicePermissions('cars', 'rps13');

  test('the client id is the thing name', () => {
    expect(rps13.clientId).toBe('rps13');
  });

  test('a car publishes only its own state, status, telemetry and events', () => {
    expect(topicAllowed(rps13.publish, 'cars/rps13/lamps/headlights/state')).toBe(true);
    expect(topicAllowed(rps13.publish, 'cars/rps13/status')).toBe(true);
    expect(topicAllowed(rps13.publish, 'cars/rps13/telemetry')).toBe(true);
    expect(topicAllowed(rps13.publish, 'cars/rps13/events')).toBe(true);
    expect(topicAllowed(rps13.publish, 'cars/rps13/lamps/headlights/set')).toBe(false);
    expect(topicAllowed(rps13.publish, 'cars/s14/status')).toBe(false);
  });

  test('a car subscribes only to its own command filter', () => {
    expect(subscriptionAllowed(rps13, 'cars/rps13/lamps/+/set')).toBe(true);
    expect(subscriptionAllowed(rps13, 'cars/rps13/lamps/brake/set')).toBe(true);
    expect(subscriptionAllowed(rps13, 'cars/+/lamps/+/set')).toBe(false);
    expect(subscriptionAllowed(rps13, 'cars/rps13/#')).toBe(false);
    expect(subscriptionAllowed(rps13, 'cars/s14/lamps/+/set')).toBe(false);
  });

  test('wildcards are never accepted where a concrete topic is needed', () => {
    expect(topicAllowed(rps13.publish, 'cars/rps13/lamps/+/state')).toBe(false);
    expect(topicAllowed(rps13.receive, 'cars/rps13/lamps/#')).toBe(false);
  });
});

describe('controller permissions', () => {
  const rps13 = controllerPermissions('cars', 'rps13');

  test('the API publishes only commands to that car', () => {
    expect(topicAllowed(rps13.publish, 'cars/rps13/lamps/hazard/set')).toBe(true);
    expect(topicAllowed(rps13.publish, 'cars/rps13/status')).toBe(false);
    expect(topicAllowed(rps13.publish, 'cars/s14/lamps/hazard/set')).toBe(false);
  });

  test('the API reads retained commands, states and status, not telemetry', () => {
    expect(topicAllowed(rps13.readRetained, 'cars/rps13/lamps/brake/set')).toBe(true);
    expect(topicAllowed(rps13.readRetained, 'cars/rps13/lamps/brake/state')).toBe(true);
    expect(topicAllowed(rps13.readRetained, 'cars/rps13/status')).toBe(true);
    expect(topicAllowed(rps13.readRetained, 'cars/rps13/telemetry')).toBe(false);
  });
});

test('IoT policy topic resources use * where MQTT filters use +', () => {
  expect(iotPolicyTopicPattern('cars/rps13/lamps/+/set')).toBe('cars/rps13/lamps/*/set');
  expect(iotPolicyTopicPattern('cars/rps13/status')).toBe('cars/rps13/status');
});
