import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../config/errors';
import { UserError } from '../user-error';
import { COMMANDS, type CommandName, commandNamed } from './commands';

/**
 * How each command adds itself to the program. A command's module (with the AWS SDK, the CDK or the twin
 * behind it) is loaded only when that command runs or shows its own help, so `plamo --help` comes up at once.
 */
const REGISTER: Record<CommandName, () => (program: Command) => void> = {
  check: () => (require('./check') as typeof import('./check')).registerCheck,
  device: () => (require('./device') as typeof import('./device')).registerDevice,
  certs: () => (require('./device') as typeof import('./device')).registerCerts,
  firmware: () => (require('./firmware') as typeof import('./firmware')).registerFirmware,
  keys: () => (require('./keys') as typeof import('./keys')).registerKeys,
  sim: () => (require('./sim') as typeof import('./sim')).registerSim,
  token: () => (require('./token') as typeof import('./token')).registerToken,
};

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** The CLI for one run: the command `argv` names in full, every other one only as its line in the help. */
export function createProgram(argv: readonly string[]): Command {
  const program = new Command('plamo')
    .description('plamo-iot: switch the lamps of a model car from your phone')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_FILE)
    .showHelpAfterError()
    // Before the commands are added: they inherit it, so `help <command>` returns instead of exiting.
    .exitOverride();
  const wanted = commandNamed(argv);
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (name === wanted) REGISTER[name as CommandName]()(program);
    else {
      const listed = program.command(name).description(entry.summary);
      if ('args' in entry) listed.arguments(entry.args);
    }
  }
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    // The user's to fix: the message says how, and a stack trace would only bury it.
    if (error instanceof UserError) {
      console.error(`✗ ${error.message}`);
      return 1;
    }
    throw error;
  }
}
