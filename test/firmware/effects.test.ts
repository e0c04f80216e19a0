import { lampStateSchema } from '../../lib/contract';
import { type Bench, bench, boot, command, events, PINS, testConfig } from './support';

const gamma = (percent: number) => Math.round(65535 * (percent / 100) ** 2.2);

/** The test car with a "welcome": hazard on 300 ms, off 200 ms, then headlights at 30 % for 500 ms. */
const welcomeConfig = () =>
  testConfig((input) => {
    input.cars.rps13.effects = {
      welcome: [
        { ms: 300, lamps: { hazard: 'on' } },
        { ms: 200, lamps: { hazard: 'off' } },
        { ms: 500, lamps: { headlights: { mode: 'on', brightness: 30 } } },
      ],
    };
  });

async function online(config = welcomeConfig()): Promise<Bench> {
  const b = await bench({ config });
  await boot(b);
  return b;
}

const effect = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ effect: name, id: extra.id ?? 'fx-1', ts: Date.UTC(2026, 5, 1), ...extra });

/** A pin's changes after `from`: time since `from` and duty. */
function track(b: Bench, pin: number, from: number): [number, number][] {
  return b.pico.pins
    .changes(pin)
    .filter((change) => change.at >= from)
    .map((change) => [change.at - from, change.state.duty]);
}

const near = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(15);

describe('effects', () => {
  test('flash: full for its ms, then back to the state the lamp was in', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('headlights'), command('on', { brightness: 40, id: 'base' }));
    await b.clock.runFor(500);
    const sent = b.clock.now();
    b.broker.send(b.topics.lampSet('headlights'), effect('flash', { durationMs: 300 }));
    await b.clock.runFor(1_000);
    const changes = track(b, PINS.headlights, sent);
    expect(changes.map(([, duty]) => duty)).toEqual([65535, gamma(40)]);
    near(changes[1][0] - changes[0][0], 300);
    const states = b.broker.publishedOn(b.topics.lampState('headlights')).slice(-2);
    expect(states).toEqual([
      expect.objectContaining({ mode: 'on', brightness: 40, id: 'fx-1', effect: 'flash' }),
      expect.objectContaining({ mode: 'on', brightness: 40, id: 'base' }),
    ]);
    expect(states[1]).not.toHaveProperty('effect');
    for (const state of states) expect(lampStateSchema.safeParse(state).success).toBe(true);
  });

  test('a sequence plays each lamp its track, the lamps of one request in step, and all go back after it', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('turnRight'), command('blink', { id: 'base' }));
    await b.clock.runFor(2_000);
    b.broker.send(b.topics.lampSet('turnRight'), command('off', { id: 'base2' }));
    await b.clock.runFor(500);
    const sent = b.clock.now();
    for (const lamp of ['turnLeft', 'turnRight', 'headlights']) b.broker.send(b.topics.lampSet(lamp), effect('welcome', { id: 'w-1' }));
    await b.clock.runFor(2_000);
    const left = track(b, PINS.turnLeft, sent);
    const right = track(b, PINS.turnRight, sent);
    expect(left.map(([, duty]) => duty)).toEqual([65535, 0]);
    near(left[1][0] - left[0][0], 300);
    expect(right.map(([at]) => at)).toEqual(left.map(([at]) => at));
    const head = track(b, PINS.headlights, sent);
    expect(head.map(([, duty]) => duty)).toEqual([gamma(30), 0]);
    near(head[0][0] - left[0][0], 500);
    near(head[1][0] - left[0][0], 1_000);
    expect(b.broker.publishedOn(b.topics.lampState('turnLeft')).at(-1)).toMatchObject({ mode: 'off' });
  });

  test('a state command during an effect ends it: the newest command wins', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('headlights'), effect('flash', { durationMs: 2000 }));
    await b.clock.runFor(300);
    b.broker.send(b.topics.lampSet('headlights'), command('on', { brightness: 50, id: 'after' }));
    await b.clock.runFor(3_000);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(gamma(50));
    expect(b.broker.publishedOn(b.topics.lampState('headlights')).at(-1)).toEqual(
      expect.objectContaining({ mode: 'on', brightness: 50, id: 'after' }),
    );
  });

  test('bad effects are refused on events and change nothing', async () => {
    const b = await online();
    const bad = [
      effect('sparkle'),
      effect('flash'),
      effect('flash', { durationMs: 0 }),
      effect('flash', { durationMs: 5001 }),
      effect('welcome', { durationMs: 300 }),
      effect('flash', { durationMs: 300, brightness: 10 }),
    ];
    for (const payload of bad) b.broker.send(b.topics.lampSet('headlights'), payload);
    b.broker.send(b.topics.lampSet('brake'), effect('welcome'));
    await b.clock.runFor(500);
    expect(
      events(b)
        .filter((event) => event.level === 'warn')
        .map((event) => event.code),
    ).toEqual(['unknown_effect', 'bad_duration', 'bad_duration', 'bad_duration', 'bad_duration', 'unknown_field', 'not_in_effect']);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(0);
    expect(b.pico.pins.duty(PINS.brake)).toBe(0);
  });

  test('an effect that arrives retained is not played: it was for the moment it was sent', async () => {
    const b = await bench({
      config: welcomeConfig(),
      setup: ({ broker, topics }) => broker.retained.set(topics.lampSet('headlights'), Buffer.from(effect('flash', { durationMs: 300 }))),
    });
    await boot(b);
    expect(b.pico.pins.changes(PINS.headlights).filter((change) => change.state.duty > 0)).toEqual([]);
    expect(events(b).map((event) => event.code)).toContain('stale_effect_ignored');
  });
});
