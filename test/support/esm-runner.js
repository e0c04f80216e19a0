// The firmware, twin and browser tests load ES modules (aedes, the MicroPython interpreter) with import(),
// which Jest supports only in a Node.js started with --experimental-vm-modules
// (https://jestjs.io/docs/ecmascript-modules). When this process was started without it, as by a plain
// `npx jest`, the test files run in worker processes that are.
const { SourceTextModule } = require('node:vm');
const TestRunner = require('jest-runner').default;

const VM_MODULES = '--experimental-vm-modules';

class EsmTestRunner extends TestRunner {
  runTests(tests, watcher, options) {
    if (typeof SourceTextModule === 'function') return super.runTests(tests, watcher, options);
    process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, VM_MODULES].filter(Boolean).join(' ');
    return super.runTests(tests, watcher, { ...options, serial: false });
  }
}

module.exports = EsmTestRunner;
