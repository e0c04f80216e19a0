import { DELIVERY, devicePermissions, deviceRetainedTopics } from '../../lib/contract';

test('the device publishes lamp states and its status retained, and nothing else', () => {
  expect(deviceRetainedTopics('cars', 'rps13')).toEqual(['cars/rps13/lamps/+/state', 'cars/rps13/status']);
});

test('every retained topic is one the device may publish to', () => {
  expect(devicePermissions('cars', 'rps13').publish).toEqual(expect.arrayContaining([...deviceRetainedTopics('cars', 'rps13')]));
});

test('follows the delivery flags of the contract', () => {
  expect(DELIVERY.telemetry.retain).toBe(false);
  expect(DELIVERY.events.retain).toBe(false);
  expect(deviceRetainedTopics('garage', 's15')).toEqual(['garage/s15/lamps/+/state', 'garage/s15/status']);
});
