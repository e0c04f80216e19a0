#!/usr/bin/env node
'use strict';
// The CLI is written in TypeScript; tsx compiles it on the fly so `npx plamo` needs no build step.
require('tsx/cjs/api').register();
require('./plamo.ts');
