import { Command, CommanderError } from 'commander';
import { ConfigError, DEFAULT_CONFIG_FILE } from '../config';
import { registerCheck } from './check';
import { registerDevice } from './device';
import { registerFirmware } from './firmware';
import { registerKeys } from './keys';
import { registerSim } from './sim';
import { registerToken } from './token';

/** An expected failure: its message is printed as it is, without a stack trace. */
export class CliError extends Error {}

export function createProgram(): Command {
  const program = new Command('plamo')
    .description('plamo-iot: switch the lamps of a model car from your phone')
    .option('-c, --config <file>', 'config file', DEFAULT_CONFIG_FILE)
    .showHelpAfterError();
  registerCheck(program);
  registerDevice(program);
  registerFirmware(program);
  registerKeys(program);
  registerSim(program);
  registerToken(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram().exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConfigError || error instanceof CliError) {
      console.error(`✗ ${error.message}`);
      return 1;
    }
    throw error;
  }
}
