import { LAMP_TRAITS } from '../../lib/config';
import { carTopics, LIMITS, otaPathProblem } from '../../lib/contract';
import { VirtualClock, VirtualPico, ScriptedBroker } from '../../lib/sim/pico';
import {
  DEFAULT_CERT_FILES,
  firmwareImportOrder,
  firmwareModules,
  packageVersion,
  pyStr,
  renderConfigPy,
  renderFirmwareFiles,
  WIFI_PASSWORD_FILE,
} from '../../firmware/generate';
import { CAR, HOST, testConfig } from './support';

const OPTIONS = { mqttHost: HOST };

/** Runs Python in a bare interpreter holding these files; returns the value of `result` (through JSON). */
async function python(files: ReadonlyMap<string, string>, code: string): Promise<unknown> {
  const clock = new VirtualClock();
  const pico = await VirtualPico.create({ files, clock, wire: new ScriptedBroker(clock) });
  pico.eval('0');
  (pico as unknown as { mp: { runPython(code: string): void } }).mp.runPython(code);
  return JSON.parse(pico.eval('__import__("json").dumps(result)') as string);
}

describe('config.py generator', () => {
  test('starts with the generated header', () => {
    expect(renderConfigPy(testConfig(), CAR, OPTIONS).startsWith('# generated — do not edit.')).toBe(true);
  });

  test('takes every topic, QoS and limit from the MQTT contract', async () => {
    const topics = carTopics('cars', CAR);
    const files = new Map([['config.py', renderConfigPy(testConfig(), CAR, OPTIONS)]]);
    const result = await python(
      files,
      'import config\nresult = [[topic.decode() for topic in config.LAMP_SET_TOPICS], config.TOPIC_STATUS.decode(), config.TOPIC_EVENTS.decode(), config.TOPIC_TELEMETRY.decode(), config.LAMP_STATE_TOPICS[0].decode(), config.LAMP_SET_TOPICS[1].decode(), config.SUBSCRIBE_FILTERS_MAX, config.PAYLOAD_MAX_BYTES, config.COMMAND_ID_MAX_LENGTH, config.QOS_LAMP_STATE, config.QOS_TELEMETRY]',
    );
    expect(result).toEqual([
      Object.keys(testConfig().cars[CAR].lamps).map((lamp) => topics.lampSet(lamp)),
      topics.status,
      topics.events,
      topics.telemetry,
      topics.lampState('headlights'),
      topics.lampSet('turnLeft'),
      LIMITS.filtersPerSubscribe,
      LIMITS.payloadMaxBytes,
      LIMITS.commandIdMaxLength,
      1,
      0,
    ]);
  });

  test('a custom topic root reaches every topic', () => {
    const text = renderConfigPy(
      testConfig((input) => (input.topicRoot = 'garage')),
      CAR,
      OPTIONS,
    );
    expect(text).toContain('TOPIC_STATUS = b"garage/rps13/status"');
    expect(text).not.toContain('"cars/');
  });

  test("lists lamps with GPIO number, their kind's PWM frequency (None: on/off), default brightness, tail level and fade", () => {
    const text = renderConfigPy(testConfig(), CAR, OPTIONS);
    expect(text).toContain(`("headlights", 2, ${LAMP_TRAITS.pwm.pwmHz}, 100, None, 0),`);
    expect(text).toContain(`("brake", 5, ${LAMP_TRAITS.pwm.pwmHz}, 100, 20, 0),`);
    expect(text).toContain('("turnLeft", 3, None, 100, None, 0),');
  });

  test('a servo and a sequence become rows the firmware reads: pulses in ns, lamp indices, per-lamp tracks', async () => {
    const config = testConfig((input) => {
      input.cars.rps13.servos = { pods: { pin: 'GP6', carries: ['headlights'], upUs: 2100, downUs: 900, travelMs: 450 } };
      input.cars.rps13.effects = {
        welcome: [
          { ms: 300, lamps: { hazard: 'on' } },
          { ms: 200, lamps: { hazard: 'off', headlights: { mode: 'on', brightness: 30 } } },
        ],
      };
    });
    const files = new Map([['config.py', renderConfigPy(config, CAR, OPTIONS)]]);
    const result = await python(
      files,
      'import config\nresult = [config.SERVOS, config.SERVO_HZ, config.EFFECTS, config.EFFECT_FLASH, config.POD_UP]',
    );
    expect(result).toEqual([
      [['pods', 6, 2_100_000, 900_000, 450, [0]]],
      50,
      [
        [
          'welcome',
          500,
          [
            [
              1,
              [
                [0, 100],
                [300, 0],
              ],
            ],
            [
              2,
              [
                [0, 100],
                [300, 0],
              ],
            ],
            [0, [[300, 30]]],
          ],
        ],
      ],
      'flash',
      'up',
    ]);
  });

  test('a car without servos gets no servo settings, only an empty SERVOS', () => {
    const text = renderConfigPy(testConfig(), CAR, OPTIONS);
    expect(text).toContain('SERVOS = ()');
    expect(text).not.toContain('SERVO_HZ');
    expect(text).not.toContain('POD_UP');
  });

  test('writes blink rate, powerOn, keepalive, endpoint, port, certificate files and the package version', () => {
    const text = renderConfigPy(testConfig(), CAR, { mqttHost: HOST, mqttPort: 8884 });
    for (const line of [
      'BLINK_PER_MIN = 85',
      'POWER_ON = "restore"',
      'KEEPALIVE_S = 60',
      `MQTT_HOST = "${HOST}"`,
      'MQTT_PORT = 8884',
      `CERT_FILE = "${DEFAULT_CERT_FILES.certificate}"`,
      `KEY_FILE = "${DEFAULT_CERT_FILES.privateKey}"`,
      `CA_FILE = "${DEFAULT_CERT_FILES.rootCa}"`,
      `FIRMWARE_VERSION = "${packageVersion()}"`,
    ]) {
      expect(text).toContain(line);
    }
  });

  test('a Wi-Fi password with quotes, backslashes and non-ASCII arrives intact in MicroPython, from its own file', async () => {
    const password = `it's "quoted" \\ back\\slash \n ünï 🚗 """`;
    const files = renderFirmwareFiles(testConfig(), CAR, { ...OPTIONS, wifiPassword: password });
    expect(files.get('config.py')).not.toContain('ünï');
    const read = `import config\nwith open(config.WIFI_PASSWORD_FILE) as f:\n    result = f.read()`;
    expect(await python(new Map([...files].filter(([path]) => path === 'config.py' || path === WIFI_PASSWORD_FILE)), read)).toBe(password);
  });

  test('the Wi-Fi password file sits with the credentials an update never touches', () => {
    expect(WIFI_PASSWORD_FILE.startsWith('certs/')).toBe(true);
    expect(otaPathProblem(WIFI_PASSWORD_FILE)).toBe(
      `${WIFI_PASSWORD_FILE} is in certs/, which an update never writes (credentials stay on the car)`,
    );
  });

  test('no Wi-Fi password: no password file, and config.py holds no password at all', () => {
    const files = renderFirmwareFiles(testConfig(), CAR, OPTIONS);
    expect(files.has(WIFI_PASSWORD_FILE)).toBe(false);
    expect(files.get('config.py')).not.toMatch(/^WIFI_PASSWORD =/m);
  });

  test('refuses to render without an MQTT host, and says where to find one', () => {
    expect(() => renderConfigPy(testConfig(), CAR, { mqttHost: ' ' })).toThrow("no MQTT host for car 'rps13'");
  });

  test('refuses a URL or host:port for the MQTT host, and says what to pass', () => {
    for (const mqttHost of [`https://${HOST}`, `${HOST}:8883`, `${HOST}/mqtt`]) {
      expect(() => renderConfigPy(testConfig(), CAR, { mqttHost })).toThrow(
        `no MQTT host name in '${mqttHost}': pass the endpoint alone, e.g. abc123-ats.iot.eu-west-1.amazonaws.com (no scheme, port or path)`,
      );
    }
  });

  test('takes an IPv4 address as the MQTT host', () => {
    expect(renderConfigPy(testConfig(), CAR, { mqttHost: '127.0.0.1' })).toContain('MQTT_HOST = "127.0.0.1"');
  });

  test('refuses an unknown car, listing the known ones', () => {
    expect(() => renderConfigPy(testConfig(), 'ae86', OPTIONS)).toThrow("no car 'ae86' in the config; known cars: rps13");
  });

  test('pyStr escapes what Python needs escaped', () => {
    expect(pyStr('a"b\\c\u0007')).toBe('"a\\"b\\\\c\\x07"');
  });
});

