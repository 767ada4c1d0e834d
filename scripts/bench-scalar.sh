#!/usr/bin/env bash
# Scalar engine benchmarks.
#  1. Lecture 002's 2-2-2 network trained for 10,000 SGD steps with only the
#     first traced (lessons/mazur-2-2-2-10000.lesson): median wall time of 11
#     runs of the whole command (process start, parse, steps, trace, checks).
#  2. Untraced steps against plain C: a generated 100-64-10 logistic lesson
#     (half sse, one example per step, 50 examples, 5,000 steps, `trace
#     none`) run by nntrace, and the same shape trained by bench/scalar_mlp.c
#     (a genann-style plain C MLP, built here with the project's compiler and
#     -O2): weight updates per second of each (steps x weights / CPU
#     seconds, median of 5 runs, alternating) and the ratio. CPU time, not
#     wall time, so other programs on a shared machine do not count; for
#     nntrace it is the whole command's (parse, steps, printing), for the
#     plain C MLP its training loop's.
#  3. Untraced perceptron steps: a generated perceptron of 100 inputs and 10
#     threshold units (1,010 weights) on 200 random binary examples with
#     random targets (not separable, so all 245 epochs run: 49,000 steps),
#     `trace none`: weight updates per CPU second of the whole command,
#     median of 5 runs.
# Usage: scripts/bench-scalar.sh [nntrace binary]
set -euo pipefail
bin=${1:-build/nntrace}
cc=${CC:-gcc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nntrace-bench-scalar.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ms() { echo $(( $(date +%s%N) / 1000 )); }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

lesson=lessons/mazur-2-2-2-10000.lesson
times=()
for i in $(seq 11); do
  t0=$(ms); "$bin" run "$lesson" >/dev/null; t1=$(ms)
  times+=($(( t1 - t0 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 6p)
printf 'scalar engine: %s, 10,000 steps of a 2-2-2 network: median %d.%03d ms over 11 runs (target < 100 ms)\n' \
  "$lesson" $((median / 1000)) $((median % 1000))

# the 100-64-10 lesson: neurons 1-100 inputs, 101-164 hidden, 165-174 outputs
NI=100 NH=64 NO=10 NE=50 STEPS=5000
awk -v ni=$NI -v nh=$NH -v no=$NO -v ne=$NE -v steps=$STEPS 'BEGIN {
  srand(7)
  print "title   100-64-10 logistic network, 5,000 untraced steps (bench-scalar)"
  printf "input  "; for (i = 1; i <= ni; i++) printf " %d", i; print ""
  printf "layer   logistic"; for (i = 1; i <= nh; i++) printf " %d", ni + i; print ""
  printf "layer   logistic"; for (i = 1; i <= no; i++) printf " %d", ni + nh + i; print ""
  print "init    uniform -0.5 0.5 1"
  print "loss    half-sse"
  print "rate    0.1"
  print "batch   1"
  print "steps   " steps
  print "trace   none"
  for (e = 0; e < ne; e++) {
    printf "example"; for (i = 0; i < ni; i++) printf " %.4f", 2 * rand() - 1
    printf " ->";     for (i = 0; i < no; i++) printf " %.4f", rand()
    print ""
  }
}' > "$tmp/mlp.lesson"
"$bin" run "$tmp/mlp.lesson" > /dev/null || { echo "bench-scalar: the generated lesson failed" >&2; exit 2; }
"$cc" -std=c11 -O2 -o "$tmp/scalar_mlp" bench/scalar_mlp.c -lm
W=$(( (NI + 1) * NH + (NH + 1) * NO ))
nn=() c=()
TIMEFORMAT='%U %S'
for i in $(seq 5); do
  cpu=$( { time "$bin" run "$tmp/mlp.lesson" >/dev/null; } 2>&1 | awk '{ print $1 + $2 }')
  nn+=($(awk -v s=$STEPS -v w=$W -v c="$cpu" 'BEGIN { printf "%.0f", s * w / (c > 0 ? c : 0.001) }'))
  c+=($("$tmp/scalar_mlp" $NI $NH $NO $NE $STEPS | awk '{ print $8 }'))
done
n_med=$(printf '%s\n' "${nn[@]}" | median)
c_med=$(printf '%s\n' "${c[@]}" | median)
awk -v n="$n_med" -v c="$c_med" -v s=$STEPS -v w=$W 'BEGIN {
  printf "untraced steps, 100-64-10 logistic, %d steps x %d weights (CPU time, median of 5 runs, alternating):\n", s, w
  printf "  nntrace run (whole command, trace none): %7.1f million weight updates/s  (%.3f CPU s)\n", n / 1e6, s * w / n
  printf "  plain C MLP (bench/scalar_mlp.c, -O2):   %7.1f million weight updates/s  (%.3f CPU s)\n", c / 1e6, s * w / c
  printf "  plain C is %.1fx faster per weight update\n", c / n
}'

# the perceptron: inputs 1-100, threshold units 101-110, random 0/1 examples
PI=100 PO=10 PE=200 EPOCHS=245
awk -v ni=$PI -v no=$PO -v ne=$PE -v ep=$EPOCHS 'BEGIN {
  srand(11)
  print "title   100-10 perceptron, 49,000 untraced steps (bench-scalar)"
  printf "input  "; for (i = 1; i <= ni; i++) printf " %d", i; print ""
  printf "layer   step"; for (i = 1; i <= no; i++) printf " %d", ni + i; print ""
  for (j = 1; j <= no; j++) for (i = 0; i <= ni; i++) printf "weight  w_%d,%d = 0\n", i, ni + j
  print "rule    perceptron"
  print "rate    1"
  print "epochs  " ep
  print "trace   none"
  for (e = 0; e < ne; e++) {
    printf "example"; for (i = 0; i < ni; i++) printf " %d", rand() < 0.5
    printf " ->";     for (i = 0; i < no; i++) printf " %d", rand() < 0.5
    print ""
  }
}' > "$tmp/perceptron.lesson"
"$bin" run "$tmp/perceptron.lesson" > "$tmp/perceptron.out" ||
  { echo "bench-scalar: the generated perceptron lesson failed" >&2; exit 2; }
grep -q 'stopped at the epoch limit' "$tmp/perceptron.out" ||
  { echo "bench-scalar: the generated perceptron converged early; the figure would not be for 49,000 steps" >&2; exit 2; }
PW=$(( (PI + 1) * PO )) PSTEPS=$(( PE * EPOCHS ))
pc=()
for i in $(seq 5); do
  pc+=($( { time "$bin" run "$tmp/perceptron.lesson" >/dev/null; } 2>&1 | awk '{ print $1 + $2 }'))
done
p_med=$(printf '%s\n' "${pc[@]}" | median)
awk -v c="$p_med" -v s=$PSTEPS -v w=$PW 'BEGIN {
  printf "untraced perceptron steps, 100-10, %d steps x %d weights (CPU time, median of 5 runs):\n", s, w
  printf "  nntrace run (whole command, trace none): %7.1f million weight updates/s  (%.3f CPU s)\n", s * w / (c > 0 ? c : 0.001) / 1e6, c
}'
