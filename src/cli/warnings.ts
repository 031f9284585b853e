/**
 * The AWS SDK warns on every start that its 2027 releases will need Node 22; orgbridge supports
 * Node 20.11+ (see README), so that one warning is dropped and every other is printed as usual.
 * Installed before anything imports the SDK (bin/orgbridge.js, bench/run.ts).
 */
export function dropSdkNodeNotice(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    // Emitted as a plain 'Warning' whose message starts with the name.
    const sdkNodeNotice = `${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning');
    if (!sdkNodeNotice) process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });
}
