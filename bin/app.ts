import { DEFAULT_CONFIG_FILE, loadConfig } from '../lib/config';
import { createApp } from '../lib/cloud/app';

// `npx PLAMO_CONFIG=path/to/other.config.ts npx cdk synth` picks another config file.
const configFile = process.env.PLAMO_CONFIG ?? DEFAULT_CONFIG_FILE;
const { app } = createApp(loadConfig(configFile));
app.synth();
