import { Argument, type Command } from 'commander';
import { buildProgram, type CommandAction, loadAreas } from '../program.js';

/** The shells `ax completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** A word offered for completion, with what it does (zsh and fish show it). */
interface Word {
  name: string;
  description: string;
}

/** One command of the tree, named by its path from the root (`ax`, `ax tenant`, `ax tenant list`). */
interface CommandSpec {
  path: string;
  subcommands: Word[];
  /** Long options of this command (the root's are the global options). */
  options: Word[];
  /** Those of `options` that take a value: the next word is theirs, not a command. */
  valueOptions: string[];
}

// Every name lands in a shell script: only these characters, so quoting can never be escaped.
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

// Walks commander's tree as registered: the script always matches the commands, never a hand-kept list.
function collect(cmd: Command, path: string, into: CommandSpec[]): CommandSpec[] {
  const subs = cmd.commands.filter((c) => SAFE_NAME.test(c.name()));
  const options = cmd.options.filter(
    (o): o is typeof o & { long: string } => o.long !== undefined && SAFE_NAME.test(o.long.slice(2)),
  );
  into.push({
    path,
    subcommands: subs.map((c) => ({ name: c.name(), description: c.description() })),
    options: [
      ...options.map((o) => ({ name: o.long, description: o.description })),
      { name: '--help', description: 'display help for command' },
    ],
    valueOptions: options.filter((o) => o.required || o.optional).map((o) => o.long),
  });
  for (const sub of subs) collect(sub, `${path} ${sub.name()}`, into);
  return into;
}

/** The command tree of `program`, root first, as the completion scripts need it. */
export function completionSpec(program: Command): CommandSpec[] {
  return collect(program, 'ax', []);
}

// POSIX single quotes (bash, zsh): nothing inside is special but the quote itself.
const sq = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
// fish single quotes: backslash and quote are escaped with a backslash.
const fq = (s: string): string => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
const names = (words: Word[]): string => words.map((w) => w.name).join(' ');

function bashScript(specs: CommandSpec[]): string {
  const cases = specs
    .map(
      (s) =>
        `    ${sq(s.path)}) subs=${sq(names(s.subcommands))}; opts=${sq(names(s.options))}; vopts=${sq(s.valueOptions.join(' '))} ;;`,
    )
    .join('\n');
  const root = specs[0]!;
  return `# ax completion for bash: source <(ax completion bash)
_ax_spec() {
  case "$1" in
${cases}
    *) subs=''; opts=''; vopts='' ;;
  esac
}

_ax() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath=ax word i skipped=0 subs opts vopts
  local gopts=${sq(names(root.options))} gvopts=${sq(root.valueOptions.join(' '))}
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    # after --, the words belong to another program (ax exec): complete files
    [[ "$word" == -- ]] && return 0
    _ax_spec "$cmdpath"
    if [[ "$word" == -* ]]; then
      [[ " $vopts $gvopts " == *" $word "* ]] && ((i++)) && skipped=$i
      continue
    fi
    [[ " $subs " == *" $word "* ]] && cmdpath="$cmdpath $word"
  done
  # the word being typed is an option's value: complete files
  ((skipped == COMP_CWORD)) && return 0
  _ax_spec "$cmdpath"
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts $gopts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  fi
}

complete -o default -F _ax ax
`;
}

// zsh's _describe reads `name:description`; a colon in the name would split it.
const zword = (w: Word): string =>
  sq(`${w.name.replaceAll(':', '\\:')}:${oneLine(w.description).replaceAll(':', '\\:')}`);

