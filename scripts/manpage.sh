#!/bin/sh
# manpage.sh BIN TEMPLATE: a manual page whose lists come from the binary
# itself, so the page and the program can never disagree. Template lines:
#     .\" @OPTIONS run@   one .TP entry per option of `BIN run --help`
#     .\" @KEYS@          one .TP entry per lesson key of `BIN keys`
#     .\" @LISTS@         the activation and loss lists of `BIN --help`
# An entry starts on a line indented by 1-4 blanks (for options: then '-');
# its tag ends at the first run of two blanks; more deeply indented lines
# continue its description.
set -eu
bin=$1
template=$2

# items ALL: the help text on stdin as .TP entries (ALL=1: any entry, 0: options)
items() {
  LC_ALL=C awk -v all="$1" '
        BEGIN { for (i = 128; i < 256; i++) ord[sprintf("%c", i)] = i }
        # roff escapes: a backslash, and UTF-8 characters as \[uXXXX]
        function esc(s,   out, k, c, cp, n) {
          gsub(/\\/, "\\e", s)
          out = ""
          for (k = 1; k <= length(s); k++) {
            c = substr(s, k, 1)
            if (!(c in ord)) { out = out c; continue }
            cp = ord[c]
            if (cp >= 240) { cp -= 240; n = 3 } else if (cp >= 224) { cp -= 224; n = 2 } else { cp -= 192; n = 1 }
            for (; n > 0; n--) { k++; cp = cp * 64 + ord[substr(s, k, 1)] - 128 }
            out = out sprintf("\\[u%04X]", cp)
          }
          return out
        }
        function flush() {
          if (tag == "") return
          t = esc(tag); gsub(/-/, "\\-", t)
          print ".TP"; print "\\fB" t "\\fR"
          n = split(desc, lines, "\n")
          for (k = 1; k <= n; k++) {
            d = esc(lines[k]); if (d ~ /^[.'"'"']/) d = "\\&" d; print d
          }
          tag = ""; desc = ""
        }
        match($0, /^ +[^ ]/) && RLENGTH <= 5 && (all || $0 ~ /^ +-/) {
          flush()
          s = $0; sub(/^ +/, "", s)
          n = match(s, /  +/)
          if (n) { tag = substr(s, 1, n - 1); desc = substr(s, n); sub(/^ +/, "", desc) }
          else { tag = s; desc = "" }
          next
        }
        /^      +[^ ]/ && tag != "" {
          s = $0; sub(/^ +/, "", s)
          desc = desc == "" ? s : desc "\n" s
          next
        }
        { flush() }
        END { flush() }'
}

while IFS= read -r line; do
  case $line in
    '.\" @OPTIONS '*'@')
      cmd=${line#'.\" @OPTIONS '}
      "$bin" "${cmd%@}" --help | items 0 ;;
    '.\" @KEYS@')
      "$bin" keys | items 1 ;;
    '.\" @LISTS@')
      printf '.PP\n.EX\n'
      "$bin" --help | sed -n '/^lesson /,/^$/p' | sed '/^$/d; s/\\/\\e/g'
      printf '.EE\n' ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$template"
