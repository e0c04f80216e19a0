import type { Command } from 'commander';

/**
 * Every `plamo` command as `plamo --help` lists it. A command's module (with the AWS SDK, the CDK or the twin
 * behind it) is loaded only when that command runs or shows its own help, so the list comes up at once.
 */
export interface CommandEntry {
  readonly summary: string;
  /** Its arguments as the list shows them, e.g. `<car>`. */
  readonly args?: string;
  readonly register: () => (program: Command) => void;
}

export const COMMANDS = {
  check: {
    summary: "validate the config and show each car's lamps, pins and current budget",
    register: () => (require('./check') as typeof import('./check')).registerCheck,
  },
  device: {
    summary: 'write a flashable Pico W folder: firmware, config.py and the DER certificates',
    args: '<car>',
    register: () => (require('./device') as typeof import('./device')).registerDevice,
  },
  certs: {
    summary: "write just the car's three DER files: device certificate, device key, root CA",
    args: '<car>',
    register: () => (require('./device') as typeof import('./device')).registerCerts,
  },
  firmware: {
    summary: "write the car's MicroPython firmware and generated config.py (no certificates; see `plamo device`)",
    args: '<car>',
    register: () => (require('./firmware') as typeof import('./firmware')).registerFirmware,
  },
  keys: {
    summary: 'make a key pair and CSR for a car in certificate mode "csr" (kept in .plamo/, never uploaded)',
    args: '<car>',
    register: () => (require('./keys') as typeof import('./keys')).registerKeys,
  },
  ota: {
    summary:
      'update a running car over the air: sends only the changed files, follows it until it is online with the new firmware (--status: its update jobs)',
    args: '<car>',
    register: () => (require('./ota') as typeof import('./ota')).registerOta,
  },
  sim: {
    summary:
      'run the local twin on 127.0.0.1 (or the LAN address with --lan): MQTT broker with mutual TLS, lamp API, phone page and a virtual Pico W per car',
    register: () => (require('./sim') as typeof import('./sim')).registerSim,
  },
  token: {
    summary: 'per-phone API tokens: create (shows it once, with a QR code), list, revoke',
    args: '<create|list|revoke>',
    register: () => (require('./token') as typeof import('./token')).registerToken,
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
