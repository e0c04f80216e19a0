/** What a lamp is wired for; every kind can blink, only `pwm` can dim. */
export const LAMP_KINDS = ['switch', 'pwm', 'blinker'] as const;
/** What a lamp command asks for: the MQTT contract's. */
export { LAMP_MODES } from '../contract/lamp-modes';
/** LED colours the wiring table knows the forward voltage of. */
export const LED_COLOURS = ['white', 'red', 'amber', 'green', 'blue'] as const;
