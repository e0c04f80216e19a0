import type { CarConfig, LampMode, PlamoConfig } from '../config';
import { BUILTIN_EFFECTS, DEFAULT_FLASH_MS, effectTracks, FLASH_EFFECT } from '../config/effects';
import { kindsThat, traitsOf } from '../config/lamp-traits';
import { LAMP_MODES, MODES_TEXT } from '../config/modes';
import { LIMITS } from '../contract/topics';
import { badRequest, shorten } from './http';

/** The parts of a car the lamp API needs: no Wi-Fi, no certificate settings. */
export type ApiCar = Pick<CarConfig, 'name' | 'powerOn' | 'blinkPerMin' | 'lamps' | 'servos' | 'groups' | 'scenes' | 'effects' | 'labels'>;

/** The parts of the config the lamp API needs; a `PlamoConfig` is one. */
export interface ApiConfig {
  readonly topicRoot: string;
  readonly cars: Readonly<Record<string, ApiCar>>;
}

/** What a phone asks of one lamp; the command id and timestamp are added when it is published. */
export interface LampIntent {
  readonly mode: LampMode;
  readonly brightness?: number;
  /** Fade in ms (dimmable lamps); the lamp's configured `transitionMs` when left out. */
  readonly transitionMs?: number;
}

/** Commands per lamp name, in the order they were given. */
export type LampIntents = Map<string, LampIntent>;

