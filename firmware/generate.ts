/**
 * Renders the Pico W's folder for one car: the hand-written MicroPython modules in this folder, plus a
 * `config.py` generated from the typed config and the MQTT contract. Every topic, QoS and limit the
 * firmware uses comes from `lib/contract`, so no topic string is typed in Python.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlamoConfig } from '../lib/config';
import { UserError } from '../lib/user-error';
import { checkPin, effectTracks, LAMP_TRAITS, SERVO_PWM_HZ } from '../lib/config';
import {
  carTopics,
  DELIVERY,
  deviceSubscriptions,
  encodePayload,
  FLASH_EFFECT,
  LIMITS,
  MQTT_TLS_PORT,
  OTA_BLOCK_BYTES,
  OTA_MANIFEST_MAX_BYTES,
  OTA_OPERATION,
  OTA_PROTECTED_DIRS,
  OTA_PROTECTED_FILES,
  otaSubscriptions,
  otaTopics,
  POD_POSITIONS,
  STATUS_OFFLINE,
} from '../lib/contract';

/** Where the DER files sit on the device, relative to its root. */
export interface FirmwareCertFiles {
  readonly certificate: string;
  readonly privateKey: string;
  readonly rootCa: string;
}

export const DEFAULT_CERT_FILES: FirmwareCertFiles = {
  certificate: 'certs/device.crt.der',
  privateKey: 'certs/device.key.der',
  rootCa: 'certs/root-ca.der',
};

/**
 * The Wi-Fi password's file on the device: beside the key, in the folder an update never touches, so a
 * credential is never sent in an update nor replaced by one. Plain UTF-8, no newline.
 */
export const WIFI_PASSWORD_FILE = 'certs/wifi-password.txt';

export interface FirmwareOptions {
  /** The broker's host name (the AWS IoT ATS data endpoint, or the twin's broker); also the TLS SNI name. */
  readonly mqttHost: string;
  /** @default MQTT_TLS_PORT (8883) */
  readonly mqttPort?: number;
  /** Written to WIFI_PASSWORD_FILE, never into config.py. @default - none: the car joins only an open network */
  readonly wifiPassword?: string;
  /** @default DEFAULT_CERT_FILES */
  readonly certFiles?: FirmwareCertFiles;
  /** @default - `version` of package.json */
  readonly firmwareVersion?: string;
}

export const GENERATED_HEADER = '# generated — do not edit.';

const FIRMWARE_DIR = __dirname;

/** The hand-written modules, file name → source, in a stable order. */
export function firmwareModules(): Map<string, string> {
  const names = readdirSync(FIRMWARE_DIR)
    .filter((name) => name.endsWith('.py') && name !== 'config.py' && name !== 'otaconfig.py')
    .sort();
  return new Map(names.map((name) => [name, readFileSync(join(FIRMWARE_DIR, name), 'utf8')]));
}

/** The module the board runs at power-up; importing it starts the firmware. */
const ENTRY_MODULE = 'main';
/** What the board runs before main.py: the boot step of updates. Left out too (importing it runs it). */
const BOOT_MODULE = 'boot';
/** Generated per car (`renderConfigPy`, `renderOtaConfigPy`), imported like the hand-written ones. */
const GENERATED_MODULES = ['config', 'otaconfig'];

/** The modules a firmware source imports, in the order it names them (top-level and lazy imports alike). */
function importedNames(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(/^[ \t]*(?:import ([\w, ]+)|from (\w+) import)/gm)) {
    if (match[2]) names.push(match[2]);
    else names.push(...match[1].split(',').map((name) => name.trim()));
  }
  return names;
}

/**
 * The firmware's own modules in import order, each after the ones it imports, as the board loads them from
 * `boot.py` and `main.py` (both left out: importing them runs them). Read from the sources, so a new module or
 * import shows up without a list to keep.
 */
export function firmwareImportOrder(): string[] {
  const sources = new Map([...firmwareModules()].map(([file, source]) => [file.replace(/\.py$/, ''), source]));
  const own = new Set([...sources.keys(), ...GENERATED_MODULES]);
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (name: string) => {
    if (seen.has(name) || !own.has(name)) return;
    seen.add(name);
    for (const imported of importedNames(sources.get(name) ?? '')) visit(imported);
    order.push(name);
  };
  visit(BOOT_MODULE);
  visit(ENTRY_MODULE);
  return order.filter((name) => name !== ENTRY_MODULE && name !== BOOT_MODULE);
}

