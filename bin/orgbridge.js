#!/usr/bin/env node
// Runs the compiled CLI; `npm install` builds it (the `prepare` script).
// Node 22.8+ keeps the V8 code of the modules it compiles on disk and reuses it on the next start
// (https://nodejs.org/api/module.html#moduleenablecompilecachecachedir): a command loads a few
// hundred modules, so every command starts faster. Older Node has no such cache and skips it.
const module = await import('node:module');
module.enableCompileCache?.();
const { dropSdkNodeNotice } = await import('../dist/cli/warnings.js');
dropSdkNodeNotice();
const { main } = await import('../dist/cli/main.js');

process.exitCode = await main(process.argv);
