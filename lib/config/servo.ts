/**
 * Hobby servos (SG90-class micro servos, as fitted to raise pop-up headlight pods): a pulse every 20 ms (50 Hz)
 * whose width, 0.5–2.5 ms, sets the angle. The servo's motor runs from 5 V (VBUS) or a separate supply; its signal
 * pin draws next to nothing, so a servo counts as external current, never against the GPIO budget. Zod-free, so
 * the lamp API bundle and the generator can use it.
 */
export const SERVO_PWM_HZ = 50;
export const SERVO_PULSE_MIN_US = 500;
export const SERVO_PULSE_MAX_US = 2500;
/** Pulse widths that put an SG90 about 45° either side of centre; measure your pods and set upUs/downUs. */
export const SERVO_DEFAULTS = { upUs: 2000, downUs: 1000, travelMs: 500 } as const;
/** Longer than this and a command would wait seconds before the lamps light. */
export const SERVO_TRAVEL_MAX_MS = 3000;
/** What the car reports of a servo-carried lamp: its pods `up`, `down`, or on the way (`moving`). */
export const POD_POSITIONS = ['down', 'moving', 'up'] as const;
export type PodPosition = (typeof POD_POSITIONS)[number];
