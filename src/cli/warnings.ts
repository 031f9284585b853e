/**
 * Under Node 20 the AWS SDK for JavaScript warns at its first client that its releases from
 * January 2027 need Node 22 (https://github.com/aws/aws-sdk-js-v3/issues/7983). orgbridge
 * recommends Node 22 and supports Node 20 until then (README, "Requirements"), so that notice is
 * noise on every command. The SDK's own switch turns off that one notice and nothing else: Node
 * keeps printing every other warning as usual. Called before the first client is made
 * (bin/orgbridge.js, bench/run.ts); a value the user set is left alone.
 */
export function dropSdkNodeNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
