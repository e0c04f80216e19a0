/**
 * Every `plamo` command as `plamo --help` lists it: data only, so each command's module can read its own
 * summary from here while `index.ts` loads that module only when its command runs (see `REGISTER`).
 */
export interface CommandEntry {
  readonly summary: string;
  /** Its arguments as the list shows them, e.g. `<car>`. */
  readonly args?: string;
}

export const COMMANDS = {
  check: {
    summary: "validate the config and show each car's lamps, pins and current budget",
  },
  device: {
    summary: 'write a flashable Pico W folder: firmware, config.py and the DER certificates',
    args: '<car>',
  },
  certs: {
    summary: "write just the car's three DER files: device certificate, device key, root CA",
    args: '<car>',
  },
  firmware: {
    summary: "write the car's MicroPython firmware and generated config.py (no certificates; see `plamo device`)",
    args: '<car>',
  },
  keys: {
    summary: 'make a key pair and CSR for a car in certificate mode "csr" (kept in .plamo/, never uploaded)',
    args: '<car>',
  },
  sim: {
    summary:
      'run the local twin on 127.0.0.1 (or the LAN address with --lan): MQTT broker with mutual TLS, lamp API, phone page and a virtual Pico W per car',
  },
  token: {
    summary: 'per-phone API tokens: create (shows it once, with a QR code), list, revoke',
    args: '<create|list|revoke>',
  },
} satisfies Record<string, CommandEntry>;

export type CommandName = keyof typeof COMMANDS;

/** The command an argument list names, skipping global options and `help`; undefined for none. */
export function commandNamed(argv: readonly string[]): CommandName | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-c' || arg === '--config') i++;
    else if (arg === '--') return undefined;
    else if (!arg.startsWith('-') && arg !== 'help') return Object.hasOwn(COMMANDS, arg) ? (arg as CommandName) : undefined;
  }
  return undefined;
}
