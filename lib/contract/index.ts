export * from './payloads';
export * from './permissions';
export * from './topics';
export * from './ota';
