import type { Command } from 'commander';
import { OrgbridgeError } from '../../errors.js';
import type { CliContext } from '../main.js';

/**
 * `orgbridge completion bash|zsh`: prints a completion script built from the program's own
 * commands and options, so it never falls behind them. Install: `source <(orgbridge completion bash)`
 * in ~/.bashrc, or `orgbridge completion zsh > "${fpath[1]}/_orgbridge"` (README, "Install").
 */
export function registerCompletion(program: Command, ctx: CliContext): void {
  program
    .command('completion')
    .description('print a shell completion script: bash or zsh (README, "Shell completion")')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      const spec = completionSpec(program);
      if (shell === 'bash') ctx.io.out(bashScript(spec));
      else if (shell === 'zsh') ctx.io.out(zshScript(spec));
      else
        throw new OrgbridgeError('CLI_UNKNOWN_SHELL', `no completion for shell '${shell}'`, {
          hint: 'orgbridge completion bash, or orgbridge completion zsh',
        });
    });
}

interface CompletionSpec {
  readonly globalOptions: readonly string[];
  /** Command name -> its description, subcommands and long options. */
  readonly commands: readonly { name: string; description: string; words: readonly string[] }[];
}

function longOptions(command: Command): string[] {
  return command.options.flatMap((o) => (o.long ? [o.long] : []));
}

export function completionSpec(program: Command): CompletionSpec {
  return {
    globalOptions: [...longOptions(program), '--help', '--version'],
    commands: program.commands.map((c) => ({
      name: c.name(),
      description: c.description().split('\n')[0] ?? '',
      words: [...c.commands.map((s) => s.name()), ...longOptions(c), '--help'],
    })),
  };
}

function bashScript(spec: CompletionSpec): string {
  const cases = spec.commands.map((c) => `    ${c.name}) words="${c.words.join(' ')}" ;;`).join('\n');
  return `# orgbridge bash completion: source <(orgbridge completion bash)
_orgbridge() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" i words
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -c|--config) ((i++)) ;;
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$cmd" in
    "") words="${spec.commands.map((c) => c.name).join(' ')} ${spec.globalOptions.join(' ')}" ;;
${cases}
    *) words="" ;;
  esac
  if [[ "\${COMP_WORDS[COMP_CWORD-1]}" == "-c" || "\${COMP_WORDS[COMP_CWORD-1]}" == "--config" ]]; then
    COMPREPLY=($(compgen -d -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}
complete -o default -F _orgbridge orgbridge
`;
}

function zshScript(spec: CompletionSpec): string {
  const quote = (s: string) => s.replace(/'/g, "'\\''").replace(/:/g, '\\:');
  const described = spec.commands.map((c) => `    '${c.name}:${quote(c.description)}'`).join('\n');
  const cases = spec.commands
    .map((c) => `    ${c.name}) _values 'option' ${c.words.map((w) => `'${w}'`).join(' ')} ;;`)
    .join('\n');
  return `#compdef orgbridge
# orgbridge zsh completion: orgbridge completion zsh > "\${fpath[1]}/_orgbridge"
_orgbridge() {
  local -a commands
  commands=(
${described}
  )
  local cmd i
  for ((i = 2; i < CURRENT; i++)); do
    case "\${words[i]}" in
      -c|--config) ((i++)) ;;
      -*) ;;
      *) cmd="\${words[i]}"; break ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    if [[ "\${words[CURRENT-1]}" == (-c|--config) ]]; then _files -/; return; fi
    _describe 'command' commands
    _values 'option' ${spec.globalOptions.map((w) => `'${w}'`).join(' ')}
    return
  fi
  case "$cmd" in
${cases}
  esac
}
_orgbridge "$@"
`;
}
