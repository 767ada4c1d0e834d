#!/bin/sh
# Benchmark of the fast path: 784-128-10, batch 64, epochs over all 60,000
# MNIST images. One run prints everything the README's performance table
# needs, every figure measured here and now:
#
#   quiet    1 and 2 (all) threads, alternating with numpy + OpenBLAS on the
#            identical network, batch, epochs and data (and PyTorch when
#            python3-torch is installed): medians, % of the FMA peak measured
#            by `nntrace mnist --peak`, the numpy/nntrace ratio; and as
#            many separate 1-thread runs side by side as there are cores,
#            the most a perfect split of the work could give on this machine
#            in these minutes, against which the all-thread run is measured
#   loaded   the same with 1, then 2 CPU-bound busy loops this script starts
#            (one per core, pinned with taskset) and stops: --threads 1, the
#            default, and the default with --adapt on, alternating; the
#            loaded/quiet ratio per thread count and the targets
#   accuracy test accuracy after 5 epochs, peak memory, the 98% configuration
#
# Medians are over epochs 2..EPOCHS of every run (epoch 1 also pays for
# first touches of the data). Each run also records how busy the machine was
# apart from the run itself (from /proc/stat, minus the run's own CPU time),
# so a figure taken on a busy machine says so.
#
# Usage: scripts/bench.sh [nntrace binary]   (after `make data`)
#   PARTS="quiet peers loaded accuracy" (the default; `make bench-peers` runs
#   PARTS="quiet peers"), ROUNDS=3 runs per configuration, EPOCHS=5,
#   INSTALL_PEERS=1 installs numpy + OpenBLAS and PyTorch first (Debian's
#   python3-numpy libopenblas0-pthread python3-torch; `make bench-peers` sets it).
set -eu

BIN=${1:-build/nntrace}
DATA=${DATA:-data/mnist}
EPOCHS=${EPOCHS:-5}
ROUNDS=${ROUNDS:-3}
PARTS=${PARTS:-"quiet peers loaded accuracy"}
PY=${PY:-/usr/bin/python3}          # Debian's python3 with python3-numpy
GFLOP=24.74                         # one epoch of 784-128-10 training, forward + backward
SAMPLES=60000                       # MNIST's training images: one epoch
BATCHES=$(( (SAMPLES + 63) / 64 ))  # batches of 64 (NET) per epoch
NPROC=$(nproc)
# The configuration of the table (the defaults of `nntrace mnist`, spelled out).
NET="--layers 784-128-10 --batch 64 --rate 0.7 --anneal 0.6 --seed 1"
CFG="$NET --momentum 0"
# The configuration the README names for >= 98.0 % test accuracy.
CFG98=${CFG98:-"--layers 784-512-10 --batch 64 --rate 0.1 --anneal 0.75 --momentum 0.9 --epochs 8 --seed 1"}

has() { case " $PARTS " in *" $1 "*) return 0;; esac; return 1; }

