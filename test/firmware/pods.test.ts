import { SERVO_PWM_HZ } from '../../lib/config';
import { lampStateSchema } from '../../lib/contract';
import { type Bench, bench, boot, command, PINS, testConfig } from './support';

const SERVO = 6;
const UP_NS = 2_000_000;
const DOWN_NS = 1_000_000;
const TRAVEL_MS = 400;
/** One count of the slice's counter at 50 Hz (125 MHz / 611 / 16ths): how close the pulse can get to the one asked for. */
const COUNT_NS = 310;

const podConfig = () =>
  testConfig((input) => {
    input.cars.rps13.servos = { pods: { pin: `GP${SERVO}`, carries: ['headlights'], upUs: 2000, downUs: 1000, travelMs: TRAVEL_MS } };
  });

async function podCar(): Promise<Bench> {
  const b = await bench({ config: podConfig() });
  await boot(b);
  return b;
}

/** The servo's pulse widths after `from`, rounded to the µs, with when each began. */
function pulses(b: Bench, from: number): { at: number; us: number }[] {
  return b.pico.pins
    .pulses(SERVO)
    .filter((pulse) => pulse.at >= from)
    .map((pulse) => ({ at: pulse.at, us: Math.round(pulse.pulseNs / 1000) }));
}

/** When the headlights' duty changed after `from`, and to what. */
function headlightDuty(b: Bench, from: number): { at: number; duty: number }[] {
  return b.pico.pins
    .changes(PINS.headlights)
    .filter((change) => change.at >= from)
    .map((change) => ({ at: change.at, duty: change.state.duty }));
}

type PodState = { mode: string; pod?: string };
const headlightStates = (b: Bench) => b.broker.publishedOn(b.topics.lampState('headlights')) as PodState[];

