import { z } from 'zod';
import { type LampKind, LAMP_KINDS } from './lamp-traits';
import { LAMP_MODES, LED_COLOURS, MODES_TEXT } from './modes';
import { checkPin } from './pins';
import { LAMP_POSITIONS } from './appearance';
import { transitionMs } from '../contract/payloads';
import { LIMITS, NAME_PATTERN } from '../contract/topics';
import { EFFECT_STEP_MODES, MAX_EFFECT_STEPS } from './effects';
import { SERVO_DEFAULTS, SERVO_PULSE_MAX_US, SERVO_PULSE_MIN_US, SERVO_TRAVEL_MAX_MS } from './servo';

/** AWS IoT thing names: 1–128 of `[a-zA-Z0-9:_-]`; we keep to 64 and drop `:` so ids are safe in topics and file names. */
export const CAR_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export { NAME_PATTERN };
/** Where the Wi-Fi password comes from instead (or a gitignored `.env`): the config is committed, the password must not be. */
export const WIFI_PASSWORD_VARIABLE = 'PLAMO_WIFI_PASSWORD';

const brightness = z.number().int().min(0).max(100);

// The lists live in a zod-free module so the lamp API bundle can use them without the schema library.
export { LAMP_KINDS, LAMP_MODES };

const nameKey = (what: string, example: string) =>
  z.string().regex(NAME_PATTERN, `not a valid ${what} name; use a letter, then letters or digits (≤ 32), like '${example}'`);

const pinSchema = z.string().superRefine((pin, ctx) => {
  const check = checkPin(pin);
  if (!check.ok) ctx.addIssue({ code: 'custom', message: check.message });
});

const pulseUs = z
  .number()
  .int()
  .min(SERVO_PULSE_MIN_US, `a servo pulse is ${SERVO_PULSE_MIN_US}–${SERVO_PULSE_MAX_US} µs`)
  .max(SERVO_PULSE_MAX_US, `a servo pulse is ${SERVO_PULSE_MIN_US}–${SERVO_PULSE_MAX_US} µs`);

/** A hobby servo at 50 Hz that raises lamps (pop-up headlight pods) before they light and lowers them after. */
const servoSchema = z.strictObject({
  /** GPIO of the servo's signal wire; its PWM slice runs at 50 Hz, so no dimmed lamp may share the slice. */
  pin: pinSchema,
  /** The lamps it raises: they light only once it is up, and it lowers once they are all off. */
  carries: z.array(z.string()).min(1, 'name the lamps the servo raises, e.g. ["headlights"]'),
  /** Pulse width, in µs, that puts the pods up. */
  upUs: pulseUs.default(SERVO_DEFAULTS.upUs),
  /** Pulse width, in µs, that puts the pods down. */
  downUs: pulseUs.default(SERVO_DEFAULTS.downUs),
  /** How long the servo takes from one end to the other; the lamps light after it. */
  travelMs: z.number().int().min(0).max(SERVO_TRAVEL_MAX_MS).default(SERVO_DEFAULTS.travelMs),
});

const lampSchema = z.strictObject({
  /** GPIO the LED (or its transistor) hangs on, e.g. `GP2`. */
  pin: pinSchema,
  /** What the lamp can do (dim, blink by default): the rows of LAMP_TRAITS. All can blink. */
  kind: z.enum(LAMP_KINDS),
  /** LED current at full brightness, in mA, as set by its resistor. */
  currentMa: z.number().positive().max(1000),
  /** `gpio`: the pin drives the LED; `transistor`: the pin only switches a transistor, so its current does not count. */
  driver: z.enum(['gpio', 'transistor']).default('gpio'),
  /** Brightness for `on` when a command gives none (pwm lamps). */
  defaultBrightness: brightness.default(100),
  /** Fade, in ms, of every change of a lamp that dims, unless a command gives its own `transitionMs`. */
  transitionMs: transitionMs.default(0),
  /** Tail-lamp level for a brake/tail lamp: lit dimly as a tail lamp, full when braking (pwm lamps). */
  tailLevel: brightness.optional(),
  /** Shown on the phone page; defaults to the lamp name. */
  label: z.string().min(1).max(32).optional(),
  /** LED colour, for the wiring table's resistor (forward voltage); guessed from the name and kind when left out. */
  colour: z.enum(LED_COLOURS).optional(),
  /** Where the lamp is drawn on the phone page's picture; guessed from the name when left out. */
  position: z.enum(LAMP_POSITIONS).optional(),
});

const lampCommandSchema = z.union(
  [
    z.enum(LAMP_MODES),
    z.strictObject({ mode: z.enum(LAMP_MODES), brightness: brightness.optional(), transitionMs: transitionMs.optional() }),
  ],
  {
    // Without it a value that fits neither form (e.g. "dim") reads only "Invalid input".
    error: `use one of ${MODES_TEXT}, or { mode, brightness, transitionMs }`,
  },
);

