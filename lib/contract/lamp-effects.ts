/**
 * What the `set` and `state` payloads say of effects and pop-up pods. Zod-free for the lamp API bundle; the
 * config (lib/config/effects.ts, lib/config/servo.ts) builds on these names.
 */

/** Effects every car knows without a config: `flash`, the passing flash (full for `durationMs`, then back). */
export const BUILTIN_EFFECTS = ['flash'] as const;

/** What the car reports of a servo-carried lamp: its pod `up`, `down`, or on the way (`moving`). */
export const POD_POSITIONS = ['down', 'moving', 'up'] as const;
export type PodPosition = (typeof POD_POSITIONS)[number];