[ -x "$BIN" ] || { echo "bench: $BIN not built (make)" >&2; exit 2; }
[ -f "$DATA/train-images-idx3-ubyte" ] || [ -f "$DATA/train-images-idx3-ubyte.gz" ] ||
  { echo "bench: no MNIST in $DATA (make data)" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/nntrace-bench.XXXXXX")
LOOPS=""
stop_loops() { for p in $LOOPS; do kill "$p" 2>/dev/null || true; done; LOOPS=""; }
trap 'stop_loops; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

# json FIELD < lines : the numeric value of "FIELD": in each line that has it
json() { sed -n "s/.*\"$1\": \"*\([-0-9.e]*\).*/\1/p"; }
jstr() { sed -n "s/.*\"$1\": \"\([^\"]*\)\".*/\1/p" | head -1; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
# "busy total" jiffies of the whole machine
cpu() { awk '/^cpu / { print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8 }' /proc/stat; }
# CPU seconds used by this shell's finished children (`times` must run in
# this shell, not in a command substitution's subshell)
kids() { times > "$TMP/times"; awk 'NR==2 { split($1,u,/[ms]/); split($2,s,/[ms]/); print u[1]*60+u[2]+s[1]*60+s[2] }' "$TMP/times"; }

# run NAME CMD... : run CMD with stdout to $TMP/NAME.json; appends to
# $TMP/NAME.other how many cores the rest of the machine kept busy meanwhile.
run() {
  name=$1; shift
  kids > "$TMP/k0"; c0=$(cpu)
  "$@" >> "$TMP/$name.json"
  c1=$(cpu); kids > "$TMP/k1"; k0=$(cat "$TMP/k0"); k1=$(cat "$TMP/k1")
  echo "$c0 $c1 $k0 $k1" | awk -v n="$NPROC" '{
    busy = ($3 - $1) / 100; wall = ($4 - $2) / 100 / n
    if (wall > 0) printf "%.2f\n", (busy - ($6 - $5)) / wall }' >> "$TMP/$name.other"
}
# epochs NAME : epoch times of runs NAME, epochs 2.. only
epochs() { grep '"epoch":' "$TMP/$1.json" | grep -v '"epoch": 1,' | json epoch_s; }
med() { epochs "$1" | median; }
others() { median < "$TMP/$1.other"; }
nn() { "$BIN" mnist $CFG --data "$DATA" --epochs "$EPOCHS" --json "$@"; }

echo "nntrace fast path benchmark: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $NPROC cores," \
     "$(grep -o -m1 'avx512f' /proc/cpuinfo >/dev/null && echo AVX-512 || echo no AVX-512)," \
     "$(${CC:-gcc} --version | head -1)"
echo "network: 784-128-10 relu softmax-ce, batch 64, plain SGD, rate 0.7 annealed x0.6 per epoch (the defaults)"
echo "each figure: median epoch time over epochs 2..$EPOCHS of $ROUNDS runs, runs of different configurations alternating"
echo "command: $BIN mnist $CFG --data $DATA --epochs $EPOCHS --threads T --json"
set -- $(cpu); b0=$1 t0=$2; sleep 1; set -- $(cpu)
awk -v b="$(( $1 - b0 ))" -v t="$(( $2 - t0 ))" -v n="$NPROC" \
  'BEGIN { printf "machine busy before the runs: %.2f of %d cores\n", t ? n * b / t : 0, n }'
echo

fail=0
# The FMA peak, measured at the start and again at the end (the larger
# counts: another program running meanwhile only lowers it).
# With it, what one wait of the NPROC-thread team costs (team_wait_us) and a
# cache line's round trip between two CPUs (line_trip_ns).
peaks() {
  for T in 1 "$NPROC"; do "$BIN" mnist --peak --threads "$T" --json > "$TMP/probe$T.$1"
    json peak_gflops < "$TMP/probe$T.$1" > "$TMP/peak$T.$1"; done
}
peaks 0

# ---------------------------------------------------------------- peers
TORCH=0
NUMPY=0
if has peers && [ "${INSTALL_PEERS:-0}" = 1 ]; then
  # asked for (make bench-peers, or INSTALL_PEERS=1): numpy + OpenBLAS and PyTorch
  NNTRACE_EXTRA_PKGS="python3-numpy libopenblas0-pthread python3-torch" sh scripts/deps.sh ||
    echo "peers: could not install python3-numpy libopenblas0-pthread python3-torch"
fi
if has peers; then
  if "$PY" -c 'import numpy' 2>/dev/null; then NUMPY=1
  else echo "peers: $PY has no numpy (apt-get install python3-numpy libopenblas0-pthread); skipped"; fi
  if "$PY" -c 'import torch' 2>/dev/null; then TORCH=1
  else echo "peers: PyTorch not installed (python3-torch; make bench-peers installs it); skipped"; fi
fi
# Each peer at its best: OpenBLAS picks its own kernel for this CPU; numpy
# runs T OpenBLAS threads; PyTorch runs T threads of its own OpenMP pool and
# a single-threaded OpenBLAS under it (Debian's torch calls OpenBLAS from
# inside its pool: with T OpenBLAS threads as well, the 2-thread epoch took
# 1.4-1.9 s here instead of 0.41 s).
peer() { # numpy|torch T
  blas=$2; [ "$1" = torch ] && blas=1
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$blas" OMP_NUM_THREADS="$2" \
    "$PY" "bench/mnist_$1.py" --data "$DATA" --epochs "$EPOCHS" --threads "$2" $NET
}

# side R: NPROC separate 1-thread runs at once, run c pinned to CPU c when
# taskset is there: what the cores give this network when nothing is
# shared but the machine (epochs into $TMP/side.json).
side() {
  pids=""
  for c in $(seq 0 $((NPROC - 1))); do
    if command -v taskset >/dev/null 2>&1; then
      taskset -c "$c" "$BIN" mnist $CFG --data "$DATA" --epochs "$EPOCHS" --json --threads 1 > "$TMP/side$c.$1" &
    else
      "$BIN" mnist $CFG --data "$DATA" --epochs "$EPOCHS" --json --threads 1 > "$TMP/side$c.$1" &
    fi
    pids="$pids $!"
  done
  for p in $pids; do wait "$p"; done
  cat "$TMP"/side*."$1" >> "$TMP/side.json"
}

# ---------------------------------------------------------------- quiet
if has quiet; then
  for r in $(seq "$ROUNDS"); do
    for T in 1 "$NPROC"; do
      run "q$T" nn --threads "$T"
      if [ "$NUMPY" = 1 ]; then run "np$T" peer numpy "$T"; fi
      if [ "$TORCH" = 1 ]; then run "pt$T" peer torch "$T"; fi
    done
    [ "$NPROC" -gt 1 ] && side "$r"
  done
  peaks 1
  peak1=$(cat "$TMP"/peak1.* | sort -g | tail -1)
  peakN=$(cat "$TMP"/peak"$NPROC".* | sort -g | tail -1)
  echo "FMA peak (nntrace mnist --peak, the better of before and after the runs): $peak1 GFLOP/s on 1 core, $peakN on $NPROC"
  echo
  echo "== no load added by this script"
  printf '%-22s %9s %11s %9s %14s %12s %9s\n' "" "epoch s" samples/s GFLOP/s "% of FMA peak" "test acc" "others"
  for T in 1 "$NPROC"; do
    p=$([ "$T" = 1 ] && echo "$peak1" || echo "$peakN")
    m=$(med "q$T"); acc=$(grep '"epoch":' "$TMP/q$T.json" | grep "\"epoch\": $EPOCHS," | json test_accuracy | median)
    awk -v T="$T" -v m="$m" -v p="$p" -v g="$GFLOP" -v n="$SAMPLES" -v a="$acc" -v o="$(others "q$T")" 'BEGIN {
      printf "%-22s %9.3f %11.0f %9.1f %8.1f%% of %-4.0f %11.2f%% %9s\n", "nntrace, " T " thread" (T > 1 ? "s" : ""),
             m, n / m, g / m, 100 * g / m / p, p, 100 * a, o }'
  done
  for E in np pt; do
    [ "$E" = np ] && [ "$NUMPY" = 0 ] && continue
    [ "$E" = pt ] && [ "$TORCH" = 0 ] && continue
    for T in 1 "$NPROC"; do
      m=$(med "$E$T"); acc=$(grep "\"epoch\": $EPOCHS," "$TMP/$E$T.json" | json test_accuracy | median)
      label=$([ "$E" = np ] && echo "numpy + OpenBLAS" || echo "PyTorch")
      awk -v T="$T" -v m="$m" -v q="$(med "q$T")" -v g="$GFLOP" -v n="$SAMPLES" -v a="$acc" -v L="$label" -v o="$(others "$E$T")" 'BEGIN {
        printf "%-22s %9.3f %11.0f %9.1f %14s %11.2f%% %9s   nntrace is %.2fx faster\n", L ", " T, m, n / m, g / m, "", 100 * a, o, m / q }'
    done
  done
  if [ "$NUMPY" = 1 ]; then
    h=$(head -1 "$TMP/np1.json")
    echo "numpy $(echo "$h" | jstr numpy), $(echo "$h" | jstr openblas_config), kernel $(echo "$h" | jstr openblas_core)" \
         "(OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for numpy; this shell had:" \
         "${OPENBLAS_CORETYPE:-unset}, ${OPENBLAS_L2_SIZE:-unset}); numpy times its training loop only"
  fi
  if [ "$NPROC" -gt 1 ]; then
    awk -v s="$(med side)" -v m="$(med "q$NPROC")" -v n="$NPROC" 'BEGIN {
      printf "%d separate 1-thread runs side by side, one per core: %.3f s per epoch each, %.3f s per epoch together;\n", n, s, s / n
      printf "  %d threads of one run take %.3f s, %.0f%% of that pace (the rest is lost to splitting one run'"'"'s work)\n", n, m, 100 * s / n / m }'
    each=""
    for c in $(seq 0 $((NPROC - 1))); do
      each="$each, CPU $c $(cat "$TMP"/side"$c".* | grep '"epoch":' | grep -v '"epoch": 1,' | json epoch_s | median | awk '{ printf "%.3f", $1 }') s"
    done
    echo "  those runs per core:${each#,} (a team that splits the work evenly waits for the slowest)"
    # A virtual machine's CPU can be slowed by the host (another guest on
    # the same physical core) without any steal time showing here: the
    # same work on each CPU says so.
    echo "${each#,}" | tr ',' '\n' | awk '{ t[NR] = $3; c[NR] = $2 }
      END { lo = 1; hi = 1
            for (i = 2; i <= NR; i++) { if (t[i] < t[lo]) lo = i; if (t[i] > t[hi]) hi = i }
            if (NR > 1 && t[hi] > 1.10 * t[lo])
              printf "WARNING: CPU %s took %.0f%% longer than CPU %s for the same work: the host keeps that core busy; the %d-thread figure waits for it, so it is not a quiet-machine figure\n", c[hi], 100 * (t[hi] / t[lo] - 1), c[lo], NR }'
    awk -v w="$(cat "$TMP"/probe"$NPROC".* | json team_wait_us | median)" -v n="$NPROC" -v b="$BATCHES" 'BEGIN {
      printf "  one wait of the %d-thread team (nntrace mnist --peak): %.2f us; one per batch: %.1f ms per epoch\n", n, w, b * w / 1000 }'
    awk -v a="$(json line_trip_ns < "$TMP/probe$NPROC.0")" -v z="$(json line_trip_ns < "$TMP/probe$NPROC.1")" 'BEGIN {
      if (a != "" && z != "")
        printf "  a cache line'"'"'s round trip between two CPUs (nntrace mnist --peak): %d ns before the runs, %d ns after\n", a, z }'
  fi
  echo "others: cores kept busy by other programs during the runs (median)"
  cat "$TMP"/q*.other | median | awk -v n="$NPROC" '$1 > 0.3 {
    printf "WARNING: other programs kept %.2f of %d cores busy: these are not quiet-machine figures\n", $1, n }'
  awk -v m="$(med "q$NPROC")" -v p="$peakN" -v g="$GFLOP" -v n="$NPROC" 'BEGIN {
    f = 100 * g / m / p; printf "target: %d threads >= 75%% of the %d-core FMA peak: %s (%.1f%%)\n", n, n, (f >= 75) ? "met" : "MISSED", f; exit !(f >= 75) }' || fail=1
  awk -v m="$(med q1)" -v p="$peak1" -v g="$GFLOP" 'BEGIN {
    f = 100 * g / m / p; printf "target: 1 thread >= 75%% of one core: %s (%.1f%%)\n", (f >= 75) ? "met" : "MISSED", f; exit !(f >= 75) }' || fail=1
