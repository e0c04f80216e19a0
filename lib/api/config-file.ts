import { readFileSync } from 'node:fs';
import type { ApiConfig } from './commands';

/**
 * The cars reach the lamp Lambda as a JSON file beside its bundle, written at synth: it grows with every car
 * (about 1 KB each), so it cannot go into the environment (4 KB for all variables), nor onto esbuild's command
 * line (one argument may hold 128 KB on Linux; 500 cars failed with `spawnSync E2BIG`), nor into the bundle
 * (150 KB budget). The asset's hash covers the file, so a changed config deploys a new function version.
 */
export const API_CONFIG_FILE = 'api-config.json';

/** Reads the file the stack writes (`apiConfigOf` as JSON); says which file when it is missing or wrong. */
export function readApiConfigFile(path: string): ApiConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `the lamp API's config ${path} cannot be read (${(error as NodeJS.ErrnoException).code}); deploy again with npx cdk deploy`,
    );
  }
  const config = JSON.parse(text) as ApiConfig;
  if (typeof config?.topicRoot !== 'string' || typeof config.cars !== 'object' || config.cars === null) {
    throw new Error(`the lamp API's config ${path} holds no topicRoot and cars; deploy again with npx cdk deploy`);
  }
  return config;
}