describe('pop-up headlight pods', () => {
  test('the servo runs at 50 Hz and is driven down at power-up, its lamps dark', async () => {
    const b = await podCar();
    const servo = b.pico.pins.get(SERVO);
    expect(servo?.freq).toBe(SERVO_PWM_HZ);
    expect(Math.abs((servo?.pulseNs ?? 0) - DOWN_NS)).toBeLessThanOrEqual(COUNT_NS);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(0);
    // The dimmed lamps on other slices keep their own frequency.
    expect(b.pico.pins.get(PINS.brake)?.freq).toBe(1000);
    expect(headlightStates(b).at(-1)).toMatchObject({ mode: 'off', pod: 'down' });
  });

  test('on: the pods rise, and the lamps light only after the travel time', async () => {
    const b = await podCar();
    const sent = b.clock.now();
    b.broker.send(b.topics.lampSet('headlights'), command('on'));
    await b.clock.runFor(1_000);
    const [raise] = pulses(b, sent);
    expect(raise.us).toBe(UP_NS / 1000);
    expect(raise.at - sent).toBeLessThan(20);
    const lit = headlightDuty(b, sent);
    expect(lit).toEqual([{ at: expect.any(Number), duty: 65535 }]);
    expect(lit[0].at - raise.at).toBeGreaterThanOrEqual(TRAVEL_MS);
    expect(lit[0].at - raise.at).toBeLessThan(TRAVEL_MS + 20);
    expect(headlightStates(b).slice(-2)).toEqual([
      expect.objectContaining({ mode: 'on', pod: 'moving' }),
      expect.objectContaining({ mode: 'on', pod: 'up' }),
    ]);
    for (const state of headlightStates(b)) expect(lampStateSchema.safeParse(state).success).toBe(true);
  });

  test('off: the lamps go dark first, then the pods lower', async () => {
    const b = await podCar();
    b.broker.send(b.topics.lampSet('headlights'), command('on'));
    await b.clock.runFor(1_000);
    const sent = b.clock.now();
    b.broker.send(b.topics.lampSet('headlights'), command('off'));
    await b.clock.runFor(1_000);
    const [dark] = headlightDuty(b, sent);
    const [lower] = pulses(b, sent);
    expect(dark.duty).toBe(0);
    expect(lower.us).toBe(DOWN_NS / 1000);
    expect(lower.at).toBeGreaterThanOrEqual(dark.at);
    const history = b.pico.pins.history.filter((change) => change.at >= sent);
    expect(history.findIndex((change) => change.pin === String(PINS.headlights))).toBeLessThan(
      history.findIndex((change) => change.pin === String(SERVO)),
    );
    expect(headlightStates(b).at(-1)).toMatchObject({ mode: 'off', pod: 'down' });
  });

  test('commands mid-travel turn the pods round, and no lamp lights on a pod that is not up', async () => {
    const b = await podCar();
    const sent = b.clock.now();
    b.broker.send(b.topics.lampSet('headlights'), command('on'));
    await b.clock.runFor(200);
    b.broker.send(b.topics.lampSet('headlights'), command('off'));
    await b.clock.runFor(100);
    b.broker.send(b.topics.lampSet('headlights'), command('on'));
    const lastTurn = b.clock.now();
    await b.clock.runFor(TRAVEL_MS - 50);
    // Up, down, up again, and dark all along.
    expect(pulses(b, sent).map((pulse) => pulse.us)).toEqual([2000, 1000, 2000]);
    expect(headlightDuty(b, sent).filter((change) => change.duty > 0)).toEqual([]);
    await b.clock.runFor(100);
    const lit = headlightDuty(b, sent).filter((change) => change.duty > 0);
    expect(lit.length).toBe(1);
    expect(lit[0].at - lastTurn).toBeGreaterThanOrEqual(TRAVEL_MS);
  });

  test('a blinking pod lamp keeps its pods up between flashes', async () => {
    const b = await podCar();
    b.broker.send(b.topics.lampSet('headlights'), command('blink'));
    const sent = b.clock.now();
    await b.clock.runFor(5_000);
    expect(pulses(b, sent).map((pulse) => pulse.us)).toEqual([2000]);
    expect(headlightDuty(b, sent).filter((change) => change.duty > 0).length).toBeGreaterThanOrEqual(5);
  });

  test('power-on with a retained "on": the pods go down, come up, then the lamps light, and the car says so', async () => {
    const b = await bench({
      config: podConfig(),
      setup: ({ broker, topics }) => broker.retained.set(topics.lampSet('headlights'), Buffer.from(command('on', { id: 'restored' }))),
    });
    await boot(b);
    const all = pulses(b, 0);
    expect(all.map((pulse) => pulse.us)).toEqual([1000, 2000]);
    const lit = headlightDuty(b, 0).filter((change) => change.duty > 0);
    expect(lit[0].at - all[1].at).toBeGreaterThanOrEqual(TRAVEL_MS);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(65535);
    expect(headlightStates(b).at(-1)).toEqual(expect.objectContaining({ mode: 'on', id: 'restored', pod: 'up' }));
  });

  test('lamps no servo carries report no pod and light at once', async () => {
    const b = await podCar();
    const sent = b.clock.now();
    b.broker.send(b.topics.lampSet('brake'), command('on'));
    await b.clock.runFor(50);
    expect(headlightDuty(b, sent)).toEqual([]);
    expect(b.pico.pins.duty(PINS.brake)).toBe(65535);
    expect(b.broker.publishedOn(b.topics.lampState('brake')).at(-1)).not.toHaveProperty('pod');
    expect(pulses(b, sent)).toEqual([]);
  });
});

describe('effects on pod lamps', () => {
  test('a flash with the pods down raises them, flashes once they are up, then lowers them', async () => {
    const b = await podCar();
    const sent = b.clock.now();
    b.broker.send(b.topics.lampSet('headlights'), JSON.stringify({ effect: 'flash', durationMs: 300, id: 'fx', ts: 1 }));
    await b.clock.runFor(3_000);
    const moves = pulses(b, sent);
    expect(moves.map((pulse) => pulse.us)).toEqual([2000, 1000]);
    const lit = headlightDuty(b, sent);
    expect(lit.map((change) => change.duty)).toEqual([65535, 0]);
    expect(lit[0].at - moves[0].at).toBeGreaterThanOrEqual(TRAVEL_MS);
    expect(lit[1].at - lit[0].at).toBeGreaterThanOrEqual(300);
    expect(moves[1].at).toBeGreaterThanOrEqual(lit[1].at);
  });
});
