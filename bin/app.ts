import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../lib/config';
import { createApp } from '../lib/cloud/app';
import { DeviceCsrError } from '../lib/cloud/device-keys';

// `PLAMO_CONFIG=path/to/other.config.ts npx cdk synth` picks another config file.
const configFile = process.env.PLAMO_CONFIG ?? DEFAULT_CONFIG_FILE;
try {
  const { app } = createApp(loadConfig(configFile));
  app.synth();
} catch (error) {
  // The user's to fix: print what to do as `npx plamo check` does, without a stack trace burying it.
  if (!(error instanceof ConfigError || error instanceof DeviceCsrError)) throw error;
  console.error(`✗ ${error.message}`);
  process.exitCode = 1;
}
