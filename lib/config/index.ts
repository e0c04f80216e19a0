export { ConfigError, DEFAULT_CONFIG_FILE, defineConfig, loadConfig, parseConfig } from './load';
export { checkPin, MAX_PIN_CURRENT_MA, MAX_TOTAL_GPIO_CURRENT_MA, USABLE_PINS_HINT, WIFI_CHIP_PINS } from './pins';
export * from './schema';
export * from './appearance';
export { type LampTraits, LAMP_TRAITS, traitsOf } from './lamp-traits';
export * from './servo';
export { pwmSliceOf, USABLE_GPIOS } from './pins';
export * from './effects';