export function packageVersion(): string {
  return JSON.parse(readFileSync(join(FIRMWARE_DIR, '..', 'package.json'), 'utf8')).version;
}

/** A Python str literal for any text: quotes, backslashes and control characters escaped. */
export function pyStr(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === '"') out += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) throw new Error('text holds a lone UTF-16 surrogate; it cannot be stored on the device');
    else out += char;
  }
  return `${out}"`;
}

/** A Python bytes literal for ASCII text such as a topic (topics are built from ASCII-only names). */
export function pyBytes(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) throw new Error(`'${value}' is not printable ASCII`);
  return `b${pyStr(value)}`;
}

function pyValue(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`${value} is not an integer`);
    return String(value);
  }
  return pyStr(value);
}

function pyTuple(items: readonly string[]): string {
  return items.length === 0 ? '()' : `(\n${items.map((item) => `    ${item},`).join('\n')}\n)`;
}

/** The broker's host or port cannot go into `config.py`; the message says what to pass instead. */
export class FirmwareOptionsError extends UserError {}

function checkOptions(carId: string, options: FirmwareOptions): void {
  if (!options.mqttHost?.trim()) {
    throw new FirmwareOptionsError(
      `no MQTT host for car '${carId}': pass the broker's host name (the AWS IoT data endpoint, \`aws iot describe-endpoint --endpoint-type iot:Data-ATS\`)`,
    );
  }
  const host = options.mqttHost.trim();
  // A pasted URL (`https://…`, `…:8883`) would only fail on the car, as a DNS error behind LED code 6.
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
    throw new FirmwareOptionsError(
      `no MQTT host name in '${host}': pass the endpoint alone, e.g. abc123-ats.iot.eu-west-1.amazonaws.com (no scheme, port or path)`,
    );
  }
  const port = options.mqttPort ?? MQTT_TLS_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FirmwareOptionsError(`MQTT port ${port} is not a TCP port (1–65535)`);
}

/**
 * The text of `otaconfig.py`: the update's topics and limits (lib/contract/ota.ts). A module of its own,
 * imported only by updater.py, so a car with no update to handle keeps this RAM; config.py has only what
 * every connection needs (the subscriptions and the `$next/get` topic).
 */
export function renderOtaConfigPy(carId: string): string {
  const topics = otaTopics(carId);
  const marker = '\u0000';
  const [jobsPrefix, updateSuffix] = topics.jobUpdate(marker).split(marker);
  return [
    `${GENERATED_HEADER} Made from the MQTT contract (lib/contract/ota.ts) for car ${carId}.`,
    '# Over-the-air updates: AWS IoT Jobs for the job, MQTT-based file delivery for the files.',
    '',
    `OPERATION = ${pyStr(OTA_OPERATION)}`,
    `NOTIFY_NEXT = ${pyBytes(topics.notifyNext)}`,
    `NEXT_ACCEPTED = ${pyBytes(topics.nextGetAccepted)}`,
    '# The update topic of a job is JOBS_PREFIX + job id + UPDATE_SUFFIX.',
    `JOBS_PREFIX = ${pyBytes(jobsPrefix)}`,
    `UPDATE_SUFFIX = ${pyBytes(updateSuffix)}`,
    `STREAM_GET = ${pyBytes(topics.streamGet)}`,
    `STREAM_DATA = ${pyBytes(topics.streamData)}`,
    `STREAM_REJECTED = ${pyBytes(topics.streamRejected)}`,
    `BLOCK_BYTES = ${OTA_BLOCK_BYTES}`,
    `MANIFEST_MAX_BYTES = ${OTA_MANIFEST_MAX_BYTES}`,
    `PROTECTED_FILES = ${pyTuple(OTA_PROTECTED_FILES.map(pyStr))}`,
    `PROTECTED_DIRS = ${pyTuple(OTA_PROTECTED_DIRS.map(pyStr))}`,
    '',
  ].join('\n');
}

