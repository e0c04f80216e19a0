import { traitsOf } from './lamp-traits';
import type { LED_COLOURS } from './modes';

/**
 * How a lamp looks on the phone page and in the wiring table, from the config or guessed from its name. Kept
 * free of the schema library, so the lamp API bundle can use it.
 */

export type LedColour = (typeof LED_COLOURS)[number];

/** Turn signals are amber, brake/tail/rear lamps red, everything else (headlights, interior) white. */
export function assumedLedColour(lampName: string, lamp: { readonly kind: string }): LedColour {
  if (traitsOf(lamp.kind)?.blinksByDefault || /turn|blink|indicator|signal|hazard|winker/i.test(lampName)) return 'amber';
  if (/brake|tail|stop|rear/i.test(lampName)) return 'red';
  return 'white';
}

/**
 * Where a lamp sits on the car, for the phone page's picture. `left`/`right` lamps (turn signals) show at
 * both ends of that side; `front`/`rear` lamps as a pair; `roof` is for anything else (a beacon, the cabin).
 */
export const LAMP_POSITIONS = ['front', 'rear', 'left', 'right', 'frontLeft', 'frontRight', 'rearLeft', 'rearRight', 'roof'] as const;

export type LampPosition = (typeof LAMP_POSITIONS)[number];

const FRONT_WORDS = /head|front|fog|beam|drl|spot/;
const REAR_WORDS = /brake|tail|rear|back|reverse|stop/;

/** The lamp's place from its name (`turnLeft` → left, `brake` → rear), when the config gives none. */
export function positionFromName(name: string): LampPosition {
  const words = name.toLowerCase();
  const end = FRONT_WORDS.test(words) ? 'front' : REAR_WORDS.test(words) ? 'rear' : undefined;
  const side = words.includes('left') ? 'Left' : words.includes('right') ? 'Right' : undefined;
  if (end && side) return `${end}${side}`;
  if (side) return side === 'Left' ? 'left' : 'right';
  return end ?? 'roof';
}

/** The configured position, or the one its name suggests. */
export function lampPosition(name: string, lamp: { readonly position?: LampPosition }): LampPosition {
  return lamp.position ?? positionFromName(name);
}
