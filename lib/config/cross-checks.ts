import { MAX_LAMPS_PER_CAR } from '../contract/permissions';
import { BUILTIN_EFFECTS } from './effects';
import { kindsThat, traitsOf } from './lamp-traits';
import { checkPin, MAX_PIN_CURRENT_MA, MAX_TOTAL_GPIO_CURRENT_MA, pwmSliceOf, USABLE_GPIOS } from './pins';
import { SERVO_PWM_HZ } from './servo';

/**
 * The rules that look at more than one value: pins shared, current budgets, group and scene members, settings
 * that have no effect. They run on the config as written, next to the schema and not after it, so that one
 * `plamo check` lists every problem: a zod refinement would only run once everything else had parsed. Each
 * rule reads only values of the right type and leaves the rest to the schema's messages.
 *
 * To add a rule: a function `(car, report) => void` in CAR_RULES; `report` takes the key path and the message,
 * which says what is wrong and how to fix it.
 */
export interface Problem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

type Report = (path: (string | number)[], message: string) => void;

type Raw = Record<string, unknown>;

const isRecord = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
const recordAt = (value: unknown): Raw => (isRecord(value) ? value : {});
const stringAt = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const numberAt = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** A lamp as written, with only the fields of the right type. */
interface LampView {
  readonly pin?: string;
  readonly kind?: string;
  readonly currentMa?: number;
  readonly driver: string;
  readonly written: Raw;
}

/** A servo as written, with only the fields of the right type. */
interface ServoView {
  readonly pin?: string;
  readonly carries: readonly unknown[];
  readonly upUs?: number;
  readonly downUs?: number;
}

/** A car as written: its lamps, servos, groups (name → members) and scenes (name → target → command). */
interface CarView {
  readonly lamps: ReadonlyMap<string, LampView>;
  readonly servos: ReadonlyMap<string, ServoView>;
  readonly lampsWritten: boolean;
  readonly groups: ReadonlyMap<string, readonly unknown[]>;
  readonly scenes: ReadonlyMap<string, Raw>;
  /** Effect name → its steps' `lamps` objects (target → command), by step index. */
  readonly effects: ReadonlyMap<string, ReadonlyMap<number, Raw>>;
  readonly labels: readonly string[];
}

function viewOf(car: Raw): CarView {
  const lamps = new Map<string, LampView>();
  for (const [name, written] of Object.entries(recordAt(car.lamps))) {
    if (!isRecord(written)) continue;
    lamps.set(name, {
      pin: stringAt(written.pin),
      kind: stringAt(written.kind),
      currentMa: numberAt(written.currentMa),
      driver: stringAt(written.driver) ?? 'gpio',
      written,
    });
  }
  const servos = new Map<string, ServoView>();
  for (const [name, written] of Object.entries(recordAt(car.servos))) {
    if (!isRecord(written)) continue;
    const carries = Array.isArray(written.carries) ? written.carries : [];
    servos.set(name, { pin: stringAt(written.pin), carries, upUs: numberAt(written.upUs), downUs: numberAt(written.downUs) });
  }
  const groups = new Map(Object.entries(recordAt(car.groups)).filter((entry): entry is [string, unknown[]] => Array.isArray(entry[1])));
  const scenes = new Map(Object.entries(recordAt(car.scenes)).filter((entry): entry is [string, Raw] => isRecord(entry[1])));
  const effects = new Map<string, Map<number, Raw>>();
  for (const [name, steps] of Object.entries(recordAt(car.effects))) {
    if (!Array.isArray(steps)) continue;
    const stepLamps = new Map<number, Raw>();
    steps.forEach((step, index) => {
      if (isRecord(step) && isRecord(step.lamps)) stepLamps.set(index, step.lamps);
    });
    effects.set(name, stepLamps);
  }
  return { lamps, servos, lampsWritten: isRecord(car.lamps), groups, scenes, effects, labels: Object.keys(recordAt(car.labels)) };
}

