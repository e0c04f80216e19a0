export * from './authorizer';
export * from './car-state';
export * from './commands';
export * from './http';
export * from './lamp-api';
export * from './lamp-port';
export * from './router';
export * from './tokens';
