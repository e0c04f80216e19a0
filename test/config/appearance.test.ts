import { lampPosition, positionFromName } from '../../lib/config';

test.each([
  ['headlights', 'front'],
  ['foglamps', 'front'],
  ['turnLeft', 'left'],
  ['turnRight', 'right'],
  ['brake', 'rear'],
  ['tailLamps', 'rear'],
  ['reverse', 'rear'],
  ['headLeft', 'frontLeft'],
  ['tailRight', 'rearRight'],
  ['beacon', 'roof'],
])('a lamp called %s sits at the %s', (name, position) => {
  expect(positionFromName(name)).toBe(position);
});

test('a configured position wins over the name', () => {
  expect(lampPosition('beacon', { position: 'front' })).toBe('front');
  expect(lampPosition('beacon', {})).toBe('roof');
});