describe('firmware files', () => {
  test('renderFirmwareFiles gives every module and config.py, and no certificates', () => {
    const files = renderFirmwareFiles(testConfig(), CAR, OPTIONS);
    expect([...files.keys()].sort()).toEqual([...firmwareModules().keys(), 'config.py', 'otaconfig.py'].sort());
    expect([...files.keys()]).toEqual(expect.arrayContaining(['main.py', 'app.py', 'clock.py', 'config.py']));
    expect([...files.keys()].some((path) => path.startsWith('certs/'))).toBe(false);
  });

  test('no topic string is typed in the hand-written modules', () => {
    for (const [name, source] of firmwareModules()) {
      expect({ name, typed: /["'][^"'\n]*\/(lamps|status|telemetry|events|set|state)\b/.test(source) }).toEqual({ name, typed: false });
    }
  });

  test('every module compiles under the MicroPython interpreter', async () => {
    const files = renderFirmwareFiles(testConfig(), CAR, OPTIONS);
    const names = [...files.keys()];
    const code = `result = []\nfor name in ${JSON.stringify(names)}:\n    with open("/src/" + name) as f:\n        compile(f.read(), name, "exec")\n    result.append(name)`;
    const sources = new Map([...files].map(([name, text]) => [`src/${name}`, text]));
    expect(await python(sources, code)).toEqual(names);
  });
});

describe('firmware import order', () => {
  const order = firmwareImportOrder();

  test('holds every firmware module and the generated configs once, without boot.py and main.py (importing them runs them)', () => {
    const handWritten = [...firmwareModules().keys()]
      .map((file) => file.replace(/\.py$/, ''))
      .filter((name) => name !== 'main' && name !== 'boot');
    expect([...order].sort()).toEqual([...handWritten, 'config', 'otaconfig'].sort());
  });

  test('puts each module after the firmware modules it imports, lazy imports included', () => {
    const importedFirst = (first: string, then: string) => expect(order.indexOf(first)).toBeLessThan(order.indexOf(then));
    importedFirst('clock', 'lamps'); // from clock import ticks_ms
    importedFirst('config', 'wifi');
    importedFirst('mqtt', 'link');
    importedFirst('commands', 'link');
    importedFirst('checks', 'app'); // imported inside app's boot, then dropped
    expect(order.at(-1)).toBe('app');
  });
});
