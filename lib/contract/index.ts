export * from './payloads';
export * from './permissions';
export * from './topics';
