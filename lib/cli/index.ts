import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError, DEFAULT_CONFIG_FILE } from '../config/errors';
import { COMMANDS, commandNamed } from './commands';

/** An expected failure: its message is printed as it is, without a stack trace. */
export class CliError extends Error {}

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
    if (name === wanted) entry.register()(program);
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
    if (error instanceof ConfigError || error instanceof CliError) {
      console.error(`✗ ${error.message}`);
      return 1;
    }
    throw error;
  }
}