fi

# ---------------------------------------------------------------- loaded
if has loaded; then
  echo
  echo "== loaded: CPU-bound busy loops started by this script, one per core, pinned"
  printf '%-40s %9s %14s %9s\n' "" "epoch s" "loaded/quiet" "others"
  for nl in 1 2; do
    [ "$nl" -gt "$NPROC" ] && continue
    for c in $(seq 0 $((nl - 1))); do
      if command -v taskset >/dev/null 2>&1; then taskset -c "$c" sh -c 'while :; do :; done' &
      else sh -c 'while :; do :; done' & fi
      LOOPS="$LOOPS $!"
    done
    for r in $(seq "$ROUNDS"); do
      run "l${nl}_1" nn --threads 1
      run "l${nl}_d" nn
      run "l${nl}_o" nn --adapt on
    done
    stop_loops
    for k in 1 d o; do
      case $k in
        1) label="--threads 1"; q=q1 ;;
        d) label="default ($NPROC threads)"; q=q$NPROC ;;
        o) label="$NPROC threads, --adapt on"; q=q$NPROC ;;
      esac
      qm=$( [ -f "$TMP/$q.json" ] && med "$q" || echo nan)
      awk -v L="$nl busy loop$([ "$nl" -gt 1 ] && echo s), $label" -v m="$(med "l${nl}_$k")" -v q="$qm" -v o="$(others "l${nl}_$k")" 'BEGIN {
        printf "%-40s %9.3f %13.2fx %9s\n", L, m, m / q, o }'
    done
    if [ "$nl" = 1 ]; then
      awk -v d="$(med l1_d)" -v q="$( [ -f "$TMP/q1.json" ] && med q1 || echo nan)" 'BEGIN {
        r = d / q; printf "target: one busy loop, default <= 1.5x the quiet 1-thread epoch: %s (%.2fx)\n", (r <= 1.5) ? "met" : "MISSED", r; exit !(r <= 1.5) }' || fail=1
    else
      awk -v d="$(med l2_d)" -v s="$(med l2_1)" 'BEGIN {
        r = d / s; printf "target: two busy loops, default <= 1.2x --threads 1 under the same load: %s (%.2fx)\n", (r <= 1.2) ? "met" : "MISSED", r; exit !(r <= 1.2) }' || fail=1
    fi
  done
  echo "others: cores kept busy by everything but the run (the busy loops included)"
