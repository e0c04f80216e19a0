import { type Bench, bench, boot, command, events, PINS, testConfig } from './support';

const gamma = (percent: number) => Math.round(65535 * (percent / 100) ** 2.2);

async function online(config = testConfig()): Promise<Bench> {
  const b = await bench({ config });
  await boot(b);
  return b;
}

/** The headlights' duty at each change after `from`, with its time since `from`. */
function fade(b: Bench, pin: number, from: number): { t: number; duty: number }[] {
  return b.pico.pins
    .changes(pin)
    .filter((change) => change.at >= from)
    .map((change) => ({ t: change.at - from, duty: change.state.duty }));
}

describe('transitions', () => {
  test('a command with transitionMs fades a dimmable lamp in along the gamma curve, on the virtual clock', async () => {
    const b = await online();
    const sent = b.clock.now();
    b.broker.send(b.topics.lampSet('headlights'), command('on', { brightness: 80, transitionMs: 1000 }));
    await b.clock.runFor(1_500);
    const steps = fade(b, PINS.headlights, sent);
    // Every 20 ms a step up, never down, ending at the level asked for once the 1 s is over.
    expect(steps.length).toBeGreaterThanOrEqual(40);
    for (let i = 1; i < steps.length; i++) expect(steps[i].duty).toBeGreaterThanOrEqual(steps[i - 1].duty);
    const end = steps.at(-1)!;
    expect(end.duty).toBe(gamma(80));
    expect(end.t).toBeGreaterThanOrEqual(1_000);
    expect(end.t).toBeLessThan(1_000 + 40);
    // Halfway in time is halfway in perceived brightness: 40 %, not 40 % of the duty.
    const half = steps.filter((step) => step.t <= 500).at(-1)!;
    expect(Math.abs(half.duty - gamma((80 * half.t) / 1000))).toBeLessThanOrEqual(gamma(2));
    expect(half.duty).toBeLessThan(gamma(80) / 2);
  });

  test("a lamp's configured transitionMs fades every command that gives none; off fades out", async () => {
    const b = await online(testConfig((input) => (input.cars.rps13.lamps.brake.transitionMs = 400)));
    b.broker.send(b.topics.lampSet('brake'), command('on'));
    await b.clock.runFor(1_000);
    expect(b.pico.pins.duty(PINS.brake)).toBe(65535);
    const sent = b.clock.now();
    b.broker.send(b.topics.lampSet('brake'), command('off'));
    await b.clock.runFor(200);
    const midway = b.pico.pins.duty(PINS.brake);
    expect(midway).toBeGreaterThan(0);
    expect(midway).toBeLessThan(65535);
    await b.clock.runFor(400);
    const steps = fade(b, PINS.brake, sent);
    expect(steps.at(-1)).toEqual({ t: expect.any(Number), duty: 0 });
    expect(steps.at(-1)!.t).toBeGreaterThanOrEqual(400);
  });

  test('transitionMs 0 switches at once, and a fade turned round mid-way starts from where it was', async () => {
    const b = await online();
    b.broker.send(b.topics.lampSet('headlights'), command('on', { transitionMs: 0 }));
    await b.clock.runFor(25);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(65535);
    b.broker.send(b.topics.lampSet('headlights'), command('off', { transitionMs: 1000 }));
    await b.clock.runFor(300);
    const turned = b.clock.now();
    const before = b.pico.pins.duty(PINS.headlights);
    b.broker.send(b.topics.lampSet('headlights'), command('on', { transitionMs: 1000 }));
    await b.clock.runFor(30);
    const after = fade(b, PINS.headlights, turned);
    expect(after[0].duty).toBeGreaterThanOrEqual(before);
    expect(after[0].duty).toBeLessThan(65535);
  });

  test('a bad transitionMs is refused on events, and the lamp stays as it was', async () => {
    const b = await online();
    for (const transitionMs of [-1, 5001, 1.5, '300', true]) b.broker.send(b.topics.lampSet('headlights'), command('on', { transitionMs }));
    await b.clock.runFor(200);
    expect(events(b).filter((event) => event.code === 'bad_transition')).toHaveLength(5);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(0);
  });

  test('a fading lamp on a pod: the pod lowers only once the lamp has faded out', async () => {
    const config = testConfig((input) => {
      input.cars.rps13.servos = { pods: { pin: 'GP6', carries: ['headlights'], travelMs: 300 } };
    });
    const b = await online(config);
    b.broker.send(b.topics.lampSet('headlights'), command('on', { transitionMs: 500 }));
    await b.clock.runFor(2_000);
    const sent = b.clock.now();
    b.broker.send(b.topics.lampSet('headlights'), command('off', { transitionMs: 500 }));
    await b.clock.runFor(2_000);
    const dark = fade(b, PINS.headlights, sent).find((step) => step.duty === 0)!;
    const lowered = b.pico.pins.changes(6).filter((change) => change.at >= sent)[0];
    expect(dark.t).toBeGreaterThanOrEqual(500);
    expect(lowered.at - sent).toBeGreaterThanOrEqual(dark.t);
  });
});
