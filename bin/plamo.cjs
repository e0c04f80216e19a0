#!/usr/bin/env node
'use strict';
// The AWS SDK's seven-line NodeVersionSupportWarning on Node.js 20 becomes one line (lib/cli/node-support.ts);
// the SDK's own switch, for this CLI only and only when the user has not set it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The CLI is written in TypeScript; tsx compiles it on the fly so `npx plamo` needs no build step.
require('tsx/cjs/api').register();
require('./plamo.ts');
