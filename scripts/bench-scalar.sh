#!/usr/bin/env bash
# Scalar engine benchmark: lecture 002's 2-2-2 network trained for 10,000
# SGD steps with only the first traced (lessons/mazur-2-2-2-10000.lesson).
# Prints the median wall time of 11 runs of the whole command (process
# start, parse, 10,000 steps, trace, expectations).
set -euo pipefail
bin=${1:-build/nntrace}
lesson=lessons/mazur-2-2-2-10000.lesson
times=()
for i in $(seq 11); do
  t0=$(date +%s%N)
  "$bin" run "$lesson" >/dev/null
  t1=$(date +%s%N)
  times+=($(( (t1 - t0) / 1000 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 6p)
printf 'scalar engine: %s, 10,000 steps of a 2-2-2 network: median %d.%03d ms over 11 runs (target < 100 ms)\n' \
  "$lesson" $((median / 1000)) $((median % 1000))
