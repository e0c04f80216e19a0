/** What a lamp is wired for: the kinds and what each can do are in lamp-traits.ts. */
export { LAMP_KINDS } from './lamp-traits';
/** What a lamp command asks for. */
export const LAMP_MODES = ['on', 'off', 'blink'] as const;
/** The modes for a message: `"on", "off", "blink"`. */
export const MODES_TEXT = LAMP_MODES.map((mode) => `"${mode}"`).join(', ');
/** LED colours the wiring table knows the forward voltage of. */
export const LED_COLOURS = ['white', 'red', 'amber', 'green', 'blue'] as const;
