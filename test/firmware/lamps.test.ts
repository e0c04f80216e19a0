import { DELIVERY } from '../../lib/contract';
import { PINS, type Bench, bench, boot, command, risingEdges, testConfig } from './support';

function gamma(percent: number): number {
  return Math.round(65535 * (percent / 100) ** 2.2);
}

async function online(): Promise<Bench> {
  const b = await bench();
  await boot(b);
  return b;
}

describe('lamps', () => {
  test('a blinking lamp flashes 85 times a minute on the virtual clock', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('turnLeft'), command('blink'));
    await b.clock.runFor(1_000);
    const from = b.clock.now();
    await b.clock.runFor(60_000);
    expect(risingEdges(b, PINS.turnLeft, from, from + 60_000).length).toBeGreaterThanOrEqual(84);
    expect(risingEdges(b, PINS.turnLeft, from, from + 60_000).length).toBeLessThanOrEqual(86);
    const edges = risingEdges(b, PINS.turnLeft, from);
    const period = edges.slice(1).map((at, i) => at - edges[i]);
    for (const gap of period) expect(Math.abs(gap - 60_000 / 85)).toBeLessThanOrEqual(2);
  });

  test('the first blinking lamp lights at once, whatever the phase was', async () => {
    const b = await online();
    for (const delay of [0, 100, 250, 400, 600]) {
      await b.clock.runFor(delay);
      b.broker.send(b.topics.lampSet('turnLeft'), command('blink'));
      const sent = b.clock.now();
      await b.clock.runFor(25);
      expect(risingEdges(b, PINS.turnLeft, sent).length).toBe(1);
      b.broker.send(b.topics.lampSet('turnLeft'), command('off'));
      await b.clock.runFor(25);
    }
  });

  test('hazard: two blinkers started at different times flash in phase', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('turnLeft'), command('blink'));
    await b.clock.runFor(3_333);
    b.broker.send(b.topics.lampSet('turnRight'), command('blink'));
    await b.clock.runFor(1_000);
    const from = b.clock.now();
    await b.clock.runFor(10_000);
    expect(risingEdges(b, PINS.turnRight, from)).toEqual(risingEdges(b, PINS.turnLeft, from));
    expect(risingEdges(b, PINS.turnLeft, from).length).toBeGreaterThanOrEqual(13);
  });

  test('JavaScript is told each pin change with the new duty, until it stops listening', async () => {
    const b = await online();
    const seen: [string, number][] = [];
    const stop = b.pico.pins.onChange((change) => seen.push([change.pin, change.state.duty]));
    b.broker.send(b.topics.lampSet('headlights'), command('on', { brightness: 100 }));
    await b.clock.runFor(100);
    stop();
    b.broker.send(b.topics.lampSet('headlights'), command('off'));
    await b.clock.runFor(100);
    expect(seen).toEqual([[String(PINS.headlights), 65535]]);
  });

  test('PWM brightness is gamma-corrected', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('headlights'), command('on', { brightness: 50 }));
    await b.clock.runFor(100);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(gamma(50));
    expect(b.pico.pins.get(PINS.headlights)?.freq).toBe(1000);
  });

  test('on without brightness uses the lamp default; off is dark', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('headlights'), command('on'));
    await b.clock.runFor(100);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(65535);
    b.broker.send(b.topics.lampSet('headlights'), command('off'));
    await b.clock.runFor(100);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(0);
  });

  test('every applied command is reported on the state topic with its id, retained', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('headlights'), command('on', { brightness: 30, id: 'first' }));
    b.broker.send(b.topics.lampSet('turnRight'), command('blink', { id: 'second' }));
    await b.clock.runFor(100);
    const headlights = b.broker.published.filter((record) => record.topic === b.topics.lampState('headlights')).at(-1)!;
    expect(headlights).toMatchObject(DELIVERY.lampState);
    expect(JSON.parse(headlights.payload)).toEqual({ mode: 'on', brightness: 30, id: 'first', ts: expect.any(Number) });
    expect(b.broker.publishedOn(b.topics.lampState('turnRight')).at(-1)).toMatchObject({ mode: 'blink', brightness: 100, id: 'second' });
  });

  test('a switch lamp ignores brightness and lights fully', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('turnLeft'), command('on', { brightness: 10 }));
    await b.clock.runFor(100);
    expect(b.pico.pins.level(PINS.turnLeft)).toBe(1);
    expect(b.broker.publishedOn(b.topics.lampState('turnLeft')).at(-1)).toMatchObject({ mode: 'on', brightness: 100 });
  });

  test('a flashing brake lamp drops to its tail level between flashes, not to dark', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('brake'), command('blink'));
    await b.clock.runFor(5_000);
    const duties = new Set(b.pico.pins.changes(PINS.brake).map((change) => change.state.duty));
    expect([...duties].sort((x, y) => x - y)).toEqual([gamma(20), 65535]);
  });

  test('powerOn restore: retained commands light the lamps again after power-up', async () => {
    const b = await bench({
      setup: ({ broker, topics }) => broker.send(topics.lampSet('headlights'), command('on', { brightness: 40 }), { retain: true }),
    });
    await boot(b);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(gamma(40));
  });

  test('at power-up each lamp is reported once: restored lamps with their command, the others off', async () => {
    const b = await bench({
      setup: ({ broker, topics }) => broker.send(topics.lampSet('headlights'), command('on', { id: 'kept' }), { retain: true }),
    });
    await boot(b);
    expect(b.broker.publishedOn(b.topics.lampState('headlights'))).toEqual([
      { mode: 'on', brightness: 100, id: 'kept', ts: expect.any(Number) },
    ]);
    expect(b.broker.publishedOn(b.topics.lampState('brake'))).toEqual([{ mode: 'off', brightness: 0, id: null, ts: expect.any(Number) }]);
  });

  test('powerOn off: a command retained from before this power-up is ignored and reported', async () => {
    const config = testConfig((input) => {
      input.cars.rps13.powerOn = 'off';
    });
    const b = await bench({
      config,
      setup: ({ broker, topics }) =>
        broker.send(topics.lampSet('headlights'), command('on', { ts: Date.UTC(2026, 0, 1) }), { retain: true }),
    });
    await boot(b);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(0);
    expect(b.broker.publishedOn(b.topics.events)).toContainEqual(expect.objectContaining({ code: 'stale_command_ignored' }));
  });
});