fi

# ---------------------------------------------------------------- accuracy
if has accuracy; then
  echo
  echo "== accuracy and memory"
  [ -f "$TMP/q$NPROC.json" ] || run "q$NPROC" nn
  acc5=$(grep '"epoch": 5,' "$TMP/q$NPROC.json" | json test_accuracy | median)
  rss=$(json peak_rss_mb < "$TMP/q$NPROC.json" | median)
  awk -v a="$acc5" -v n="$NPROC" 'BEGIN { printf "test accuracy after 5 epochs (%s threads): %.2f%% (target >= 97.50%%: %s)\n", n, 100*a, (a >= 0.975) ? "met" : "MISSED"; exit !(a >= 0.975) }' || fail=1
  awk -v r="$rss" 'BEGIN { printf "peak resident memory of a full run: %.1f MB (target <= 128 MB: %s)\n", r, (r <= 128) ? "met" : "MISSED"; exit !(r <= 128) }' || fail=1
  "$BIN" mnist $CFG98 --data "$DATA" --json > "$TMP/run98.json"
  awk -v cfg="$CFG98" '
    /"epoch":/ { match($0, /"epoch_s": [0-9.e-]+/); s += substr($0, RSTART + 11, RLENGTH - 11) }
    /"final":/ { match($0, /"test_accuracy": [0-9.e-]+/); a = substr($0, RSTART + 17, RLENGTH - 17) }
    END { printf "98%% configuration (%s, default threads): %.2f%% in %.2f s of training (target >= 98.00%% in <= 10 s: %s)\n",
                 cfg, 100 * a, s, (a >= 0.98 && s <= 10) ? "met" : "MISSED"; exit !(a >= 0.98 && s <= 10) }' "$TMP/run98.json" || fail=1
fi
echo
[ "$fail" = 0 ] && echo "bench: all checked targets met" || echo "bench: some targets MISSED (see above)"
