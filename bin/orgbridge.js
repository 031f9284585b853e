#!/usr/bin/env node
// Runs the compiled CLI; `npm install` builds it (the `prepare` script).
const { dropSdkNodeNotice } = await import('../dist/cli/warnings.js');
dropSdkNodeNotice();
const { main } = await import('../dist/cli/main.js');

process.exitCode = await main(process.argv);
