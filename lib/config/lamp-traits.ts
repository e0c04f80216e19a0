/**
 * What each lamp kind can do, said once. The schema, the cross-field rules, the lamp API, the phone page (through
 * the API's car description) and the firmware (through the generated `config.py`) all read this table instead of
 * comparing kind names. Zod-free, so the lamp API bundle and the page's description can use it.
 *
 * To add a kind: one row here; every consumer follows from its traits.
 */
export interface LampTraits {
  /** Takes a brightness (0–100) and fades; its pin runs a PWM slice at `pwmHz`. */
  readonly dims: boolean;
  /** A switch for it on the phone page blinks instead of lighting (turn signals). */
  readonly blinksByDefault: boolean;
  /** PWM frequency of its pin, or null for a plain digital output. */
  readonly pwmHz: number | null;
}

export const LAMP_TRAITS = {
  /** On or off. */
  switch: { dims: false, blinksByDefault: false, pwmHz: null },
  /**
   * Dimmable. 1 kHz is far above what the eye resolves and low enough for the RP2040's 16-bit PWM counter to keep
   * its full resolution (125 MHz / 65536 ≈ 1.9 kHz).
   */
  pwm: { dims: true, blinksByDefault: false, pwmHz: 1000 },
  /** On or off, made for blinking (turn signals). */
  blinker: { dims: false, blinksByDefault: true, pwmHz: null },
} as const satisfies Record<string, LampTraits>;

export type LampKind = keyof typeof LAMP_TRAITS;

/** Every kind, in the table's order. */
export const LAMP_KINDS = Object.keys(LAMP_TRAITS) as [LampKind, ...LampKind[]];

/** The traits of a kind as written in a config, or undefined for a kind that does not exist. */
export function traitsOf(kind: string | undefined): LampTraits | undefined {
  return kind !== undefined && Object.hasOwn(LAMP_TRAITS, kind) ? LAMP_TRAITS[kind as LampKind] : undefined;
}

/** The kinds that have a trait, for messages: `"pwm"`. */
export function kindsThat(trait: 'dims' | 'blinksByDefault'): string {
  return LAMP_KINDS.filter((kind) => LAMP_TRAITS[kind][trait])
    .map((kind) => `"${kind}"`)
    .join(' or ');
}
