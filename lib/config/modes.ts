/** What a lamp is wired for: the kinds and what each can do are in lamp-traits.ts. */
export { LAMP_KINDS } from './lamp-traits';
/** What a lamp command asks for: the MQTT contract's, and how a message lists them. */
export { LAMP_MODES, MODES_TEXT } from '../contract/lamp-modes';
/** LED colours the wiring table knows the forward voltage of. */
export const LED_COLOURS = ['white', 'red', 'amber', 'green', 'blue'] as const;
