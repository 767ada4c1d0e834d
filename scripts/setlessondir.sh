#!/bin/sh
# setlessondir.sh BINARY DIR: write DIR, where `make install` put the
# lessons, into an installed nntrace's lesson-directory slot (lessonpath.c,
# LESSONDIR_SLOT), so the binary finds its lessons whatever bindir and
# datadir are, as a fallback to BINDIR/../share/nntrace/lessons. The slot is
# a fixed-size array that begins with a marker; DIR and a NUL are written
# over it in place (the file keeps its size; nothing is relinked).
set -eu
bin=$1
dir=$2
marker='@@NNTRACE_LESSONDIR_SLOT@@'
size=4096                       # LESSONDIR_SLOT_SIZE in src/lessonpath.c
case $dir in
  /*) ;;
  *) echo "setlessondir.sh: '$dir' is not an absolute directory" >&2; exit 1 ;;
esac
if [ "$(printf '%s' "$dir" | wc -c)" -ge "$size" ]; then
  echo "setlessondir.sh: '$dir' is longer than the slot ($size bytes)" >&2
  exit 1
fi
offsets=$(LC_ALL=C grep -obUa -- "$marker" "$bin" | cut -d: -f1)
if [ -z "$offsets" ]; then
  echo "setlessondir.sh: $bin has no lesson-directory slot" >&2
  exit 1
fi
for off in $offsets; do
  printf '%s\000' "$dir" | dd of="$bin" bs=1 seek="$off" conv=notrunc status=none
done
