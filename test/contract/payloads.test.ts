import {
  encodePayload,
  LIMITS,
  lampCommandSchema,
  lampEffectSchema,
  lampSetSchema,
  lampStateSchema,
  statusSchema,
  telemetrySchema,
} from '../../lib/contract';

describe('lamp command payload', () => {
  const valid = { mode: 'on', brightness: 40, id: '0b9c4c5e-7d0f-4f8e-9a51-2f4c7f1f6c2e', ts: 1_764_000_000_000 };

  test('accepts a command per the contract', () => {
    expect(lampCommandSchema.parse(valid)).toEqual(valid);
    expect(lampCommandSchema.parse({ mode: 'blink', id: 'a', ts: 0 })).toEqual({ mode: 'blink', id: 'a', ts: 0 });
  });

  test.each([
    ['an unknown mode', { ...valid, mode: 'strobe' }],
    ['brightness over 100', { ...valid, brightness: 101 }],
    ['a fractional brightness', { ...valid, brightness: 50.5 }],
    ['an id over 36 characters', { ...valid, id: 'x'.repeat(37) }],
    ['an empty id', { ...valid, id: '' }],
    ['a missing timestamp', { mode: 'on', id: 'a' }],
    ['an extra field', { ...valid, colour: 'red' }],
    ['a fade over the limit', { ...valid, transitionMs: LIMITS.transitionMaxMs + 1 }],
    ['a negative fade', { ...valid, transitionMs: -1 }],
  ])('rejects %s', (_name, payload) => {
    expect(lampCommandSchema.safeParse(payload).success).toBe(false);
  });
});

describe('device payloads', () => {
  test('state carries the applied command id, or null before the first command', () => {
    expect(lampStateSchema.safeParse({ mode: 'off', brightness: 0, id: null, ts: 1 }).success).toBe(true);
    expect(lampStateSchema.safeParse({ mode: 'off', brightness: 0, ts: 1 }).success).toBe(false);
  });

  test("a lamp on a servo's pod reports where the pod is: down, moving or up", () => {
    for (const pod of ['down', 'moving', 'up'])
      expect(lampStateSchema.safeParse({ mode: 'on', brightness: 100, id: 'a', ts: 1, pod }).success).toBe(true);
    expect(lampStateSchema.safeParse({ mode: 'on', brightness: 100, id: 'a', ts: 1, pod: 'half' }).success).toBe(false);
  });

  test('status is either online with firmware and address, or the offline last will', () => {
    expect(statusSchema.safeParse({ online: true, fw: '0.1.0', ip: '192.0.2.7' }).success).toBe(true);
    expect(statusSchema.safeParse({ online: false }).success).toBe(true);
    expect(statusSchema.safeParse({ online: true }).success).toBe(false);
  });

  test('telemetry has every field of the contract', () => {
    const telemetry = { uptime_s: 61, heap_free: 90_000, heap_min_free: 80_000, rssi: -60, reconnects: 0, fw: '0.1.0' };
    expect(telemetrySchema.parse(telemetry)).toEqual(telemetry);
    const { rssi: _dropped, ...withoutRssi } = telemetry;
    expect(telemetrySchema.safeParse(withoutRssi).success).toBe(false);
  });
});

describe('encodePayload', () => {
  test('serialises to JSON', () => {
    expect(encodePayload({ online: false })).toBe('{"online":false}');
  });

  test('refuses a payload over 512 bytes, counting bytes not characters', () => {
    expect(() => encodePayload({ detail: 'x'.repeat(490) })).not.toThrow();
    expect(() => encodePayload({ detail: 'ライト'.repeat(60) })).toThrow(/^payload is \d+ bytes; the MQTT contract allows 512$/);
  });
});

describe('lamp effect payload', () => {
  const flash = { effect: 'flash', durationMs: 400, id: 'fx', ts: 1 };

  test('a command may carry a fade of up to 5 s', () => {
    expect(lampCommandSchema.safeParse({ mode: 'on', transitionMs: LIMITS.transitionMaxMs, id: 'a', ts: 1 }).success).toBe(true);
  });

  test('an effect names the flash or a sequence, and is one of the two things a set topic carries', () => {
    expect(lampEffectSchema.parse(flash)).toEqual(flash);
    expect(lampEffectSchema.safeParse({ effect: 'welcome', id: 'fx', ts: 1 }).success).toBe(true);
    expect(lampSetSchema.safeParse(flash).success).toBe(true);
    expect(lampSetSchema.safeParse({ mode: 'on', id: 'a', ts: 1 }).success).toBe(true);
  });

  test.each([
    ['a flash longer than 5 s', { ...flash, durationMs: LIMITS.transitionMaxMs + 1 }],
    ['a flash of no time', { ...flash, durationMs: 0 }],
    ['an effect with a mode as well', { ...flash, mode: 'on' }],
    ['an effect name that could not be a config name', { ...flash, effect: 'Welcome!' }],
  ])('rejects %s', (_name, payload) => {
    expect(lampSetSchema.safeParse(payload).success).toBe(false);
  });

  test('a state may say which effect plays on the lamp', () => {
    expect(lampStateSchema.safeParse({ mode: 'off', brightness: 0, id: 'fx', ts: 1, effect: 'flash' }).success).toBe(true);
  });
});
