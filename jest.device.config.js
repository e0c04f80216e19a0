/** @type {import('jest').Config} The real-interpreter tier (`npm run test:device`); not part of `npm test`. */
const base = require('./jest.config.js');

module.exports = { ...base, reporters: ['default'], testMatch: ['**/test/device-tier/**/*.tier.ts'] };
