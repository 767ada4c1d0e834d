# bash completion for nntrace: commands, options and lesson names.
#
# Everything is asked from nntrace itself, so it is never out of date:
# the commands and what their first operand is from `nntrace --help`
# ("run LESSON ...", "list [DIR]", "help [COMMAND|lesson]"), each
# command's options and their values from `nntrace --options COMMAND`
# (one option a line, then its value: "--digits N", "-o FILE",
# "--notation va|layer|netout|bar"), the lesson names from `nntrace list
# --names` (the lesson path: $NNTRACE_PATH, ./lessons, the installed
# lessons).
# Installed as PREFIX/share/bash-completion/completions/nntrace.

# The words for an operand of kind $1 (LESSON, [DIR], [COMMAND|lesson],
# ANSWERS..., as `nntrace --help` writes them) into COMPREPLY.
_nntrace_operand()
{
    local prog=$1 kind=$2 cur=$3 word words=()
    kind=${kind#[}
    kind=${kind%]}
    local IFS='|'
    for word in $kind; do
        case $word in
            LESSON)
                words+=($("$prog" list --names 2>/dev/null))
                COMPREPLY+=($(compgen -f -X '!*.lesson' -- "$cur")) ;;
            COMMAND)
                words+=($("$prog" --help 2>/dev/null | awk '/^  [a-z]/ { print $1 }')) ;;
            DIR)
                COMPREPLY+=($(compgen -d -- "$cur")) ;;
            [A-Z]*...|FILE*)
                COMPREPLY+=($(compgen -f -- "$cur")) ;;
            [a-z]*)
                words+=("$word") ;;
        esac
    done
    unset IFS
    COMPREPLY+=($(compgen -W "${words[*]}" -- "$cur"))
}

_nntrace()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local prog=${COMP_WORDS[0]} cmd=${COMP_WORDS[1]}
    COMPREPLY=()

    if [[ $COMP_CWORD -eq 1 ]]; then
        local cmds
        cmds=$("$prog" --help 2>/dev/null | awk '/^  [a-z]/ { print $1 }')
        COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
        return 0
    fi

    # the command's options, each with its value if it takes one
    local -A value=()
    local name val
    while read -r name val; do
        [[ $name == -* ]] && value[$name]=$val
    done < <("$prog" --options "$cmd" 2>/dev/null)

    # the value of an option
    if [[ $prev == -* && -n ${value[$prev]} ]]; then
        local v=${value[$prev]} choices=() c
        case $v in
            DIR) COMPREPLY=($(compgen -d -- "$cur")) ;;
            *FILE*) COMPREPLY=($(compgen -f -- "$cur")) ;;
            *'|'*)  # the lowercase ones of a|b|c: choices (an uppercase one is any value)
                local IFS='|'
                for c in $v; do [[ $c == [a-z0-9]* ]] && choices+=("$c"); done
                unset IFS
                COMPREPLY=($(compgen -W "${choices[*]}" -- "$cur")) ;;
        esac
        return 0
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "${!value[*]}" -- "$cur" | LC_ALL=C sort))
        return 0
    fi

    # the operands before this one, the values of options skipped
    local k n=0
    for ((k = 2; k < COMP_CWORD; k++)); do
        if [[ ${COMP_WORDS[k]} == -?* ]]; then
            [[ ${COMP_WORDS[k]} != *=* && -n ${value[${COMP_WORDS[k]}]} ]] && ((k++))
        else
            ((n++))
        fi
    done
    # what this operand is: the usage's word n+2 in `nntrace --help`, or
    # the last one when it repeats (ANSWERS...)
    local kind
    kind=$("$prog" --help 2>/dev/null | awk -v c="$cmd" -v n=$((n + 2)) '
        /^  [a-z]/ && $1 == c {
            k = 2
            while (k < n && $k !~ /\.\.\.$/) k++
            if (k == n || $k ~ /\.\.\.$/) print $k
            exit
        }')
    [[ -z $kind || $kind == -* || $kind == '[-'* || $kind == '[options]' ]] && return 0
    _nntrace_operand "$prog" "$kind" "$cur"
    # a lesson: no name or lesson file fits, a directory on the way to one
    if [[ $kind == *LESSON* && ${#COMPREPLY[@]} -eq 0 ]]; then
        COMPREPLY=($(compgen -d -S / -- "$cur"))
        compopt -o nospace 2>/dev/null
    fi
    return 0
}
complete -F _nntrace nntrace
