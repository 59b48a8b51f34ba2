// `flightdeck completion bash|zsh`: a script that teaches the shell to complete flightdeck's
// commands, flags, and environment and function names. Add to ~/.bashrc:
//   source <(flightdeck completion bash)
// or to ~/.zshrc (after compinit):
//   source <(flightdeck completion zsh)
// Both call back `flightdeck __complete WORD…` (src/cli/complete.ts) with what is typed so far,
// through the same program name that was typed (flightdeck, or a path to it).

import type { Command } from '../command';

const BASH = `# flightdeck completion for bash: source <(flightdeck completion bash)
_flightdeck_complete() {
  local IFS=$'\\n' current="\${COMP_WORDS[COMP_CWORD]}" before="\${COMP_WORDS[COMP_CWORD-1]}" before2="\${COMP_WORDS[COMP_CWORD-2]}"
  # --data @file: file names after the @. Bash breaks words at an @ (for host names), so the @ is
  # a word of its own: --data @ fl (--data=@fl: --data =@ fl). Where COMP_WORDBREAKS has no @, it
  # starts the word: --data @fl.
  if [[ ( $before == @ || $before == =@ ) && $before2 == --data ]] || [[ ( $current == @ || $current == =@ ) && $before == --data ]]; then
    [[ $current == *@ ]] && current=
    COMPREPLY=($(compgen -f -- "$current"))
    return
  fi
  if [[ $current == @* && $before == --data ]]; then
    COMPREPLY=($(compgen -f -- "\${current#@}"))
    COMPREPLY=("\${COMPREPLY[@]/#/@}")
    return
  fi
  # --env=<TAB>: bash breaks the word at the =, which is then the word completed
  [[ $current == = ]] && current=
  COMPREPLY=($(compgen -W "$("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)" -- "$current"))
}
complete -o default -F _flightdeck_complete flightdeck
`;

const ZSH = `#compdef flightdeck
# flightdeck completion for zsh: source <(flightdeck completion zsh), after compinit
_flightdeck_complete() {
  # --data @file: file names after the @
  if [[ \${words[CURRENT-1]} == --data && $PREFIX == @* || $PREFIX == --data=@* ]]; then
    compset -P '*@'
    _files
    return
  fi
  local -a candidates
  candidates=(\${(f)"$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)"})
  # Where flightdeck offers nothing that fits (a --config path), file names, as bash's -o default.
  (( \${#candidates} )) && compadd -a candidates || _files
}
compdef _flightdeck_complete flightdeck
`;

function completionCommand(shell: string, script: string): Command {
  return {
    name: `completion ${shell}`,
    summary: `Print the ${shell} completion script (source <(flightdeck completion ${shell}))`,
    json: false,
    options: {},
    async run(context) {
      context.print(script.trimEnd());
    },
  };
}

export const COMPLETION_COMMANDS: readonly Command[] = [completionCommand('bash', BASH), completionCommand('zsh', ZSH)];
