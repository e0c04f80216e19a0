export * from './broker';
export * from './payloads';
export * from './permissions';
export * from './stack';
export * from './topics';
export * from './lamp-effects';
