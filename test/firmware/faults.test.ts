import { otaSubscriptions } from '../../lib/contract';
import { CAR, WDT_MAX_MS, bench, boot, events, ledGroups, PINS, command } from './support';

describe('failures and recovery', () => {
  test('bad Wi-Fi password: classified, shown as LED code 2, retried until it joins', async () => {
    const b = await bench({ setup: ({ network }) => network.joinScript.push('bad-password', 'bad-password') });
    b.pico.start();
    await b.clock.runFor(6_000);
    expect(ledGroups(b, 2_000, 6_000)).toContain(2);
    await b.clock.runFor(30_000);
    expect(b.network.joins.map((join) => join.outcome)).toEqual(['bad-password', 'bad-password', 'ok']);
    expect(b.broker.isConnected).toBe(true);
    expect(events(b).filter((event) => event.code === 'wifi_bad_password')).toHaveLength(2);
    expect(b.pico.watchdog.longestGapMs).toBeLessThanOrEqual(WDT_MAX_MS);
  });

  test('network not found three times: the radio is reset before the next try', async () => {
    const b = await bench({ setup: ({ network }) => network.joinScript.push('no-ap', 'no-ap', 'no-ap') });
    await boot(b, 60_000);
    const radioOff = b.pico.traced('wlan.active').find((entry) => entry.detail === 'false');
    expect(radioOff).toBeDefined();
    expect(radioOff!.at).toBeGreaterThan(b.network.joins[2].at);
    expect(radioOff!.at).toBeLessThan(b.network.joins[3].at);
    expect(b.broker.isConnected).toBe(true);
  });

  test('join timing out: classified as a timeout, not a password problem', async () => {
    const b = await bench({ setup: ({ network }) => network.joinScript.push('timeout') });
    await boot(b, 60_000);
    expect(events(b).map((event) => event.code)).toContain('wifi_timeout');
    expect(b.broker.isConnected).toBe(true);
  });

  test('access point lost mid-run: lamps keep their state, the car rejoins and reconnects', async () => {
    const b = await bench();
    await boot(b);
    b.broker.send(b.topics.lampSet('headlights'), command('on'));
    await b.clock.runFor(1_000);
    b.network.loseAp();
    await b.clock.runFor(40_000);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(65535);
    expect(b.broker.connects).toHaveLength(1);
    b.network.restoreAp();
    await b.clock.runFor(40_000);
    expect(b.broker.connects).toHaveLength(2);
    expect(b.broker.isConnected).toBe(true);
    expect(b.pico.pins.duty(PINS.headlights)).toBe(65535);
    expect(events(b)).toContainEqual({ level: 'warn', code: 'reconnecting', detail: 'wifi_lost' });
    expect(b.pico.watchdog.longestGapMs).toBeLessThanOrEqual(WDT_MAX_MS);
  });

  test('broker closing the socket: backoff 1, 2, 4, 8 s with jitter, one fresh DNS lookup each time', async () => {
    const b = await bench();
    await boot(b);
    b.broker.connectScript.push('refuse-socket', 'refuse-socket', 'refuse-socket');
    b.broker.dropConnection();
    await b.clock.runFor(60_000);
    const attempts = b.broker.connects.slice(1).map((connect) => connect.at);
    expect(attempts).toHaveLength(4);
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]);
    [2000, 4000, 8000].forEach((base, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(base);
      expect(gaps[i]).toBeLessThanOrEqual(base * 1.25 + 50);
    });
    const lookups = b.network.dnsQueries.filter((query) => query.at >= attempts[0] - 1);
    expect(lookups).toHaveLength(attempts.length);
    expect(b.broker.isConnected).toBe(true);
  });

  test('an event kept through an outage is not lost when the connection breaks again while sending it', async () => {
    const b = await bench();
    await boot(b);
    let breakNextEvent = true;
    b.broker.onPublish = ({ topic }) => {
      if (breakNextEvent && topic === b.topics.events) {
        breakNextEvent = false;
        b.broker.dropConnection();
      }
    };
    b.broker.dropConnection();
    await b.clock.runFor(20_000);
    expect(breakNextEvent).toBe(false);
    expect(b.broker.isConnected).toBe(true);
    expect(events(b).filter((event) => event.code === 'reconnecting')).toHaveLength(2);
  });

  test('after a reconnect: resubscribed, retained commands applied again and state re-reported', async () => {
    const b = await bench();
    await boot(b);
    b.broker.send(b.topics.lampSet('turnLeft'), command('blink', { id: 'hazard-1' }), { retain: true });
    await b.clock.runFor(1_000);
    b.broker.dropConnection();
    await b.clock.runFor(10_000);
    const perConnection = [...Object.keys(b.config.cars[CAR].lamps).map((lamp) => b.topics.lampSet(lamp)), ...otaSubscriptions(CAR)];
    expect(b.broker.subscriptions.map((s) => s.filter)).toEqual([...perConnection, ...perConnection]);
    const states = b.broker.publishedOn(b.topics.lampState('turnLeft')) as { id: string | null; mode: string }[];
    expect(states.filter((state) => state.id === 'hazard-1' && state.mode === 'blink').length).toBe(2);
    const online = b.broker.publishedOn(b.topics.status) as { online: boolean }[];
    expect(online.map((status) => status.online)).toEqual([true, false, true]);
  });

  test('an unexpected error is written to a bounded last_error.txt, then the board resets and boots again', async () => {
    const b = await bench();
    await boot(b);
    // A driver answering nonsense: the firmware's own code then raises a TypeError nobody expects.
    const status = b.network.status.bind(b.network);
    b.network.status = () => 'x'.repeat(2000) as unknown as number;
    b.broker.dropConnection();
    await b.clock.runFor(2_500);
    expect(b.pico.resets).toBe(1);
    expect(b.pico.traced('machine.reset')).toHaveLength(1);
    b.network.status = status;
    await b.clock.runFor(15_000);
    // The next boot moved the crash aside and reported it once online.
    expect(b.pico.readFile('last_error.txt.old')).toMatch(/wifi\.py.*\n.*TypeError/s);
    expect(events(b).map((event) => event.code)).toContain('reset_after_crash');
    expect(b.broker.isConnected).toBe(true);
    expect(b.pico.end).toBeUndefined();
  });

  test('an unexpected error still resets the board when last_error.txt cannot be written', async () => {
    const b = await bench();
    await boot(b);
    // A directory where the file should go: open(..., "w") fails as on a full or damaged filesystem.
    b.pico.eval('__import__("os").mkdir("last_error.txt")');
    b.network.status = () => 'x' as unknown as number;
    b.broker.dropConnection();
    await b.clock.runFor(2_500);
    expect(b.pico.resets).toBe(1);
  });

  test('after the reset the saved error is sent once as reset_after_crash and kept as last_error.txt.old', async () => {
    const b = await bench();
    const crash = `Traceback (most recent call last):\n${'  File "wifi.py"\n'.repeat(20)}TypeError: unsupported types`;
    b.pico.eval(`open("last_error.txt", "w").write(${JSON.stringify(crash)})`);
    await boot(b);
    const reported = events(b).filter((event) => event.code === 'reset_after_crash');
    expect(reported).toEqual([{ level: 'error', code: 'reset_after_crash', detail: crash.slice(-200) }]);
    expect(b.pico.readFile('last_error.txt')).toBeUndefined();
    expect(b.pico.readFile('last_error.txt.old')).toBe(crash);
  });

  test('last_error.txt keeps at most 1 KB, the end of the newest error', async () => {
    const b = await bench();
    b.pico.eval('__import__("status").record_error(ValueError("y" * 5000 + "END"))');
    const saved = b.pico.readFile('last_error.txt')!;
    expect(Buffer.byteLength(saved)).toBeLessThanOrEqual(1024);
    expect(saved.trimEnd().endsWith('END')).toBe(true);
  });

  test('broker refusing the connection (CONNACK 5): LED code 7, the refusal on events, retried', async () => {
    const b = await bench({ setup: ({ broker }) => broker.connectScript.push(5, 5, 5) });
    await boot(b, 30_000);
    const [firstRefusal, , , accepted] = b.broker.connects;
    expect(ledGroups(b, firstRefusal.at, accepted.at)).toContain(7);
    expect(b.broker.isConnected).toBe(true);
    expect(
      events(b)
        .filter((event) => event.code === 'connect_failed')
        .map((event) => event.detail),
    ).toEqual(['connack_5', 'connack_5', 'connack_5']);
  });

  test('Ctrl-C from Thonny stops the firmware and a timer keeps feeding the watchdog', async () => {
    const b = await bench();
    await boot(b);
    const stoppedAt = b.clock.now();
    b.pico.interrupt();
    await b.clock.runFor(1_000);
    expect(b.pico.end).toMatchObject({ kind: 'error', type: 'KeyboardInterrupt' });
    const timers = b.pico.traced('timer.start').filter((entry) => entry.at >= stoppedAt);
    expect(timers.map((entry) => entry.detail)).toEqual(['periodic 1000 ms']);
    expect(b.pico.output.join('\n')).toContain('reset the board to start again');
  });

  test('missing certificates: names the file and the command that writes them', async () => {
    const b = await bench({ withCerts: false });
    await boot(b, 5_000);
    expect(b.pico.output.join('\n')).toContain('certs/root-ca.der is missing; write the device folder with `npx plamo device rps13`');
    expect(ledGroups(b, 0, 5_000)).toContain(10);
  });
});
