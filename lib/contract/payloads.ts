import { z } from 'zod';
import { BUILTIN_EFFECTS, POD_POSITIONS } from './lamp-effects';
import { LAMP_MODES } from './lamp-modes';
import { COMMAND_ID_PATTERN, LIMITS, NAME_PATTERN } from './topics';

// Kept in its own zod-free module so the lamp API bundle can publish payloads without the schema library.
export { encodePayload, STATUS_OFFLINE } from './encode';

const brightness = z.number().int().min(0).max(100);
const commandId = z.string().regex(COMMAND_ID_PATTERN, `a command id is 1–${LIMITS.commandIdMaxLength} printable ASCII characters`);
const epochMs = z.number().int().nonnegative();
/** A fade, in ms: from the lamp's present brightness to the command's, along the firmware's gamma curve. */
export const transitionMs = z.number().int().min(0).max(LIMITS.transitionMaxMs);

/** `{root}/{car}/lamps/{lamp}/set`; `transitionMs` (dimmable lamps) overrides the lamp's configured fade. */
export const lampCommandSchema = z.strictObject({
  mode: z.enum(LAMP_MODES),
  brightness: brightness.optional(),
  transitionMs: transitionMs.optional(),
  id: commandId,
  ts: epochMs,
});

/**
 * Also on `{root}/{car}/lamps/{lamp}/set`, never retained: play an effect on the lamp, then go back to its state.
 * `effect` is `flash` (full for `durationMs`) or a sequence of the car's config, which the car knows by name;
 * every lamp of one request gets the same `id`, which is how the car starts their tracks together.
 */
export const lampEffectSchema = z.strictObject({
  effect: z.string().regex(NAME_PATTERN, `an effect is ${BUILTIN_EFFECTS.join(', ')} or the name of one in the config`),
  durationMs: z.number().int().min(1).max(LIMITS.transitionMaxMs).optional(),
  id: commandId,
  ts: epochMs,
});

/** Everything the `set` topic carries: a state to take, or an effect to play. */
export const lampSetSchema = z.union([lampCommandSchema, lampEffectSchema]);

/**
 * `{root}/{car}/lamps/{lamp}/state`; `id` is null before the first command since boot. `pod` only for a lamp a
 * servo carries: where its pod is (the lamp is lit only while it is `up`). `mode` and `brightness` are the
 * lamp's own state, which an effect leaves as it was.
 */
export const lampStateSchema = z.object({
  mode: z.enum(LAMP_MODES),
  brightness,
  id: commandId.nullable(),
  ts: epochMs,
  pod: z.enum(POD_POSITIONS).optional(),
  /** The effect playing on the lamp (then `id` is the effect's), absent once it is over. */
  effect: z.string().optional(),
});

/** `{root}/{car}/status`; the last will is `{"online":false}`. */
export const statusSchema = z.union([
  z.object({ online: z.literal(true), fw: z.string(), ip: z.string() }),
  z.object({ online: z.literal(false) }),
]);

/** `{root}/{car}/telemetry` */
export const telemetrySchema = z.object({
  uptime_s: z.number().nonnegative(),
  heap_free: z.number().int().nonnegative(),
  heap_min_free: z.number().int().nonnegative(),
  rssi: z.number(),
  reconnects: z.number().int().nonnegative(),
  fw: z.string(),
});

export const EVENT_LEVELS = ['info', 'warn', 'error'] as const;

/** `{root}/{car}/events` */
export const eventSchema = z.object({
  level: z.enum(EVENT_LEVELS),
  code: z.string(),
  detail: z.string(),
});

export type LampCommand = z.infer<typeof lampCommandSchema>;
export type LampEffect = z.infer<typeof lampEffectSchema>;
export type LampState = z.infer<typeof lampStateSchema>;
export type Status = z.infer<typeof statusSchema>;
export type Telemetry = z.infer<typeof telemetrySchema>;
export type DeviceEvent = z.infer<typeof eventSchema>;
