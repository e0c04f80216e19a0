/**
 * What the `set` and `state` payloads say of effects and pop-up pods. Zod-free for the lamp API bundle; the
 * config (lib/config/effects.ts, lib/config/servo.ts) builds on these names.
 */

/** The passing flash: full for `durationMs`, then back to what the lamp was doing. */
export const FLASH_EFFECT = 'flash';
/** Effects every car knows without a config. */
export const BUILTIN_EFFECTS = [FLASH_EFFECT] as const;

/** What the car reports of a servo-carried lamp: its pod `up`, `down`, or on the way (`moving`). */
export const POD_POSITIONS = ['down', 'moving', 'up'] as const;
export type PodPosition = (typeof POD_POSITIONS)[number];