/** Strips what the API does not need, e.g. before the config is written beside the Lambda bundle. */
export function apiConfigOf(config: PlamoConfig): ApiConfig {
  const cars = Object.fromEntries(
    Object.entries(config.cars).map(([id, car]) => [
      id,
      {
        name: car.name,
        powerOn: car.powerOn,
        blinkPerMin: car.blinkPerMin,
        lamps: car.lamps,
        servos: car.servos,
        groups: car.groups,
        scenes: car.scenes,
        effects: car.effects,
        labels: car.labels,
      },
    ]),
  );
  return { topicRoot: config.topicRoot, cars };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isMode = (value: unknown): value is LampMode => typeof value === 'string' && (LAMP_MODES as readonly string[]).includes(value);

/** `field` prefixes every message, so the phone can show which key was wrong. */
function qualified(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

const INTENT_FIELDS = ['mode', 'brightness', 'transitionMs'];

const isWholeIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/** `{ "mode": …, "brightness"?: …, "transitionMs"?: … }` with nothing else in it. */
export function parseIntentObject(value: unknown, prefix = ''): LampIntent {
  const where = prefix === '' ? 'body' : prefix;
  if (!isPlainObject(value)) throw badRequest(`${where}: expected a JSON object like {"mode":"on"}`);
  const unknownKey = Object.keys(value).find((key) => !INTENT_FIELDS.includes(key));
  if (unknownKey !== undefined)
    throw badRequest(`${qualified(prefix, shorten(unknownKey))}: unknown field; use ${INTENT_FIELDS.map((key) => `"${key}"`).join(', ')}`);
  if (!isMode(value.mode)) throw badRequest(`${qualified(prefix, 'mode')}: must be one of ${MODES_TEXT}`);
  const { brightness, transitionMs } = value;
  if (brightness !== undefined && !isWholeIn(brightness, 0, 100)) {
    throw badRequest(`${qualified(prefix, 'brightness')}: must be a whole number from 0 to 100`);
  }
  if (transitionMs !== undefined && !isWholeIn(transitionMs, 0, LIMITS.transitionMaxMs)) {
    throw badRequest(`${qualified(prefix, 'transitionMs')}: must be a whole number of ms from 0 to ${LIMITS.transitionMaxMs}`);
  }
  return {
    mode: value.mode,
    ...(brightness === undefined ? {} : { brightness }),
    ...(transitionMs === undefined ? {} : { transitionMs }),
  };
}

/** A PATCH or scene entry: a bare mode (`"on"`) or the object form. */
export function parseIntent(value: unknown, prefix: string): LampIntent {
  if (typeof value === 'string') {
    if (!isMode(value)) throw badRequest(`${prefix}: must be one of ${MODES_TEXT}, or {"mode":…,"brightness":…}`);
    return { mode: value };
  }
  return parseIntentObject(value, prefix);
}

/** The lamps a lamp or group name stands for; undefined when the car has neither. */
export function resolveTarget(car: ApiCar, target: string): readonly string[] | undefined {
  if (Object.hasOwn(car.lamps, target)) return [target];
  if (Object.hasOwn(car.groups, target)) return car.groups[target];
  return undefined;
}

export function knownTargets(car: ApiCar): string {
  return [...Object.keys(car.lamps), ...Object.keys(car.groups)].join(', ');
}

/**
 * Only lamps whose kind dims take a brightness or a fade; for any other it is refused rather than silently
 * ignored. `field` is where the brightness is (`brightness`, `turnLeft.brightness`); a fade's is beside it.
 */
function checkDimmable(car: ApiCar, lamps: readonly string[], intent: LampIntent, field: string): void {
  const fixed = lamps.filter((lamp) => !traitsOf(car.lamps[lamp].kind)?.dims);
  if (fixed.length === 0) return;
  const only = `only kind ${kindsThat('dims')} lamps can`;
  if (intent.brightness !== undefined) throw badRequest(`${field}: ${fixed.join(', ')} cannot dim (${only}); leave brightness out`);
  if (intent.transitionMs !== undefined)
    throw badRequest(`${field.replace(/brightness$/, 'transitionMs')}: ${fixed.join(', ')} cannot fade (${only}); leave transitionMs out`);
}

/** One intent for a lamp or group, fanned out to its lamps. */
export function intentsForTarget(car: ApiCar, lamps: readonly string[], intent: LampIntent, brightnessField: string): LampIntents {
  checkDimmable(car, lamps, intent, brightnessField);
  return new Map(lamps.map((lamp) => [lamp, intent]));
}

/** The PATCH body `{ <lamp or group>: "on" | { mode, brightness }, … }`; a later key wins over an earlier one. */
export function parsePatchBody(car: ApiCar, carId: string, body: unknown): LampIntents {
  if (!isPlainObject(body)) throw badRequest('body: expected a JSON object like {"headlights":"on"}');
  const entries = Object.entries(body);
  if (entries.length === 0) throw badRequest('body: name at least one lamp or group, like {"headlights":"on"}');
  const intents: LampIntents = new Map();
  for (const [target, value] of entries) {
    const lamps = resolveTarget(car, target);
    if (!lamps) throw badRequest(`${shorten(target)}: not a lamp or group of car '${carId}'; known: ${knownTargets(car)}`);
    const intent = parseIntent(value, target);
    for (const [lamp, lampIntent] of intentsForTarget(car, lamps, intent, qualified(target, 'brightness'))) intents.set(lamp, lampIntent);
  }
  return intents;
}

/** A scene from the config; it was validated at synth, so its targets exist. */
export function sceneIntents(car: ApiCar, scene: string): LampIntents | undefined {
  if (!Object.hasOwn(car.scenes, scene)) return undefined;
  const intents: LampIntents = new Map();
  for (const [target, command] of Object.entries(car.scenes[scene])) {
    const intent: LampIntent = typeof command === 'string' ? { mode: command } : command;
    for (const lamp of resolveTarget(car, target) ?? []) intents.set(lamp, intent);
  }
  return intents;
}

/** What the car is asked to play on one lamp (`lampEffectSchema` less the id and timestamp). */
export interface EffectIntent {
  readonly effect: string;
  readonly durationMs?: number;
}

/** The lamps a request's `lamps` names: a lamp or group name, or a list of them. */
function flashTargets(car: ApiCar, carId: string, value: unknown): string[] {
  const names = Array.isArray(value) ? value : [value];
  if (names.length === 0 || !names.every((name) => typeof name === 'string'))
    throw badRequest('lamps: name the lamp or group to flash, like "headlights", or a list of them');
  const lamps = new Set<string>();
  for (const name of names as string[]) {
    const members = resolveTarget(car, name);
    if (!members) throw badRequest(`lamps: '${shorten(name)}' is not a lamp or group of car '${carId}'; known: ${knownTargets(car)}`);
    for (const lamp of members) lamps.add(lamp);
  }
  return [...lamps];
}

/**
 * `POST /api/cars/{car}/effects/flash` with `{ "lamps": …, "durationMs"?: … }`, or a sequence of the config with no
 * body (or `{}`); undefined when the car has no such effect.
 */
export function effectIntents(car: ApiCar, carId: string, effect: string, body: unknown): Map<string, EffectIntent> | undefined {
  const fields = body === undefined ? {} : body;
  if (!isPlainObject(fields)) throw badRequest('body: expected a JSON object like {"lamps":"headlights"}');
  if (effect === FLASH_EFFECT) {
    const unknownKey = Object.keys(fields).find((key) => key !== 'lamps' && key !== 'durationMs');
    if (unknownKey !== undefined) throw badRequest(`${shorten(unknownKey)}: unknown field; use "lamps" and "durationMs"`);
    const durationMs = fields.durationMs ?? DEFAULT_FLASH_MS;
    if (!isWholeIn(durationMs, 1, LIMITS.transitionMaxMs))
      throw badRequest(`durationMs: must be a whole number of ms from 1 to ${LIMITS.transitionMaxMs}`);
    const intent = { effect, durationMs };
    return new Map(flashTargets(car, carId, fields.lamps).map((lamp) => [lamp, intent]));
  }
  if (!Object.hasOwn(car.effects, effect)) return undefined;
  if (Object.keys(fields).length > 0) throw badRequest(`body: the effect '${effect}' takes no parameters; send none or {}`);
  const { tracks } = effectTracks(car, car.effects[effect]);
  return new Map(tracks.map(({ lamp }) => [lamp, { effect }]));
}

/** The effects a car can play: the built-in ones and its config's. */
export function effectNames(car: ApiCar): string[] {
  return [...BUILTIN_EFFECTS, ...Object.keys(car.effects)];
}