function zshScript(specs: CommandSpec[]): string {
  const cases = specs
    .map(
      (s) =>
        `    (${sq(s.path)})\n      subs=(${s.subcommands.map(zword).join(' ')})\n      opts=(${s.options.map(zword).join(' ')})\n      vopts=(${s.valueOptions.join(' ')}) ;;`,
    )
    .join('\n');
  const root = specs[0]!;
  return `#compdef ax
# ax completion for zsh: ax completion zsh > "\${fpath[1]}/_ax" (or: source <(ax completion zsh) after compinit)
_ax_spec() {
  subs=() opts=() vopts=()
  case "$1" in
${cases}
  esac
}

_ax() {
  local cmdpath=ax word i skipped=0
  local -a subs opts vopts gopts gvopts subnames
  gopts=(${root.options.map(zword).join(' ')})
  gvopts=(${root.valueOptions.join(' ')})
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    # after --, the words belong to another program (ax exec)
    if [[ "$word" == -- ]]; then _files; return; fi
    _ax_spec "$cmdpath"
    if [[ "$word" == -* ]]; then
      if (( \${vopts[(Ie)$word]} || \${gvopts[(Ie)$word]} )); then
        (( i++ ))
        skipped=$i
      fi
      continue
    fi
    subnames=(\${subs%%:*})
    (( \${subnames[(Ie)$word]} )) && cmdpath="$cmdpath $word"
  done
  # the word being typed is an option's value
  if (( skipped == CURRENT )); then _files; return; fi
  _ax_spec "$cmdpath"
  if [[ "\${words[CURRENT]}" == -* ]]; then
    _describe -t options 'option' opts -- gopts
  elif (( \${#subs} )); then
    _describe -t commands 'command' subs
  else
    _files
  fi
}

if [[ "\${funcstack[1]}" == _ax ]]; then _ax "$@"; else compdef _ax ax; fi
`;
}

function fishScript(specs: CommandSpec[]): string {
  const root = specs[0]!;
  const listCases = (pick: (s: CommandSpec) => string[]) =>
    specs
      .filter((s) => pick(s).length > 0)
      .map((s) => `        case ${fq(s.path)}\n            printf '%s\\n' ${pick(s).join(' ')}`)
      .join('\n');
  const at = (path: string) => fq(`__ax_at ${fq(path)}`);
  const lines: string[] = [];
  for (const o of root.options) {
    lines.push(
      `complete -c ax -l ${o.name.slice(2)}${root.valueOptions.includes(o.name) ? ' -r' : ''} -d ${fq(oneLine(o.description))}`,
    );
  }
  for (const s of specs) {
    for (const c of s.subcommands) {
      lines.push(`complete -c ax -f -n ${at(s.path)} -a ${c.name} -d ${fq(oneLine(c.description))}`);
    }
    if (s === root) continue;
    for (const o of s.options) {
      if (o.name === '--help') continue; // already offered everywhere, as a global option
      lines.push(
        `complete -c ax -n ${at(s.path)} -l ${o.name.slice(2)}${s.valueOptions.includes(o.name) ? ' -r' : ''} -d ${fq(oneLine(o.description))}`,
      );
    }
  }
  return `# ax completion for fish: ax completion fish > ~/.config/fish/completions/ax.fish
function __ax_subs
    switch $argv[1]
${listCases((s) => s.subcommands.map((c) => c.name))}
    end
end

function __ax_vopts
    switch $argv[1]
${listCases((s) => s.valueOptions)}
    end
end

# The command the line names so far: \`ax\`, \`ax tenant\`, \`ax tenant list\`.
function __ax_path
    set -l cmdpath ax
    set -l skip 0
    for word in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        if test "$word" = --
            echo --
            return
        end
        if string match -q -- '-*' $word
            if contains -- $word (__ax_vopts $cmdpath) (__ax_vopts ax)
                set skip 1
            end
            continue
        end
        if contains -- $word (__ax_subs $cmdpath)
            set cmdpath "$cmdpath $word"
        end
    end
    echo $cmdpath
end

function __ax_at
    test (__ax_path) = "$argv[1]"
end

${lines.join('\n')}
`;
}

/** The completion script for `shell` covering every command, subcommand and long option of `program`. */
export function completionScript(shell: CompletionShell, program: Command): string {
  const specs = completionSpec(program);
  if (shell === 'bash') return bashScript(specs);
  if (shell === 'zsh') return zshScript(specs);
  return fishScript(specs);
}

/** `ax completion bash|zsh|fish`: prints a shell completion script on stdout. */
export function registerCompletion(program: Command, action: CommandAction): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish) on stdout')
    .addArgument(new Argument('<shell>', 'the shell').choices(COMPLETION_SHELLS))
    .addHelpText('after', '\nExample:\n  source <(ax completion bash)')
    .action(
      action(async (ctx, shell: CompletionShell) => {
        // this run loaded only its own area: the script needs every area's commands
        const full = buildProgram(ctx.env, () => {}, await loadAreas([]));
        ctx.env.stdout.write(completionScript(shell, full));
      }),
    );
}
