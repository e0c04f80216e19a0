import { DELIVERY, otaSubscriptions } from '../../lib/contract';
import { CAR, CERTS, HOST, WDT_MAX_MS, bench, boot, events } from './support';
import { DEFAULT_CERT_FILES } from '../../firmware/generate';

function order(kinds: string[], trace: { kind: string }[]): number[] {
  return kinds.map((kind) => trace.findIndex((entry) => entry.kind === kind));
}

describe('standalone boot', () => {
  test('walks the boot steps in order: country, radio on, power-save off, join, NTP, gc, DNS, TCP, TLS', async () => {
    const b = await bench();
    await boot(b);
    const steps = [
      'wdt.start',
      'wlan.country',
      'wlan.active',
      'wlan.pm',
      'wlan.connect',
      'ntp.answer',
      'rtc.set',
      'gc.collect',
      'dns',
      'tcp.connect',
      'tls.handshake',
    ];
    const positions = order(steps, b.pico.trace);
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
  });

  test('waits for the Wi-Fi chip to report active before configuring it', async () => {
    const b = await bench();
    await boot(b);
    const [active] = b.pico.traced('wlan.active');
    const [pm] = b.pico.traced('wlan.pm');
    expect(pm.at - active.at).toBeGreaterThanOrEqual(300);
    expect(pm.detail).toBe('0xa11140');
  });

  test('connects with the DER credentials, SNI, certificate checks, Nagle off and a retained offline will', async () => {
    const b = await bench();
    await boot(b);
    const [connect] = b.broker.connects;
    expect(connect.clientId).toBe('rps13');
    expect(connect.port).toBe(8883);
    expect(connect.keepaliveS).toBe(60);
    expect(connect.cleanSession).toBe(true);
    expect(connect.noDelay).toBe(true);
    expect(connect.tls.verifyMode).toBe(2);
    expect(connect.tls?.serverHostname).toBe(HOST);
    expect(connect.tls?.caDer.equals(CERTS[DEFAULT_CERT_FILES.rootCa])).toBe(true);
    expect(connect.tls?.certDer.equals(CERTS[DEFAULT_CERT_FILES.certificate])).toBe(true);
    expect(connect.tls?.keyDer.equals(CERTS[DEFAULT_CERT_FILES.privateKey])).toBe(true);
    expect(connect.will).toMatchObject({ topic: b.topics.status, ...DELIVERY.status });
    expect(JSON.parse(connect.will!.payload.toString())).toEqual({ online: false });
  });

  test("subscribes to each lamp's exact topic, then its own update topics, never a wildcard, and announces itself online", async () => {
    const b = await bench();
    await boot(b);
    const lamps = Object.keys(b.config.cars[CAR].lamps);
    const filters = [...lamps.map((lamp) => b.topics.lampSet(lamp)), ...otaSubscriptions(CAR)];
    expect(b.broker.subscriptions.map((s) => [s.filter, s.qos])).toEqual(filters.map((filter) => [filter, 1]));
    for (const filter of filters) expect(filter).not.toMatch(/[+#]/);
    const status = b.broker.published.find((record) => record.topic === b.topics.status);
    expect(status).toMatchObject(DELIVERY.status);
    expect(JSON.parse(status!.payload)).toEqual({ online: true, fw: '0.1.0', ip: '192.168.4.23' });
  });

  test('reports the boot on events once online', async () => {
    const b = await bench();
    await boot(b);
    expect(events(b)).toContainEqual({ level: 'info', code: 'boot', detail: 'fw 0.1.0, MicroPython 1.27.0, reset: power-on' });
  });

  test('pings at half the keepalive', async () => {
    const b = await bench();
    await boot(b);
    await b.clock.runFor(180_000);
    const gaps = b.broker.pings.slice(1).map((at, i) => at - b.broker.pings[i]);
    expect(b.broker.pings.length).toBeGreaterThanOrEqual(5);
    for (const gap of gaps) expect(Math.abs(gap - 30_000)).toBeLessThanOrEqual(20);
  });

  test('publishes telemetry every 60 s', async () => {
    const b = await bench();
    await boot(b);
    await b.clock.runFor(185_000);
    const telemetry = b.broker.published.filter((record) => record.topic === b.topics.telemetry);
    expect(telemetry).toHaveLength(3);
    expect(JSON.parse(telemetry[0].payload)).toMatchObject({ uptime_s: expect.any(Number), reconnects: 0, fw: '0.1.0', rssi: -58 });
  });

  test('NTP failing twice: retried, and no TLS until the clock is set', async () => {
    const b = await bench({ setup: ({ network }) => (network.ntpFailures = 2) });
    await boot(b, 20_000);
    expect(b.network.ntpQueries.map((query) => query.ok)).toEqual([false, false, true]);
    const [clockSet] = b.pico.traced('rtc.set');
    expect(b.pico.traced('tls.handshake').every((entry) => entry.at >= clockSet.at)).toBe(true);
    expect(b.broker.isConnected).toBe(true);
  });

  test('a short NTP answer is a failed query like a lost one, at boot and while online', async () => {
    const b = await bench({ setup: ({ network }) => (network.ntpShortReplies = 1) });
    b.pico.eval('setattr(__import__("timesync"), "RESYNC_MS", 60000)');
    await boot(b, 20_000);
    expect(b.broker.isConnected).toBe(true);
    b.network.ntpShortReplies = 1;
    await b.clock.runFor(90_000);
    expect(b.network.ntpQueries.map((query) => query.ok)).toEqual([false, true, false]);
    expect(b.pico.end).toBeUndefined();
    expect(b.broker.isConnected).toBe(true);
    expect(events(b).filter((event) => event.code === 'ntp_failed')).toHaveLength(1);
  });

  test('sets the clock again every RESYNC_MS while online', async () => {
    const b = await bench();
    b.pico.eval('setattr(__import__("timesync"), "RESYNC_MS", 120000)');
    await boot(b);
    await b.clock.runFor(270_000);
    expect(b.network.ntpQueries.filter((query) => query.ok)).toHaveLength(3);
  });

  test('a failed re-sync keeps the clock and the connection, and waits before trying again', async () => {
    const b = await bench();
    b.pico.eval('setattr(__import__("timesync"), "RESYNC_MS", 60000)');
    b.pico.eval('setattr(__import__("timesync"), "RESYNC_RETRY_MS", 180000)');
    await boot(b);
    b.network.ntpFailures = 100;
    await b.clock.runFor(360_000);
    expect(b.network.ntpQueries.filter((query) => !query.ok)).toHaveLength(2);
    expect(b.broker.isConnected).toBe(true);
    expect(events(b).filter((event) => event.code === 'ntp_failed')).toHaveLength(2);
  });

  test('feeds the watchdog at least every 8,388 ms through boot and five minutes online', async () => {
    const b = await bench();
    await boot(b);
    await b.clock.runFor(300_000);
    expect(b.pico.watchdog.timeoutMs).toBeLessThanOrEqual(WDT_MAX_MS);
    expect(b.pico.watchdog.longestGapMs).toBeLessThanOrEqual(WDT_MAX_MS);
  });
});
