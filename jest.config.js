/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  runner: '<rootDir>/test/support/esm-runner.js',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        // Keep import() as import(): aedes and the MicroPython interpreter are ES modules.
        module: { type: 'commonjs', ignoreDynamic: true },
      },
    ],
  },
};
