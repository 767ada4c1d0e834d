#!/bin/sh
# manpage.sh BIN TEMPLATE: a manual page whose lists come from the binary
# itself, so the page and the program can never disagree. Template lines:
#     .\" @COMMANDS@   a subsection per command of `BIN --help`, made from
#                      `BIN COMMAND --help`: usage, text, options
#     .\" @KEYS@       one entry per lesson key of `BIN keys`
#     .\" @LISTS@      the activation and loss lists of `BIN --help`
# In a help text, a line indented by 1-4 blanks starts an entry (its tag ends
# at the first run of two blanks), more deeply indented lines continue it,
# other lines are running text and a blank line ends a paragraph.
set -eu
bin=$1
template=$2

# help2roff: a help text on stdin as man(7) text; a first line
# "usage: nntrace ..." becomes a subsection heading.
help2roff() {
  LC_ALL=C awk '
    BEGIN { for (i = 128; i < 256; i++) ord[sprintf("%c", i)] = i }
    # roff escapes: backslash, a leading dot or quote, UTF-8 as \[uXXXX]
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
      if (out ~ /^[.\047]/) out = "\\&" out
      return out
    }
    function dash(s) { gsub(/-/, "\\-", s); return s }
    # a paragraph break is written only before more running text
    NR == 1 && /^usage: / { sub(/^usage: /, ""); print ".SS \"" esc($0) "\""; para = 0; body = 0; next }
    /^[ \t]*$/ { para = body; next }
    /^options:$/ { next }
    { body = 1 }
    match($0, /^ +[^ ]/) && RLENGTH <= 5 {
      s = $0; sub(/^ +/, "", s)
      n = match(s, /  +/)
      print ".TP"
      if (n) {
        print "\\fB" dash(esc(substr(s, 1, n - 1))) "\\fR"
        s = substr(s, n); sub(/^ +/, "", s); print esc(s)
      } else {
        print "\\fB" dash(esc(s)) "\\fR"
      }
      para = 0
      next
    }
    { if (para) print ".PP"; para = 0; s = $0; sub(/^ +/, "", s); print esc(s) }'
}

while IFS= read -r line; do
  case $line in
    '.\" @COMMANDS@')
      for cmd in $("$bin" --help | awk '/^  [a-z]/ { print $1 }'); do
        "$bin" "$cmd" --help | help2roff
      done ;;
    '.\" @KEYS@')
      "$bin" keys | sed -n '/^  /,$p' | help2roff ;;
    '.\" @LISTS@')
      printf '.PP\n.EX\n'
      "$bin" --help | sed -n '/^lesson /,/^$/p' | sed '/^$/d; s/\\/\\e/g'
      printf '.EE\n' ;;
    '.TH '*)
      # after the title: a subscript digit (in\[u2083], from a help text) is
      # a plain digit, and Delta its name, where the output has no such
      # glyph (man in the C locale renders ASCII, and would drop the digit:
      # "instead of in, <Delta>")
      printf '%s\n' "$line"
      for d in 0 1 2 3 4 5 6 7 8 9; do
        printf '.if !c\\[u208%s] .char \\[u208%s] %s\n' "$d" "$d" "$d"
      done
      printf '.if !c\\[u0394] .char \\[u0394] Delta\n' ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$template"
