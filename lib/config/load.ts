import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { crossFieldProblems } from './cross-checks';
import { ConfigError, DEFAULT_CONFIG_FILE } from './errors';
import { LAMP_KINDS } from './lamp-traits';
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
      // zod reports a fractional number for an .int() as "expected int, got number".
      if (issue.expected === 'int' && typeof issue.input === 'number') return `must be a whole number, got ${issue.input}`;
      return typeProblem(issue.expected, issue.input, issue.path?.at(-1));
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

/** How to write a key's value, for the keys a newcomer types first; the rest get a fix by type. */
const EXAMPLES: Readonly<Record<string, (input: unknown) => string>> = {
  pin: (input) => (typeof input === 'number' ? `'GP${input}'` : "'GP2'"),
  kind: () =>
    `'pwm' (or ${LAMP_KINDS.filter((kind) => kind !== 'pwm')
      .map((kind) => `'${kind}'`)
      .join(', ')})`,
  currentMa: () => '10',
  ssid: () => "'garage-2g'",
  country: () => "'JP'",
  wifi: () => "{ ssid: 'garage-2g' }",
  lamps: () => "{ headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } }",
  cars: () => "{ rps13: { wifi: { ssid: 'garage-2g' }, lamps: { … } } }",
};

const NOUNS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  object: 'an object',
  array: 'a list',
  boolean: 'true or false',
};
const FIXES: Readonly<Record<string, (input: unknown) => string>> = {
  string: (input) => `put it in quotes: '${String(input)}'`,
  number: () => 'write the number without quotes',
  object: () => 'write it as { key: value, … }',
  array: () => "write it as a list: ['…', '…']",
  boolean: () => 'write true or false, without quotes',
};

function shown(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'string') return `the string ${JSON.stringify(input)}`;
  if (typeof input === 'number' || typeof input === 'boolean') return `the ${typeof input} ${input}`;
  return `${typeof input === 'object' ? 'an' : 'a'} ${typeof input}`;
}

function typeProblem(expected: string, input: unknown, key: PropertyKey | undefined): string {
  const example = typeof key === 'string' ? EXAMPLES[key] : undefined;
  const noun = NOUNS[expected] ?? expected;
  if (input === undefined) return example ? `is required; add it, like ${String(key)}: ${example(input)}` : `is required: ${noun}`;
  const fix = example ? `write it like ${String(key)}: ${example(input)}` : (FIXES[expected]?.(input) ?? `write ${noun}`);
  return `expected ${noun}, got ${shown(input)}; ${fix}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Validates a config object; on failure throws a ConfigError listing every problem. */
export function parseConfig(input: unknown, file?: string): PlamoConfig {
  const result = configSchema.safeParse(input, { error: describe });
  const structural = result.success ? [] : result.error.issues;
  const lines = [...structural, ...crossFieldProblems(input)].map((problem) => `${formatPath(problem.path)}: ${problem.message}`);
  const problems = [...new Set(lines)];
  if (result.success && problems.length === 0) return result.data;
  throw new ConfigError(problems, file);
}

/** Loads and validates a config module (TypeScript or JavaScript) whose default export is the config. */
export function loadConfig(file: string = DEFAULT_CONFIG_FILE): PlamoConfig {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError([`${file} not found; create it with defineConfig() (see README.md)`], file);
  const mod = requireConfig(path, file);
  return parseConfig(mod.default ?? mod, file);
}

function requireConfig(path: string, file: string): { default?: unknown } {
  try {
    return require(path);
  } catch (error) {
    throw new ConfigError([loadProblem(error, path, file)], file);
  }
}

/** `file:line:column: what`, the line itself and a caret under the column; never a stack trace. */
function pointAt(file: string, line: number, column: number, lineText: string, what: string): string {
  return `${file}:${line}:${column + 1}: ${what}\n      ${lineText}\n      ${' '.repeat(column)}^`;
}

function lineOf(path: string, line: number): string {
  return readFileSync(path, 'utf8').split('\n')[line - 1] ?? '';
}

function loadProblem(error: unknown, path: string, file: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const place = escapeRegExp(path);
  // A syntax error, as esbuild (inside tsx) reports it: "<path>:<line>:<column>: ERROR: <what>", column from 0.
  const syntax = new RegExp(`${place}:(\\d+):(\\d+): ERROR: (.*)`).exec(message);
  if (syntax) return pointAt(file, Number(syntax[1]), Number(syntax[2]), lineOf(path, Number(syntax[1])), syntax[3]);
  // An error while the file runs (a misspelt name, say): its stack frame in the file gives the line.
  const frame = error instanceof Error ? new RegExp(`${place}:(\\d+):(\\d+)`).exec(error.stack ?? '') : null;
  const firstLine = message.split('\n')[0];
  if (frame) return pointAt(file, Number(frame[1]), Number(frame[2]) - 1, lineOf(path, Number(frame[1])), firstLine);
  return `could not be loaded: ${firstLine}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
