import { bench, boot, command } from './support';

// The heap budget under the WebAssembly interpreter, measured here and reported by `npm run bench`:
// what the firmware adds on top of the interpreter and the stand-ins for the Pico W's C modules.
const FIRMWARE_HEAP_BUDGET = 40 * 1024;
const HEAP_NOISE_BYTES = 512;

describe('memory', () => {
  test('heap in use after boot stays inside the budget', async () => {
    const b = await bench();
    const bare = b.pico.heapUsed();
    await boot(b);
    const used = b.pico.heapUsed();
    expect(used - bare).toBeLessThanOrEqual(FIRMWARE_HEAP_BUDGET);
  });

  test('10,000 commands, good and bad, leave the heap where it was', async () => {
    const b = await bench();
    await boot(b);
    const lamps = ['headlights', 'turnLeft', 'turnRight', 'brake'];
    const send = (i: number) => {
      const lamp = lamps[i % lamps.length];
      if (i % 5 === 4) b.broker.send(b.topics.lampSet(lamp), '{"mode":');
      else b.broker.send(b.topics.lampSet(lamp), command(['on', 'off', 'blink'][i % 3], { brightness: i % 101 }));
    };
    // Warm up with a full round, past the first ping and telemetry: buffers and tables reach their
    // working size once, which is not growth.
    for (let i = 0; i < 10_000; i++) send(i);
    await b.clock.runFor(65_000);
    const settled = b.pico.heapUsed();
    // All at once, then one run: each return to JavaScript costs the interpreter's bridge a few bytes
    // of its own, which is not the firmware's to answer for.
    for (let i = 0; i < 10_000; i++) send(i);
    await b.clock.runFor(40_000);
    expect(b.broker.published.filter((record) => record.topic.endsWith('/state')).length).toBeGreaterThan(16_000);
    // MicroPython's collector scans the C stack conservatively, so a stale pointer can keep a few hundred
    // bytes alive at any moment; a leak of even one byte per message would show as 10 KB here.
    expect(b.pico.heapUsed() - settled).toBeLessThanOrEqual(HEAP_NOISE_BYTES);
  });
});
