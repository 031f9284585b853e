import { ACTIONS } from '../pipeline/actions.js';

const MANAGEMENT = 'the management account (an administrator role there)';

/**
 * Whose AWS credentials each command needs (docs/deploy.md, "Credentials"), for the message the
 * CLI prints when none were found: "no credentials" alone leaves a newcomer guessing which
 * account to log in to.
 */
const COMMANDS: Readonly<Record<string, string>> = {
  doctor: MANAGEMENT,
  import: MANAGEMENT,
  init: `${MANAGEMENT}, to fill in the management account; --offline needs none`,
  plan: "the management account, or the cicd account after the bootstrap (the CI runner's role)",
  report: "the management account, or the cicd account after the bootstrap (the CI runner's role)",
  accounts: "the management account, or the cicd account after the bootstrap (the CI runner's role)",
  dlq: MANAGEMENT,
};

/** `orgbridge <command>`'s need, or undefined when the command line names none we know. */
export function credentialsNeeded(args: readonly string[]): string | undefined {
  const command = args.find((a) => !a.startsWith('-') && !isOptionValue(args, a));
  if (command === 'run') {
    const action = actionOf(args);
    const registered = action === undefined ? undefined : ACTIONS[action];
    return registered
      ? `orgbridge run --action ${action} needs credentials of ${registered.credentials}`
      : undefined;
  }
  const need = command === undefined ? undefined : COMMANDS[command];
  return need ? `orgbridge ${command} needs credentials of ${need}` : undefined;
}

/** The value after `-c`/`--config` is a directory, not the command. */
function isOptionValue(args: readonly string[], arg: string): boolean {
  const i = args.indexOf(arg);
  return i > 0 && (args[i - 1] === '-c' || args[i - 1] === '--config');
}

function actionOf(args: readonly string[]): string | undefined {
  for (const [i, a] of args.entries()) {
    if (a === '--action') return args[i + 1];
    if (a.startsWith('--action=')) return a.slice('--action='.length);
  }
  return undefined;
}
