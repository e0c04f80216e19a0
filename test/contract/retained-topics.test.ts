import { DELIVERY, devicePermissions, deviceRetainedTopics } from '../../lib/contract';

const LAMPS = ['headlights', 'brake'];

test("the device publishes each lamp's state and its status retained, and nothing else", () => {
  expect(deviceRetainedTopics('cars', 'rps13', LAMPS)).toEqual([
    'cars/rps13/lamps/headlights/state',
    'cars/rps13/lamps/brake/state',
    'cars/rps13/status',
  ]);
});

test('every retained topic is one the device may publish to', () => {
  expect(devicePermissions('cars', 'rps13', LAMPS).publish).toEqual(
    expect.arrayContaining([...deviceRetainedTopics('cars', 'rps13', LAMPS)]),
  );
});

test('follows the delivery flags of the contract', () => {
  expect(DELIVERY.telemetry.retain).toBe(false);
  expect(DELIVERY.events.retain).toBe(false);
  expect(deviceRetainedTopics('garage', 's15', ['fog'])).toEqual(['garage/s15/lamps/fog/state', 'garage/s15/status']);
});
