import { DEFAULT_CONFIG_FILE, loadConfig } from '../lib/config';
import { createApp } from '../lib/cloud/app';
import { UserError } from '../lib/user-error';

// `PLAMO_CONFIG=path/to/other.config.ts npx cdk synth` picks another config file.
const configFile = process.env.PLAMO_CONFIG ?? DEFAULT_CONFIG_FILE;
try {
  const { app } = createApp(loadConfig(configFile));
  app.synth();
} catch (error) {
  // The user's to fix: print what to do as `npx plamo check` does, without a stack trace burying it.
  if (!(error instanceof UserError)) throw error;
  console.error(`✗ ${error.message}`);
  process.exitCode = 1;
}
