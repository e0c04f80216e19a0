/**
 * Light effects, defined once: the built-in passing `flash` (full for a while, then back to what the lamp was
 * doing) and the sequences a config names (`effects.welcome`: timed steps, each setting some lamps for its
 * `ms`). The schema validates them, the generator turns them into per-lamp tracks in `config.py`, the API
 * starts them and describes them to the phone page. Zod-free, so the lamp API bundle can use it.
 */
export { BUILTIN_EFFECTS, FLASH_EFFECT } from '../contract/lamp-effects';
/** What a step may ask of a lamp: lit (at a brightness, for lamps that dim) or dark. */
export const EFFECT_STEP_MODES = ['on', 'off'] as const;
/** Steps of one sequence; each becomes a few bytes per lamp in the firmware's RAM. */
export const MAX_EFFECT_STEPS = 16;
/** The passing flash's length when a request gives none. */
export const DEFAULT_FLASH_MS = 400;

export type EffectStepCommand =
  | (typeof EFFECT_STEP_MODES)[number]
  | { readonly mode: (typeof EFFECT_STEP_MODES)[number]; readonly brightness?: number };

export interface EffectStep {
  readonly ms: number;
  readonly lamps: Readonly<Record<string, EffectStepCommand>>;
}

/** What the tracks need of a car: its lamps' default brightness and its groups. */
interface EffectCar {
  readonly lamps: Readonly<Record<string, { readonly defaultBrightness: number }>>;
  readonly groups: Readonly<Record<string, readonly string[]>>;
}

/** One lamp's part of a sequence: from `at` ms after the start, `level` % (0 is dark); before its first point, as it was. */
export interface EffectTrack {
  readonly lamp: string;
  readonly points: readonly { readonly at: number; readonly level: number }[];
}

/** The lamps a step's target stands for: a lamp, or the members of a group. */
export function lampsOfTarget(car: EffectCar, target: string): readonly string[] {
  if (Object.hasOwn(car.lamps, target)) return [target];
  return Object.hasOwn(car.groups, target) ? car.groups[target] : [];
}

/** A sequence as per-lamp tracks, lamps in the order they first appear; and its length in ms. */
export function effectTracks(car: EffectCar, steps: readonly EffectStep[]): { tracks: EffectTrack[]; totalMs: number } {
  const points = new Map<string, { at: number; level: number }[]>();
  let at = 0;
  for (const step of steps) {
    for (const [target, command] of Object.entries(step.lamps)) {
      const { mode, brightness } = typeof command === 'string' ? { mode: command, brightness: undefined } : command;
      for (const lamp of lampsOfTarget(car, target)) {
        const level = mode === 'off' ? 0 : (brightness ?? car.lamps[lamp].defaultBrightness);
        const track = points.get(lamp) ?? [];
        if (track.at(-1)?.level !== level) track.push({ at, level });
        points.set(lamp, track);
      }
    }
    at += step.ms;
  }
  return { tracks: [...points].map(([lamp, track]) => ({ lamp, points: track })), totalMs: at };
}
