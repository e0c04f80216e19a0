/** What a lamp command asks for, the `mode` of every `set` and `state` payload. Zod-free for the lamp API bundle. */
export const LAMP_MODES = ['on', 'off', 'blink'] as const;
/** The modes for a message: `"on", "off", "blink"`. */
export const MODES_TEXT = LAMP_MODES.map((mode) => `"${mode}"`).join(', ');