/** A kind that is written and cannot dim; a kind the schema refuses counts as one that cannot. */
const cannotDim = (kind: string | undefined) => kind !== undefined && traitsOf(kind)?.dims !== true;

/** A list of names for a message, each once, in the order first seen. */
const known = (names: Iterable<string>) => [...new Set(names)].join(', ') || 'none';

function checkLamps(car: CarView, report: Report): void {
  if (car.lampsWritten && car.lamps.size === 0) report(['lamps'], 'a car needs at least one lamp');
  if (car.lamps.size > MAX_LAMPS_PER_CAR)
    report(
      ['lamps'],
      `${car.lamps.size} lamps need ${car.lamps.size} MQTT subscriptions, over AWS IoT Core's ${MAX_LAMPS_PER_CAR} per connection; give this car at most ${MAX_LAMPS_PER_CAR} lamps`,
    );
  for (const [name, lamp] of car.lamps) {
    const fixed = cannotDim(lamp.kind);
    if (fixed && lamp.written.tailLevel !== undefined)
      report(['lamps', name, 'tailLevel'], `a tail level needs dimming; set kind: ${kindsThat('dims')} or remove tailLevel`);
    // The default (100) is what a validated config carries for every lamp, so only another value is refused.
    if (fixed && lamp.written.defaultBrightness !== undefined && lamp.written.defaultBrightness !== 100)
      report(
        ['lamps', name, 'defaultBrightness'],
        `has no effect on a "${lamp.kind}" lamp, which is only on or off; remove defaultBrightness or set kind: ${kindsThat('dims')}`,
      );
    if (fixed && lamp.written.transitionMs !== undefined && lamp.written.transitionMs !== 0)
      report(
        ['lamps', name, 'transitionMs'],
        `has no effect on a "${lamp.kind}" lamp, which switches at once; remove transitionMs or set kind: ${kindsThat('dims')}`,
      );
    if (lamp.driver === 'gpio' && lamp.currentMa !== undefined && lamp.currentMa > MAX_PIN_CURRENT_MA)
      report(
        ['lamps', name, 'currentMa'],
        `${lamp.currentMa} mA is over the RP2040's ${MAX_PIN_CURRENT_MA} mA per pin; use a larger resistor or set driver: "transistor"`,
      );
  }
}

function checkPinsAndBudget(car: CarView, report: Report): void {
  // Keyed by GPIO number, not by name: 'GP5' and 'GP05' are the same pin.
  const usedPins = new Map<number, string>();
  let gpioCurrent = 0;
  for (const [name, lamp] of car.lamps) {
    const pin = lamp.pin === undefined ? undefined : checkPin(lamp.pin);
    if (pin?.ok) {
      const owner = usedPins.get(pin.gpio);
      if (owner) report(['lamps', name, 'pin'], `${lamp.pin} is already used by ${owner}; give each lamp its own pin`);
      else usedPins.set(pin.gpio, `lamp '${name}'`);
    }
    if (lamp.driver === 'gpio' && lamp.currentMa !== undefined && lamp.currentMa > 0) gpioCurrent += lamp.currentMa;
  }
  // A servo's signal pin draws next to nothing (its motor runs from 5 V), so it takes a pin but no current.
  for (const [name, servo] of car.servos) {
    const pin = servo.pin === undefined ? undefined : checkPin(servo.pin);
    if (!pin?.ok) continue;
    const owner = usedPins.get(pin.gpio);
    if (owner) report(['servos', name, 'pin'], `${servo.pin} is already used by ${owner}; give the servo its own pin`);
    else usedPins.set(pin.gpio, `servo '${name}'`);
  }
  if (gpioCurrent > MAX_TOTAL_GPIO_CURRENT_MA)
    report(
      ['lamps'],
      `${gpioCurrent} mA drawn straight from GPIOs is over the RP2040's ${MAX_TOTAL_GPIO_CURRENT_MA} mA total; lower the currents or drive some lamps with driver: "transistor"`,
    );
}

