'use strict';
// A worker thread starts without its parent's TypeScript loader (tsx in the CLI, swc under jest), so the
// virtual car's code is compiled on the fly here, the way bin/plamo.cjs does for the CLI.
require('tsx/cjs/api').register();
require('./virtual-car-worker.ts');
