# bash completion for nntrace: commands, options and lesson names.
#
# Everything is asked from nntrace itself, so it is never out of date:
# the commands from `nntrace --help`, each command's options, and the
# choices of an option's value (`--notation va|layer|...`), from
# `nntrace COMMAND --help`, the lesson names from `nntrace list --names`
# (the lesson path: $NNTRACE_PATH, ./lessons, the installed lessons).
# Installed as PREFIX/share/bash-completion/completions/nntrace.

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

    # the value of an option
    case $prev in
        -o|--output|--transcript|--gradescope|--csv|--xlsx|--save|--load|--export-lesson)
            COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        --data)
            COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
        --passes|--digits|--rounded|--tol|--tolerance|--step|--example|--ask|--sheet-word|\
        --act|--out|--loss|--init|--width|--layers|--epochs|--batch|--rate|--decay|\
        --momentum|--anneal|--seed|--threads|--trace-sample|--export-inputs)
            return 0 ;;
    esac

    # the value of an option whose --help lists its choices as a|b|c
    if [[ $prev == --* ]]; then
        local choices
        choices=$("$prog" "$cmd" --help 2>/dev/null | grep -o -- "$prev [a-z0-9-]*|[a-z0-9|-]*" | head -n 1)
        if [[ -n $choices ]]; then
            choices=${choices#"$prev "}
            COMPREPLY=($(compgen -W "${choices//|/ }" -- "$cur"))
            return 0
        fi
    fi

    if [[ $cur == -* ]]; then
        local opts
        opts=$("$prog" "$cmd" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*\|^ *-[a-z]\b' | tr -d ' ' | sort -u)
        COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
        return 0
    fi

    # positional arguments: a lesson (a name on the lesson path or a file)
    local k lesson_given=0
    for ((k = 2; k < COMP_CWORD; k++)); do
        [[ ${COMP_WORDS[k]} != -* && ${COMP_WORDS[k-1]} != -o ]] && lesson_given=1
    done
    case $cmd in
        run|gradcheck|step|quiz|xlsx|dot|template|check)
            if [[ $lesson_given -eq 1 ]]; then
                [[ $cmd == check ]] && COMPREPLY=($(compgen -f -- "$cur"))
                return 0
            fi
            local names
            names=$("$prog" list --names 2>/dev/null)
            COMPREPLY=($(compgen -W "$names" -- "$cur") $(compgen -f -X '!*.lesson' -- "$cur"))
            # no name or lesson file fits: a directory on the way to one
            [[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -d -S / -- "$cur")) && compopt -o nospace 2>/dev/null
            ;;
        list)
            COMPREPLY=($(compgen -d -- "$cur")) ;;
    esac
    return 0
}
complete -F _nntrace nntrace
