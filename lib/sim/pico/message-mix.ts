/**
 * Messages to feed a virtual board under measurement (`npm run bench`, the memory tests): every kind the
 * firmware handles, valid and not, made from the i-th index so a run is the same every time.
 */

/** One message for the board as the cloud (or a stranger) might send it. */
export interface TestMessage {
  readonly topic: Buffer;
  readonly payload: Buffer;
  /** For a valid command: the lamp it sets and its id, which the lamp's next `state` must carry. */
  readonly applies?: { readonly lamp: string; readonly id: string };
}

/**
 * The i-th message of a mix of every kind the firmware handles: valid on/off/blink commands (6 in 10, each
 * with a fresh id), and invalid JSON, a bad mode, an unknown lamp and a payload over the 512 B limit.
 */
export function mixedMessage(lampSet: (lamp: string) => string, lamps: readonly string[], i: number): TestMessage {
  const lamp = lamps[i % lamps.length];
  const id = `cmd-${i.toString(16)}`;
  const ts = Date.UTC(2026, 5, 1) + i;
  const message = (topic: string, payload: string, applies?: TestMessage['applies']): TestMessage => ({
    topic: Buffer.from(topic),
    payload: Buffer.from(payload),
    applies,
  });
  switch (i % 10) {
    case 6:
      return message(lampSet(lamp), '{"mode":');
    case 7:
      return message(lampSet(lamp), JSON.stringify({ mode: 'strobe', id, ts }));
    case 8:
      return message(lampSet(`${lamps.join('')}x`), JSON.stringify({ mode: 'on', id, ts }));
    case 9:
      return message(lampSet(lamp), JSON.stringify({ mode: 'on', id, ts, pad: 'p'.repeat(600) }));
    default: {
      const mode = ['on', 'off', 'blink'][i % 3];
      return message(lampSet(lamp), JSON.stringify({ mode, brightness: i % 101, id, ts }), { lamp, id });
    }
  }
}