/** The text of `config.py` for one car. */
export function renderConfigPy(config: PlamoConfig, carId: string, options: FirmwareOptions): string {
  const car = config.cars[carId];
  if (!car) throw new Error(`no car '${carId}' in the config; known cars: ${Object.keys(config.cars).join(', ')}`);
  checkOptions(carId, options);
  const topics = carTopics(config.topicRoot, carId);
  const certFiles = options.certFiles ?? DEFAULT_CERT_FILES;
  const lampNames = Object.keys(car.lamps);
  // lampSet(lamp) is `<prefix><lamp><suffix>`; splitting on a marker keeps the spelling in the contract.
  const marker = '\u0000';
  const [lampTopicPrefix, lampSetSuffix] = topics.lampSet(marker).split(marker);
  const lampRows = lampNames.map((name) => {
    const lamp = car.lamps[name];
    const pin = checkPin(lamp.pin);
    if (!pin.ok) throw new Error(`cars.${carId}.lamps.${name}.pin: ${pin.message}`);
    const traits = LAMP_TRAITS[lamp.kind];
    // The firmware needs only what the kind does: a lamp that dims is a PWM output at the kind's frequency.
    const pwmHz = traits.dims ? traits.pwmHz : null;
    return `(${[pyStr(name), pin.gpio, pyValue(pwmHz), lamp.defaultBrightness, pyValue(lamp.tailLevel), lamp.transitionMs].join(', ')})`;
  });
  const servoRows = Object.entries(car.servos).map(([name, servo]) => {
    const pin = checkPin(servo.pin);
    if (!pin.ok) throw new Error(`cars.${carId}.servos.${name}.pin: ${pin.message}`);
    const carried = servo.carries.map((lamp) => `${lampNames.indexOf(lamp)},`).join(' ');
    return `(${[pyStr(name), pin.gpio, servo.upUs * 1000, servo.downUs * 1000, servo.travelMs, `(${carried})`].join(', ')})`;
  });
  const effectRows = Object.entries(car.effects).map(([name, steps]) => {
    const { tracks, totalMs } = effectTracks(car, steps);
    const trackRows = tracks.map(
      ({ lamp, points }) => `(${lampNames.indexOf(lamp)}, (${points.map(({ at, level }) => `(${at}, ${level}),`).join(' ')}))`,
    );
    return `(${pyStr(name)}, ${totalMs}, (${trackRows.map((row) => `${row},`).join(' ')}))`;
  });
  const lines = [
    `${GENERATED_HEADER} Made from plamo.config.ts and the MQTT contract (lib/contract).`,
    `# Change the config and run \`npx plamo device ${carId}\` (or \`npx plamo firmware ${carId}\`) again instead.`,
    '',
    `FIRMWARE_VERSION = ${pyStr(options.firmwareVersion ?? packageVersion())}`,
    `CAR_ID = ${pyStr(carId)}`,
    '',
    `WIFI_SSID = ${pyStr(car.wifi.ssid)}`,
    '# The password is not here: config.py travels in updates, credentials never do.',
    `WIFI_PASSWORD_FILE = ${pyStr(WIFI_PASSWORD_FILE)}`,
    `WIFI_COUNTRY = ${pyStr(car.wifi.country)}`,
    '',
    `MQTT_HOST = ${pyStr(options.mqttHost.trim())}`,
    `MQTT_PORT = ${options.mqttPort ?? MQTT_TLS_PORT}`,
    `KEEPALIVE_S = ${config.keepaliveS}`,
    `CERT_FILE = ${pyStr(certFiles.certificate)}`,
    `KEY_FILE = ${pyStr(certFiles.privateKey)}`,
    `CA_FILE = ${pyStr(certFiles.rootCa)}`,
    '',
    '# Outgoing topics as bytes: the client puts them on the wire as they are.',
    `TOPIC_STATUS = ${pyBytes(topics.status)}`,
    `STATUS_WILL = ${pyBytes(encodePayload(STATUS_OFFLINE))}`,
    `TOPIC_TELEMETRY = ${pyBytes(topics.telemetry)}`,
    `TOPIC_EVENTS = ${pyBytes(topics.events)}`,
    '# Incoming topics arrive as bytes; comparing bytes to bytes allocates nothing.',
    `LAMP_TOPIC_PREFIX = ${pyBytes(lampTopicPrefix)}`,
    `LAMP_SET_SUFFIX = ${pyBytes(lampSetSuffix)}`,
    '# The device subscribes to each of these exactly, never to a wildcard: AWS IoT Core sends a retained',
    '# command on subscription only to a filter that is its topic.',
    `LAMP_SET_TOPICS = ${pyTuple(deviceSubscriptions(config.topicRoot, carId, lampNames).map(pyBytes))}`,
    `LAMP_STATE_TOPICS = ${pyTuple(lampNames.map((name) => pyBytes(topics.lampState(name))))}`,
    '',
    `QOS_LAMP_SET = ${DELIVERY.lampSet.qos}`,
    `QOS_LAMP_STATE = ${DELIVERY.lampState.qos}`,
    `QOS_STATUS = ${DELIVERY.status.qos}`,
    `QOS_TELEMETRY = ${DELIVERY.telemetry.qos}`,
    `QOS_EVENTS = ${DELIVERY.events.qos}`,
    `PAYLOAD_MAX_BYTES = ${LIMITS.payloadMaxBytes}`,
    `COMMAND_ID_MAX_LENGTH = ${LIMITS.commandIdMaxLength}`,
    `TRANSITION_MAX_MS = ${LIMITS.transitionMaxMs}`,
    `TELEMETRY_INTERVAL_S = ${LIMITS.telemetryIntervalS}`,
    `SUBSCRIBE_FILTERS_MAX = ${LIMITS.filtersPerSubscribe}`,
    '',
    '# Updates (the rest is in otaconfig.py, loaded only when there is one): the `$next/get` request topic,',
    '# then the filters subscribed after the lamps. One name for all: every name costs RAM for good.',
    `OTA_TOPICS = ${pyTuple([otaTopics(carId).nextGet, ...otaSubscriptions(carId)].map(pyBytes))}`,
    '',
    `BLINK_PER_MIN = ${car.blinkPerMin}`,
    `POWER_ON = ${pyStr(car.powerOn)}`,
    '# (name, GPIO, PWM Hz or None for an on/off output, default brightness %, tail level % or None, fade ms), from the',
    "# lamp kinds' traits (lib/config/lamp-traits.ts); the order matches the topic tuples.",
    `LAMPS = ${pyTuple(lampRows)}`,
    `EFFECT_FLASH = ${pyStr(FLASH_EFFECT)}`,
    '# (name, length ms, ((lamp index in LAMPS, ((from ms, level %), ...)), ...)) of each sequence: a lamp is as',
    '# it was until its first point, and again once the sequence is over.',
    `EFFECTS = ${pyTuple(effectRows)}`,
    '# (name, GPIO, up pulse ns, down pulse ns, travel ms, indices in LAMPS of the lamps it raises).',
    `SERVOS = ${pyTuple(servoRows)}`,
    // Only a car with servos gets their settings: every name in config.py takes RAM on every car.
    ...(servoRows.length === 0
      ? []
      : [
          `SERVO_HZ = ${SERVO_PWM_HZ}`,
          "# Where a carried lamp's pod is, as its state reports it (lampStateSchema's `pod`).",
          ...POD_POSITIONS.map((position) => `POD_${position.toUpperCase()} = ${pyStr(position)}`),
        ]),
    '',
  ];
  return lines.join('\n');
}

/**
 * Every file the device needs except its certificates: the firmware modules, `config.py`, and the Wi-Fi
 * password's file when there is a password. Pure apart from reading the firmware sources; throws with the
 * fix when the car or the host is missing.
 */
export function renderFirmwareFiles(config: PlamoConfig, carId: string, options: FirmwareOptions): Map<string, string> {
  const files = firmwareModules();
  files.set('config.py', renderConfigPy(config, carId, options));
  files.set('otaconfig.py', renderOtaConfigPy(carId));
  if (options.wifiPassword !== undefined) files.set(WIFI_PASSWORD_FILE, options.wifiPassword);
  return files;
}