/** The lamps that run PWM at another frequency than a servo's (the dimmed ones), by GPIO. */
function dimmedLampGpios(car: CarView): Map<number, { readonly lamp: string; readonly hz: number }> {
  const gpios = new Map<number, { lamp: string; hz: number }>();
  for (const [lamp, written] of car.lamps) {
    const hz = traitsOf(written.kind)?.pwmHz;
    const pin = written.pin === undefined ? undefined : checkPin(written.pin);
    if (typeof hz === 'number' && hz !== SERVO_PWM_HZ && pin?.ok) gpios.set(pin.gpio, { lamp, hz });
  }
  return gpios;
}

/** The first free GPIO on a slice no dimmed lamp runs, to suggest; undefined when there is none. */
function freeServoPin(car: CarView, dimmed: ReadonlyMap<number, unknown>): string | undefined {
  const taken = new Set<number>();
  for (const item of [...car.lamps.values(), ...car.servos.values()]) {
    const pin = item.pin === undefined ? undefined : checkPin(item.pin);
    if (pin?.ok) taken.add(pin.gpio);
  }
  const busySlices = new Set([...dimmed.keys()].map((gpio) => pwmSliceOf(gpio).slice));
  const gpio = USABLE_GPIOS.find((candidate) => !taken.has(candidate) && !busySlices.has(pwmSliceOf(candidate).slice));
  return gpio === undefined ? undefined : `GP${gpio}`;
}

function checkServos(car: CarView, report: Report): void {
  const carriedBy = new Map<string, string>();
  const dimmed = dimmedLampGpios(car);
  for (const [name, servo] of car.servos) {
    servo.carries.forEach((lamp, index) => {
      if (typeof lamp !== 'string') return;
      if (!car.lamps.has(lamp))
        report(['servos', name, 'carries', index], `'${lamp}' is not a lamp of this car; known lamps: ${known(car.lamps.keys())}`);
      else if (carriedBy.get(lamp) === name) report(['servos', name, 'carries', index], `'${lamp}' is listed twice; name each lamp once`);
      else if (carriedBy.has(lamp))
        report(
          ['servos', name, 'carries', index],
          `'${lamp}' is already carried by servo '${carriedBy.get(lamp)}'; a lamp rides on one servo`,
        );
      else carriedBy.set(lamp, name);
    });
    if (servo.upUs !== undefined && servo.upUs === servo.downUs)
      report(
        ['servos', name, 'downUs'],
        `is the same pulse as upUs (${servo.upUs} µs), so the servo would never move; give up and down different pulses`,
      );
    const pin = servo.pin === undefined ? undefined : checkPin(servo.pin);
    if (!pin?.ok) continue;
    const { slice } = pwmSliceOf(pin.gpio);
    const sharing = [...dimmed].filter(([gpio]) => pwmSliceOf(gpio).slice === slice);
    if (sharing.length === 0) continue;
    const lamps = sharing.map(([gpio, { lamp, hz }]) => `'${lamp}' (GP${gpio}, ${hz} Hz)`).join(', ');
    const free = freeServoPin(car, dimmed);
    report(
      ['servos', name, 'pin'],
      `${servo.pin} is on PWM slice ${slice} with dimmed lamp ${lamps}, and the two GPIOs of a slice (and GPIO n and n+16) run at one frequency, the servo's ${SERVO_PWM_HZ} Hz; ${free ? `move the servo to ${free}` : 'move the servo to a slice of its own'} or make the lamp an on/off kind`,
    );
  }
}

