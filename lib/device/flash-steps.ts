import { displayPath } from '../files/display-path';

/**
 * What to type to put a bundle on a Pico W. The bundle is complete (the firmware has its own MQTT client,
 * nothing to install with mip). `cp -r . :` copies the folder's contents (not the folder) to the board's
 * root, where MicroPython runs main.py at boot.
 */
export function flashSteps(outDir: string): string {
  return [
    'Flash it (Pico W with MicroPython ≥ 1.24, on USB; mpremote comes with: pip install mpremote):',
    `  cd ${displayPath(outDir)}`,
    '  mpremote cp -r . :',
    '  mpremote reset',
    'Watch it boot: mpremote repl (leave with Ctrl-]).',
    'If it resets after an unexpected error: mpremote cat :last_error.txt.old shows it (moved there at the next start).',
  ].join('\n');
}

/** The certificate files keep the bundle's layout (`certs/…`), so the same copy puts them where config.py expects them. */
export function copyCertsSteps(outDir: string): string {
  return [
    'Copy them to a Pico W that already has the firmware:',
    `  cd ${displayPath(outDir)}`,
    '  mpremote cp -r . :',
    '  mpremote reset',
  ].join('\n');
}
