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

# Files and directories (a directory gets its '/' and no space after it,
# a name with blanks is quoted): compgen's words, one a line, into COMPREPLY.
_nntrace_files()
{
    local IFS=$'\n' found
    found=($(compgen "$@"))
    ((${#found[@]})) || return 0
    COMPREPLY+=("${found[@]}")
    compopt -o filenames 2>/dev/null
}

# The words for an operand of kind $2 (LESSON, [DIR], [COMMAND|lesson],
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
                _nntrace_files -f -X '!*.lesson' -- "$cur" ;;
            COMMAND)
                words+=($("$prog" --help 2>/dev/null | awk '/^  [a-z]/ { print $1 }')) ;;
            DIR)
                _nntrace_files -d -- "$cur" ;;
            [A-Z]*...|FILE*)
                _nntrace_files -f -- "$cur" ;;
            [a-z]*)
                words+=("$word") ;;
        esac
    done
    unset IFS
    COMPREPLY+=($(compgen -W "${words[*]}" -- "$cur"))
}

# The value of an option whose value is written $1 in `nntrace --options`
# (N, FILE, DIR, a|b|c) into COMPREPLY: the words that begin with $2,
# each after $3 (the "--opt=" bash did not split off, else nothing).
_nntrace_value()
{
    local v=$1 cur=$2 pre=$3 choices=() c
    case $v in
        DIR) _nntrace_files -d -P "$pre" -- "$cur" ;;
        *FILE*) _nntrace_files -f -P "$pre" -- "$cur" ;;
        *'|'*)  # the lowercase ones of a|b|c: choices (an uppercase one is any value)
            local IFS='|'
            for c in $v; do [[ $c == [a-z0-9]* ]] && choices+=("$c"); done
            unset IFS
            COMPREPLY=($(compgen -P "$pre" -W "${choices[*]}" -- "$cur")) ;;
    esac
}

_nntrace()
{
    local prog=${COMP_WORDS[0]} cmd=${COMP_WORDS[1]}
    COMPREPLY=()

    # bash splits --opt=VALUE at the '=' (it is in COMP_WORDBREAKS) into
    # "--opt", "=" and "VALUE": the words with such pieces joined again,
    # and which of them is being completed
    local words=() cword=0 k w n
    for ((k = 0; k < ${#COMP_WORDS[@]}; k++)); do
        w=${COMP_WORDS[k]} n=${#words[@]}
        if ((n > 2)) && [[ $w == = && ${words[n-1]} == -?* && ${words[n-1]} != *=* ]]; then
            words[n-1]+==
        elif ((n > 2)) && [[ ${COMP_WORDS[k-1]} == = && ${words[n-1]} == -?*= ]]; then
            words[n-1]+=$w
        else
            words+=("$w")
        fi
        ((k == COMP_CWORD)) && cword=$((${#words[@]} - 1))
    done
    local cur=${words[cword]} prev=${words[cword-1]}

    if [[ $cword -eq 1 ]]; then
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

    # the value of an option: --opt=VALUE, or --opt VALUE
    if [[ $cur == -?*=* ]]; then
        local pre=
        [[ ${COMP_WORDS[COMP_CWORD]} == -?*=* ]] && pre=${cur%%=*}=
        [[ -n ${value[${cur%%=*}]} ]] && _nntrace_value "${value[${cur%%=*}]}" "${cur#*=}" "$pre"
        return 0
    fi
    if [[ $prev == -* && $prev != *=* && -n ${value[$prev]} ]]; then
        _nntrace_value "${value[$prev]}" "$cur" ""
        return 0
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "${!value[*]}" -- "$cur" | LC_ALL=C sort))
        return 0
    fi

    # the operands before this one, the values of options skipped
    n=0
    for ((k = 2; k < cword; k++)); do
        if [[ ${words[k]} == -?* ]]; then
            [[ ${words[k]} != *=* && -n ${value[${words[k]}]} ]] && ((k++))
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
        _nntrace_files -d -- "$cur"
        compopt -o nospace 2>/dev/null
    fi
    return 0
}
complete -F _nntrace nntrace
