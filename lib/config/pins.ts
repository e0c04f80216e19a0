/**
 * Raspberry Pi Pico W GPIO facts.
 *
 * GP23, GP24, GP25 and GP29 are wired to the CYW43439 Wi-Fi chip on the Pico W (power, SPI data,
 * chip select, clock), so an LED there fights the radio. Source: Pico W datasheet, section 2.1.
 */
export const WIFI_CHIP_PINS: readonly number[] = [23, 24, 25, 29];
export const USABLE_PINS_HINT = 'use GP0–GP22 or GP26–GP28';

/** RP2040 datasheet 5.5.3: 12 mA per pad at the strongest drive setting, 50 mA for all IOVDD pads. */
export const MAX_PIN_CURRENT_MA = 12;
export const MAX_TOTAL_GPIO_CURRENT_MA = 50;

export type PinCheck = { ok: true; gpio: number } | { ok: false; message: string };

/** Parses `GP<n>` and says why a pin cannot carry a lamp. */
export function checkPin(pin: string): PinCheck {
  const match = /^GP(\d{1,2})$/.exec(pin);
  if (!match) return { ok: false, message: `'${pin}' is not a pin name; write it like 'GP2' (${USABLE_PINS_HINT})` };
  const gpio = Number(match[1]);
  if (WIFI_CHIP_PINS.includes(gpio)) {
    return { ok: false, message: `${pin} is used by the Wi-Fi chip on Pico W; ${USABLE_PINS_HINT}` };
  }
  if (gpio > 28) return { ok: false, message: `${pin} does not exist on the Pico W; ${USABLE_PINS_HINT}` };
  return { ok: true, gpio };
}

/**
 * RP2040 datasheet 4.5.2: 8 PWM slices with channels A and B; GPIO n drives slice (n >> 1) & 7, channel n & 1, so
 * GPIO n and n + 16 share a slice. Both channels of a slice count with one counter: one frequency for the slice.
 */
export function pwmSliceOf(gpio: number): { slice: number; channel: 'A' | 'B' } {
  return { slice: (gpio >> 1) & 7, channel: gpio & 1 ? 'B' : 'A' };
}

/** The GPIOs a lamp or servo may use on a Pico W, lowest first. */
export const USABLE_GPIOS: readonly number[] = Array.from({ length: 29 }, (_, gpio) => gpio).filter(
  (gpio) => !WIFI_CHIP_PINS.includes(gpio),
);
