import { PINS, type Bench, bench, boot, command, events } from './support';

describe('malformed input is ignored, reported on events, and never crashes the car', () => {
  let b: Bench;

  beforeAll(async () => {
    b = await bench();
    await boot(b);
    b.broker.send(b.topics.lampSet('headlights'), command('on', { id: 'known-good' }));
    await b.clock.runFor(100);
  });

  const set = (lamp = 'headlights') => b.topics.lampSet(lamp);
  const effect = (fields: Record<string, unknown>) => JSON.stringify({ id: 'fx', ts: 1, ...fields });
  const cases: [string, () => void, string][] = [
    ['invalid JSON', () => b.broker.send(set(), '{"mode":"on",'), 'invalid_json'],
    ['not UTF-8', () => b.broker.send(set(), Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 'invalid_json'],
    ['a JSON array', () => b.broker.send(set(), '["on"]'), 'not_an_object'],
    ['an unknown field', () => b.broker.send(set(), command('on', { colour: 'red' })), 'unknown_field'],
    ['an unknown mode', () => b.broker.send(set(), command('strobe')), 'bad_mode'],
    ['a mode of the wrong type', () => b.broker.send(set(), command('x', { mode: 1 })), 'bad_mode'],
    ['brightness above 100', () => b.broker.send(set(), command('on', { brightness: 101 })), 'bad_brightness'],
    ['brightness below 0', () => b.broker.send(set(), command('on', { brightness: -1 })), 'bad_brightness'],
    ['brightness as a string', () => b.broker.send(set(), command('on', { brightness: '50' })), 'bad_brightness'],
    ['brightness as a boolean', () => b.broker.send(set(), command('on', { brightness: true })), 'bad_brightness'],
    ['brightness as a fraction', () => b.broker.send(set(), command('on', { brightness: 50.5 })), 'bad_brightness'],
    ['a missing id', () => b.broker.send(set(), JSON.stringify({ mode: 'on', ts: 1 })), 'bad_id'],
    ['a fade as a string', () => b.broker.send(set(), command('on', { transitionMs: '300' })), 'bad_transition'],
    ['an effect the car does not know', () => b.broker.send(set(), effect({ effect: 'sparkle' })), 'unknown_effect'],
    ['an effect name that is not a string', () => b.broker.send(set(), effect({ effect: 7 })), 'unknown_field'],
    ['a flash without its length', () => b.broker.send(set(), effect({ effect: 'flash' })), 'bad_duration'],
    ['a flash of a fractional length', () => b.broker.send(set(), effect({ effect: 'flash', durationMs: 2.5 })), 'bad_duration'],
    ['an effect with a mode', () => b.broker.send(set(), effect({ effect: 'flash', durationMs: 100, mode: 'on' })), 'unknown_field'],
    ['an effect without an id', () => b.broker.send(set(), JSON.stringify({ effect: 'flash', durationMs: 100, ts: 1 })), 'bad_id'],
    ['an id over 36 characters', () => b.broker.send(set(), command('on', { id: 'x'.repeat(37) })), 'bad_id'],
    ['a negative ts', () => b.broker.send(set(), command('on', { ts: -5 })), 'bad_ts'],
    ['a payload over 512 bytes', () => b.broker.send(set(), command('on', { id: 'big', pad: 'p'.repeat(600) })), 'payload_too_large'],
    ['deeply nested JSON', () => b.broker.send(set(), `${'['.repeat(200)}${']'.repeat(200)}`), 'not_an_object'],
    // Subscribed per lamp, the car gets no other lamp's topic from a broker that keeps to its subscriptions.
    ['an unknown lamp', () => b.broker.sendRaw(Buffer.from(set('foglights')), Buffer.from(command('on'))), 'unknown_lamp'],
    ['an unexpected topic', () => b.broker.sendRaw(Buffer.from(b.topics.telemetry), Buffer.from(command('on'))), 'unexpected_topic'],
    ['a binary topic', () => b.broker.sendRaw(Buffer.from([0xff, 0x00, 0x2f]), Buffer.from('{}')), 'unexpected_topic'],
  ];

  test.each(cases)('%s → %s', async (_name, send, code) => {
    const before = events(b).length;
    send();
    await b.clock.runFor(100);
    const reported = events(b).slice(before);
    expect(reported).toEqual([expect.objectContaining({ level: 'warn', code })]);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(65535);
    expect(b.pico.end).toBeUndefined();
  });

  test('a payload of exactly 512 bytes is still accepted', async () => {
    const base = command('on', { id: 'edge', brightness: 60 });
    const padded = `${base.slice(0, -1)}${' '.repeat(512 - Buffer.byteLength(base))}}`;
    expect(Buffer.byteLength(padded)).toBe(512);
    b.broker.send(set(), padded);
    await b.clock.runFor(100);
    expect(b.broker.publishedOn(b.topics.lampState('headlights')).at(-1)).toMatchObject({ id: 'edge', brightness: 60 });
  });

  test('a flood of bad commands is reported at a limited rate, with a count of what was dropped', async () => {
    await b.clock.runFor(10_000);
    const before = events(b).length;
    for (let i = 0; i < 200; i++) b.broker.send(set(), '{');
    await b.clock.runFor(2_000);
    const flood = events(b).slice(before);
    expect(flood.length).toBeGreaterThanOrEqual(20);
    expect(flood.length).toBeLessThanOrEqual(20 + 2 * 5 + 1);
    await b.clock.runFor(10_000);
    b.broker.send(set(), '{');
    await b.clock.runFor(100);
    const all = events(b).slice(before);
    const reported = all.filter((event) => event.code === 'invalid_json').length;
    const dropped = all
      .filter((event) => event.code === 'events_suppressed')
      .reduce((sum, event) => sum + Number.parseInt(event.detail, 10), 0);
    expect(reported + dropped).toBe(201);
    expect(all.at(-2)?.code).toBe('events_suppressed');
    expect(all.at(-1)?.code).toBe('invalid_json');
  });

  test('a valid command still works after all of that', async () => {
    b.broker.send(set(), command('off', { id: 'after-the-storm' }));
    await b.clock.runFor(100);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(0);
    expect(b.broker.publishedOn(b.topics.lampState('headlights')).at(-1)).toMatchObject({ id: 'after-the-storm' });
  });
});
