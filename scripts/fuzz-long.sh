#!/usr/bin/env bash
# Run every fuzzer for SECONDS (default 1800) at once, niced, keeping each
# corpus in build/fuzz/NAME-corpus; prints executions and crashes per harness.
set -u
secs=${1:-1800}
cd "$(dirname "$0")/.."
for f in build/fuzz/fuzz_*; do
  [ -f "$f" ] && [ -x "$f" ] || continue
  n=$(basename "$f"); c=build/fuzz/$n-corpus; mkdir -p "$c"
  nice -n 19 "$f" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=build/fuzz/"$n"- -print_final_stats=1 "$c" tests/fuzz/"${n#fuzz_}" \
    > build/fuzz/"$n".long.log 2>&1 &
done
wait
for f in build/fuzz/fuzz_*.long.log; do
  [ -s "$f" ] || continue
  n=$(basename "$f" .long.log)
  execs=$(grep -o 'number_of_executed_units: [0-9]*' "$f" | awk '{print $2}')
  crashes=$(ls build/fuzz/"$n"-crash-* build/fuzz/"$n"-leak-* build/fuzz/"$n"-timeout-* 2>/dev/null | wc -l)
  echo "$n: ${secs} s, ${execs:-?} executions, $crashes crashes/leaks/timeouts"
done
