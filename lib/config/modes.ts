/** What a lamp is wired for; every kind can blink, only `pwm` can dim. */
export const LAMP_KINDS = ['switch', 'pwm', 'blinker'] as const;
/** What a lamp command asks for. */
export const LAMP_MODES = ['on', 'off', 'blink'] as const;
/** LED colours the wiring table knows the forward voltage of. */
export const LED_COLOURS = ['white', 'red', 'amber', 'green', 'blue'] as const;