function checkGroups(car: CarView, report: Report): void {
  for (const [group, members] of car.groups) {
    if (car.lamps.has(group)) report(['groups', group], `'${group}' is already a lamp name; give the group another name`);
    members.forEach((member, index) => {
      if (typeof member === 'string' && !car.lamps.has(member))
        report(['groups', group, index], `'${member}' is not a lamp of this car; known lamps: ${known(car.lamps.keys())}`);
    });
  }
}

function lampsOfTarget(car: CarView, target: string): readonly unknown[] | undefined {
  return car.groups.get(target) ?? (car.lamps.has(target) ? [target] : undefined);
}

function checkScenes(car: CarView, report: Report): void {
  for (const [scene, commands] of car.scenes) {
    for (const [target, command] of Object.entries(commands)) {
      const members = lampsOfTarget(car, target);
      if (!members) {
        report(
          ['scenes', scene, target],
          `'${target}' is not a lamp or group of this car; known: ${known([...car.lamps.keys(), ...car.groups.keys()])}`,
        );
        continue;
      }
      if (!isRecord(command)) continue;
      const fixed = cannotDimOf(car, members);
      if (fixed.length === 0) continue;
      if (command.brightness !== undefined)
        report(
          ['scenes', scene, target, 'brightness'],
          `${fixed.join(', ')} cannot dim; remove brightness or make the lamp kind: ${kindsThat('dims')}`,
        );
      if (command.transitionMs !== undefined)
        report(
          ['scenes', scene, target, 'transitionMs'],
          `${fixed.join(', ')} cannot fade; remove transitionMs or make the lamp kind: ${kindsThat('dims')}`,
        );
    }
  }
}

/** Whether a target's brightness is refused: some of its lamps cannot dim. */
function cannotDimOf(car: CarView, members: readonly unknown[]): string[] {
  return members.filter((lamp): lamp is string => typeof lamp === 'string' && cannotDim(car.lamps.get(lamp)?.kind));
}

function checkEffects(car: CarView, report: Report): void {
  for (const [effect, steps] of car.effects) {
    if ((BUILTIN_EFFECTS as readonly string[]).includes(effect))
      report(['effects', effect], `'${effect}' is the built-in passing flash; give the effect another name`);
    for (const [index, commands] of steps) {
      for (const [target, command] of Object.entries(commands)) {
        const members = lampsOfTarget(car, target);
        if (!members) {
          report(
            ['effects', effect, index, 'lamps', target],
            `'${target}' is not a lamp or group of this car; known: ${known([...car.lamps.keys(), ...car.groups.keys()])}`,
          );
          continue;
        }
        const fixed = isRecord(command) && command.brightness !== undefined ? cannotDimOf(car, members) : [];
        if (fixed.length > 0)
          report(
            ['effects', effect, index, 'lamps', target, 'brightness'],
            `${fixed.join(', ')} cannot dim; remove brightness or make the lamp kind: ${kindsThat('dims')}`,
          );
      }
    }
  }
}

function checkLabels(car: CarView, report: Report): void {
  const named = [...car.groups.keys(), ...car.scenes.keys(), ...car.effects.keys()];
  for (const name of car.labels) {
    if (named.includes(name)) continue;
    const hint = car.lamps.has(name) ? `; a lamp's label goes in lamps.${name}.label` : `; known: ${known(named)}`;
    report(['labels', name], `'${name}' is not a group, scene or effect of this car${hint}`);
  }
}

const CAR_RULES: readonly ((car: CarView, report: Report) => void)[] = [
  checkLamps,
  checkPinsAndBudget,
  checkServos,
  checkGroups,
  checkScenes,
  checkEffects,
  checkLabels,
];

/** Every cross-field problem of a config as written (`cars.<id>.…` paths). */
export function crossFieldProblems(config: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const [carId, car] of Object.entries(recordAt(recordAt(config).cars))) {
    if (!isRecord(car)) continue;
    const view = viewOf(car);
    for (const rule of CAR_RULES) rule(view, (path, message) => problems.push({ path: ['cars', carId, ...path], message }));
  }
  return problems;
}
