import { assumedLedColour, type CarConfig, checkPin, type LampConfig, type LedColour } from '../config';

/**
 * The wiring of a car's lamps, computed from the config: for each lamp the GPIO and the Pico W's
 * physical pin, the LED colour (the lamp's `colour`, else assumed from its name and kind), and the series resistor that
 * gives at most the configured `currentMa`.
 */

/** Typical forward voltage at ~10 mA for 3 mm / chip LEDs (AlGaInP red and amber, InGaN white, green and blue). */
export const FORWARD_VOLTAGE: Readonly<Record<LedColour, number>> = { red: 2.0, amber: 2.1, white: 3.0, green: 3.0, blue: 3.0 };

/** A GPIO-driven LED runs from the RP2040's 3.3 V IOVDD (Pico datasheet: 3V3 rail). */
export const GPIO_SUPPLY_V = 3.3;
/** A transistor-driven LED runs from VBUS (pin 40, 5 V from USB) through an NPN saturated at ~0.2 V. */
export const TRANSISTOR_SUPPLY_V = 5.0;
const TRANSISTOR_SATURATION_V = 0.2;
/** Below this much voltage across the resistor, the LED's own Vf spread (±0.2 V) swings its current a lot. */
const LOW_HEADROOM_V = 0.5;

/** Pico W physical pin of each GPIO (Pico W datasheet, pinout figure). */
const PHYSICAL_PIN: Readonly<Record<number, number>> = {
  0: 1,
  1: 2,
  2: 4,
  3: 5,
  4: 6,
  5: 7,
  6: 9,
  7: 10,
  8: 11,
  9: 12,
  10: 14,
  11: 15,
  12: 16,
  13: 17,
  14: 19,
  15: 20,
  16: 21,
  17: 22,
  18: 24,
  19: 25,
  20: 26,
  21: 27,
  22: 29,
  26: 31,
  27: 32,
  28: 34,
};
/** Ground pins of the Pico W. */
export const GROUND_PINS = [3, 8, 13, 18, 23, 28, 38] as const;

/** E12 resistor series: the values any hobby kit holds. */
const E12 = [1.0, 1.2, 1.5, 1.8, 2.2, 2.7, 3.3, 3.9, 4.7, 5.6, 6.8, 8.2];

/** The smallest E12 value at or above `ohms`, so the current never exceeds the configured one. */
export function e12AtLeast(ohms: number): number {
  for (let decade = 1; decade <= 1e6; decade *= 10) {
    const value = E12.map((base) => Math.round(base * decade * 10) / 10).find((candidate) => candidate >= ohms - 1e-9);
    if (value !== undefined) return value;
  }
  throw new Error(`no E12 resistor for ${ohms} Ω`);
}

export interface WiringRow {
  readonly lamp: string;
  readonly gpio: string;
  readonly physicalPin: number;
  readonly colour: LedColour;
  /** True when the config gives no `colour` and it was guessed from the lamp's name and kind. */
  readonly colourAssumed: boolean;
  readonly forwardVoltage: number;
  readonly supplyVoltage: number;
  readonly resistorOhms: number;
  /** The current the chosen resistor gives, in mA (≤ the configured `currentMa`). */
  readonly currentMa: number;
  readonly driver: LampConfig['driver'];
  /** Why this LED may need attention, if it does. */
  readonly note?: string;
}

function formatOhms(ohms: number): string {
  if (ohms >= 1000) return `${Number((ohms / 1000).toFixed(2))} kΩ`;
  return `${Number(ohms.toFixed(1))} Ω`;
}

