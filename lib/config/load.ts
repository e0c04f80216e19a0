import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, DEFAULT_CONFIG_FILE } from './errors';
import { configSchema, type PlamoConfig, type PlamoConfigInput } from './schema';

export { ConfigError, DEFAULT_CONFIG_FILE } from './errors';

/** Types the user's config in `plamo.config.ts`; validation happens when it is loaded. */
export function defineConfig(config: PlamoConfigInput): PlamoConfigInput {
  return config;
}

function describe(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_key':
      return issue.issues[0]?.message;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `'${key}'`).join(', ')}; check the spelling against the config reference in README.md`;
    case 'invalid_type':
      if (issue.input === undefined) return `is required (${issue.expected})`;
      // zod reports a fractional number for an .int() as "expected int, got number".
      if (issue.expected === 'int' && typeof issue.input === 'number') return `must be a whole number, got ${issue.input}`;
      return `expected ${issue.expected}, got ${typeof issue.input}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array'
        ? 'must not be empty'
        : issue.origin === 'string'
          ? 'must not be empty'
          : `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${issue.maximum} characters`
        : `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum}`;
    default:
      return undefined;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Validates a config object; on failure throws a ConfigError listing every problem. */
export function parseConfig(input: unknown, file?: string): PlamoConfig {
  const result = configSchema.safeParse(input, { error: describe });
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
    file,
  );
}

/** Loads and validates a config module (TypeScript or JavaScript) whose default export is the config. */
export function loadConfig(file: string = DEFAULT_CONFIG_FILE): PlamoConfig {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError([`${file} not found; create it with defineConfig() (see README.md)`], file);
  const mod = require(path);
  return parseConfig(mod.default ?? mod, file);
}
