# What zsh's completion offers for a command line, one match a line:
#
#   zsh -f tests/support/zsh-complete.zsh SCRIPT 'wikistream --format '
#
# zsh completes only inside the line editor of an interactive shell, so this starts one on a
# pseudo-terminal (zsh/zpty), loads compinit and SCRIPT there, types the line and a Tab, and
# prints what the completion functions handed to compadd (after zsh's own matching against the
# word typed). The approach of Valodim's zsh-capture-completion, cut to what the tests need.
# Exits 2 when the inner shell never says it is ready.

if [[ $1 == --setup ]]; then
  # Sourced by the inner, interactive shell.
  PROMPT=
  autoload -U compinit && compinit -u -d "${TMPDIR:-/tmp}/zcompdump-wikistream-$$"
  if ! source "$2"; then
    print "cannot source $2"
    return 1
  fi
  # Enter runs nothing; Tab completes.
  bindkey '^M' undefined
  bindkey '^J' undefined
  bindkey '^I' complete-word
  # A NUL line before and after the matches marks them off from the echoed input.
  null-line() { print -r -- $'\0' }
  compprefuncs=(null-line)
  comppostfuncs=(null-line exit)
  zstyle ':completion:*' list-grouped false
  zstyle ':completion:*' insert-tab false
  compadd() {
    # -O, -A and -D ask compadd for the matches themselves: nothing is offered yet.
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
      builtin compadd "$@"
      return $?
    fi
    typeset -a __hits
    builtin compadd -A __hits "$@"
    (( $#__hits )) || return
    local hit
    for hit in $__hits; do print -r -- "$IPREFIX$hit"; done
  }
  print ok
  return 0
fi

zmodload zsh/zpty || exit 1
zpty capture zsh -f -i
zpty -w capture "source ${(q)0:A} --setup ${(q)1}"
local line
repeat 20; do
  zpty -r capture line
  [[ $line == (ok|cannot)* ]] && break
done
if [[ $line != ok* ]]; then
  print -u2 "the interactive zsh did not load $1: ${line//$'\r'/}"
  zpty -d capture
  exit 2
fi
zpty -w capture "$2"$'\t'
integer marks=0
while zpty -r capture line; do
  if [[ $line == *$'\0'* ]]; then
    (( marks++ )) && break || continue
  fi
  line=${${line//$'\r'/}//$'\n'/}
  (( marks )) && [[ -n $line ]] && print -r -- "$line"
done
zpty -d capture
exit 0
