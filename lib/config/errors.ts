import { UserError } from '../user-error';

/** The config file the CLI, the CDK app and the twin read unless told otherwise. */
export const DEFAULT_CONFIG_FILE = 'plamo.config.ts';

/** Every problem in a config, one `path: message` line each. */
export class ConfigError extends UserError {
  constructor(
    readonly problems: readonly string[],
    readonly file?: string,
  ) {
    super(`${file ?? 'config'} is invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}