function wiringRow(lampName: string, lamp: LampConfig): WiringRow {
  const pin = checkPin(lamp.pin);
  if (!pin.ok) throw new Error(pin.message);
  const colour = lamp.colour ?? assumedLedColour(lampName, lamp);
  const forwardVoltage = FORWARD_VOLTAGE[colour];
  const supplyVoltage = lamp.driver === 'gpio' ? GPIO_SUPPLY_V : TRANSISTOR_SUPPLY_V;
  const headroom = supplyVoltage - forwardVoltage - (lamp.driver === 'gpio' ? 0 : TRANSISTOR_SATURATION_V);
  const resistorOhms = e12AtLeast(headroom / (lamp.currentMa / 1000));
  const note =
    headroom < LOW_HEADROOM_V
      ? `only ${headroom.toFixed(1)} V across the resistor: brightness varies from LED to LED; for more, use driver: "transistor"`
      : undefined;
  return {
    lamp: lampName,
    gpio: lamp.pin,
    physicalPin: PHYSICAL_PIN[pin.gpio],
    colour,
    colourAssumed: lamp.colour === undefined,
    forwardVoltage,
    supplyVoltage,
    resistorOhms,
    currentMa: Math.round((headroom / resistorOhms) * 10_000) / 10,
    driver: lamp.driver,
    note,
  };
}

export function carWiring(car: CarConfig): WiringRow[] {
  return Object.entries(car.lamps).map(([name, lamp]) => wiringRow(name, lamp));
}

const HEADER = ['lamp', 'GPIO', 'Pico pin', 'LED', 'resistor', 'current', 'wiring'];

function cells(row: WiringRow): string[] {
  const wiring =
    row.driver === 'gpio'
      ? `pin ${row.physicalPin} → resistor → LED anode; cathode → GND`
      : `pin ${row.physicalPin} → 1 kΩ → NPN base; 5 V (VBUS, pin 40) → resistor → LED → collector; emitter → GND`;
  return [
    row.lamp,
    row.gpio,
    String(row.physicalPin),
    `${row.colour}${row.colourAssumed ? ' (assumed)' : ''}, Vf ≈ ${row.forwardVoltage.toFixed(1)} V`,
    formatOhms(row.resistorOhms),
    `${row.currentMa} mA`,
    wiring,
  ];
}

/** The notes under a wiring table: ground pins, and any LED with too little voltage to spare. */
export function wiringNotes(rows: readonly WiringRow[]): string[] {
  const notes = [`GND: any of pins ${GROUND_PINS.join(', ')}. Resistors: E12 values, ¼ W.`];
  for (const row of rows) if (row.note) notes.push(`${row.lamp}: ${row.note}`);
  return notes;
}

/**
 * How each servo is wired: the signal from its GPIO, its motor from VBUS. A servo draws hundreds of mA while it
 * moves, far past what the GPIOs or the 3V3 regulator should give, so only its signal touches the RP2040.
 */
export function servoNotes(car: CarConfig): string[] {
  return Object.entries(car.servos).map(([name, servo]) => {
    const pin = checkPin(servo.pin);
    if (!pin.ok) throw new Error(pin.message);
    return `${name} (servo, raises ${servo.carries.join(', ')}): signal ${servo.pin} (pin ${PHYSICAL_PIN[pin.gpio]}) → servo signal (orange); servo + (red) → VBUS (pin 40, 5 V); servo − (brown) → GND. Its current comes from VBUS, not from the GPIOs.`;
  });
}

/** The wiring as a Markdown table with its notes, as in README.md. */
export function wiringMarkdown(car: CarConfig): string {
  const rows = carWiring(car);
  const line = (values: readonly string[]) => `| ${values.join(' | ')} |`;
  return [
    line(HEADER),
    line(HEADER.map(() => '---')),
    ...rows.map((row) => line(cells(row))),
    '',
    ...[...wiringNotes(rows), ...servoNotes(car)].map((note) => `- ${note}`),
  ].join('\n');
}

/** The wiring as header + rows for a terminal table. */
export function wiringTableCells(car: CarConfig): { header: string[]; rows: string[][]; notes: string[] } {
  const rows = carWiring(car);
  return { header: HEADER, rows: rows.map(cells), notes: [...wiringNotes(rows), ...servoNotes(car)] };
}
