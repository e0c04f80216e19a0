export * from './broker';
export * from './payloads';
export * from './permissions';
export * from './stack';
export * from './topics';
export * from './ota';
export * from './lamp-effects';