const effectStepSchema = z.strictObject({
  /** How long the step lasts, in ms. */
  ms: z.number().int().min(1).max(LIMITS.transitionMaxMs),
  /** Lamp or group → what it does during the step; lamps it leaves out keep what they had. */
  lamps: z.record(
    z.string(),
    z.union([z.enum(EFFECT_STEP_MODES), z.strictObject({ mode: z.enum(EFFECT_STEP_MODES), brightness: brightness.optional() })], {
      error: 'use "on", "off" or { mode, brightness }; a step lasts its ms, so it blinks by itself',
    }),
  ),
});

const carObjectSchema = z.strictObject({
  /** Display name, e.g. "Nissan 180SX (RPS13) 1/24". */
  name: z.string().min(1).max(64).optional(),
  wifi: z.strictObject({
    ssid: z.string().min(1).max(32),
    /** Regulatory domain for the CYW43 radio (ISO 3166 alpha-2). */
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'use a two-letter country code such as "JP" or "GB"')
      .default('JP'),
    /** Refused with a pointer to where the password goes: this file is committed, the password must not be. */
    password: z
      .never({
        error: `the Wi-Fi password is not kept in the config (it is committed); set ${WIFI_PASSWORD_VARIABLE} or put it in a gitignored .env`,
      })
      .optional(),
  }),
  /** After a power cut: `restore` the last commanded state (commands are retained), or start with every lamp `off`. */
  powerOn: z.enum(['restore', 'off']).default('restore'),
  /** Flashes per minute for every blinking lamp; 60–120 is the legal range for turn signals (UN R48). */
  blinkPerMin: z.number().int().min(60).max(120).default(85),
  certificate: z
    .strictObject({
      /** Bump to rotate the device certificate. */
      generation: z.number().int().min(1).default(1),
      /** `aws`: AWS makes the key pair; `csr`: the key is made locally and never leaves this computer. */
      mode: z.enum(['aws', 'csr']).default('aws'),
    })
    .default({ generation: 1, mode: 'aws' }),
  lamps: z.record(nameKey('lamp', 'turnLeft'), lampSchema),
  /** Servos that raise lamps, e.g. `{ pods: { pin: 'GP6', carries: ['headlights'] } }`. */
  servos: z.record(nameKey('servo', 'pods'), servoSchema).default({}),
  groups: z.record(nameKey('group', 'hazard'), z.array(z.string()).min(1)).default({}),
  scenes: z.record(nameKey('scene', 'night'), z.record(z.string(), lampCommandSchema)).default({}),
  /** Light effects started from the API and the page: timed steps, e.g. a "welcome"; `flash` is built in. */
  effects: z.record(nameKey('effect', 'welcome'), z.array(effectStepSchema).min(1).max(MAX_EFFECT_STEPS)).default({}),
  /** Phone-page labels of groups and scenes, e.g. `{ hazard: 'Hazard lights' }`; the name made readable when left out. */
  labels: z.record(z.string(), z.string().min(1).max(32)).default({}),
});

// Rules across fields (pins, budgets, members, settings without effect) are in cross-checks.ts.
const carSchema = carObjectSchema;

export const configSchema = z.strictObject({
  /** First level of every topic: `{topicRoot}/{car}/…`. */
  topicRoot: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, 'use 1–32 letters, digits, _ or -')
    .default('cars'),
  /** MQTT keepalive in seconds; AWS IoT Core accepts 30–1200. */
  keepaliveS: z.number().int().min(30).max(1200).default(60),
  api: z
    .strictObject({
      /** Steady-state requests per second for the whole API. */
      rateLimit: z.number().int().min(1).max(10_000).default(10),
      /** Requests allowed in a burst. */
      burstLimit: z.number().int().min(1).max(5_000).default(20),
    })
    .default({ rateLimit: 10, burstLimit: 20 }),
  cars: z
    .record(
      z.string().regex(CAR_ID_PATTERN, 'not a valid car id; use 1–64 letters, digits, _ or - (it becomes the IoT thing name)'),
      carSchema,
    )
    .refine((cars) => Object.keys(cars).length > 0, 'add at least one car'),
});

/** What the user writes in `plamo.config.ts` (defaults may be left out). */
export type PlamoConfigInput = z.input<typeof configSchema>;
/** The validated config with every default filled in. */
export type PlamoConfig = z.output<typeof configSchema>;
export type CarConfig = PlamoConfig['cars'][string];
export type LampConfig = CarConfig['lamps'][string];
export type ServoConfig = CarConfig['servos'][string];
export type EffectConfig = CarConfig['effects'][string];
export type { LampKind };
export type LampMode = (typeof LAMP_MODES)[number];
export type SceneCommand = z.output<typeof lampCommandSchema>;
