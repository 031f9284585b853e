#!/usr/bin/env node
// Runs the CLI bundle (dist/cli-bundle/, scripts/bundle-cli.ts); `npm install` builds it (the
// `prepare` script).
// Node 22.8+ keeps the V8 code of the modules it compiles on disk and reuses it on the next start
// (https://nodejs.org/api/module.html#moduleenablecompilecachecachedir), so every command starts
// faster. Older Node has no such cache and skips it.
const module = await import('node:module');
module.enableCompileCache?.();
// The bundle's stack traces name its chunks; with --debug they name the sources instead.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
const { dropSdkNodeNotice } = await import('../dist/cli-bundle/warnings.js');
dropSdkNodeNotice();
const { main } = await import('../dist/cli-bundle/main.js');

process.exitCode = await main(process.argv);
