import { carTopics } from '../../lib/contract';
import type { BrokerMessage } from '../../lib/sim/broker';
import { TerminalView } from '../../lib/sim/terminal-view';
import { twoCarConfig } from './support';

const config = twoCarConfig();
const topics = carTopics(config.topicRoot, 'carA');
const ESCAPES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

function message(topic: string, payload: object): BrokerMessage {
  return { topic, payload: Buffer.from(JSON.stringify(payload)), retain: true, clientId: 'carA' };
}

function plainView(options: { now?: () => number; pinLevel?: (car: string, lamp: string) => number | undefined } = {}) {
  const lines: string[] = [];
  const view = new TerminalView({ config, live: false, write: (text) => lines.push(text), ...options });
  return { view, lines };
}

const lampLine = (view: TerminalView, lamp: string) =>
  view
    .render()
    .replace(ESCAPES, '')
    .split('\n')
    .find((line) => line.includes(` ${lamp} `) || line.endsWith(` ${lamp}`))!;

test('a car coming online is printed as one line', () => {
  const { view, lines } = plainView();
  view.observe(message(topics.status, { online: true, fw: '1', ip: 'x' }));
  expect(lines).toEqual(['carA online\n']);
});

test('the last will is printed as the car going offline', () => {
  const { view, lines } = plainView();
  view.observe(message(topics.status, { online: true, fw: '1', ip: 'x' }));
  view.observe(message(topics.status, { online: false }));
  expect(lines.at(-1)).toBe('carA offline\n');
});

test('a lamp state answering a command shows the command latency', () => {
  let now = 1000;
  const { view, lines } = plainView({ now: () => now });
  view.observe(message(topics.lampSet('headlights'), { mode: 'on', brightness: 40, id: 'c1', ts: 1 }));
  now = 1012;
  view.observe(message(topics.lampState('headlights'), { mode: 'on', brightness: 40, id: 'c1', ts: 2 }));
  expect(lines).toEqual(['carA headlights: on 40 % (command → state 12 ms)\n']);
  expect(view.render()).toContain('last command 12 ms');
});

test("the live block shows each lamp's reported mode", () => {
  const { view } = plainView();
  view.observe(message(topics.lampState('turnLeft'), { mode: 'blink', brightness: 100, id: 'c2', ts: 2 }));
  expect(lampLine(view, 'turnLeft')).toMatch(/turnLeft\s+blink$/);
});

test('a lamp is drawn lit or dark from its pin', () => {
  let level = 1;
  const { view } = plainView({ pinLevel: () => level });
  expect(lampLine(view, 'headlights')).toContain('●');
  level = 0;
  expect(lampLine(view, 'headlights')).toContain('○');
});

test('without a pin to read, a blinking lamp alternates at the car’s rate', () => {
  let now = 0;
  const { view } = plainView({ now: () => now });
  view.observe(message(topics.lampState('turnLeft'), { mode: 'blink', brightness: 100, id: 'c3', ts: 2 }));
  const halfPeriodMs = 60_000 / config.cars.carA.blinkPerMin / 2;
  now = halfPeriodMs * 0.5;
  expect(lampLine(view, 'turnLeft')).toContain('●');
  now = halfPeriodMs * 1.5;
  expect(lampLine(view, 'turnLeft')).toContain('○');
});

test('messages for cars outside the config are ignored', () => {
  const { view, lines } = plainView();
  view.observe(message(carTopics(config.topicRoot, 'stranger').status, { online: true }));
  expect(lines).toEqual([]);
});

test('on a terminal, a log line is written above the redrawn block', () => {
  jest.useFakeTimers();
  const writes: string[] = [];
  const view = new TerminalView({ config, live: true, write: (text) => writes.push(text) });
  view.start();
  view.log('refused a TLS client');
  view.stop();
  jest.useRealTimers();
  const logIndex = writes.indexOf('refused a TLS client\n');
  expect(writes[logIndex - 1]).toMatch(/\[\d+A/);
  expect(writes[logIndex + 1]).toContain('carA');
});
