#!/usr/bin/env bash
# The offline import rate of `warden import --data` on generated persons, and
# the data directory's size against the CSV's. Prints every run and the
# median; docs/benchmarks.md records the figures.
#
#   bench/import/run.sh BUILD_DIR COUNT [RUNS]     e.g. bench/import/run.sh build 1000000 3
set -euo pipefail
build=${1:?build directory}
count=${2:?record count}
runs=${3:-3}
warden="$build/warden"
work=$(mktemp -d "${TMPDIR:-/tmp}/warden-import-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

csv="$work/persons.csv"
"$warden" gen persons --count "$count" --seed 1 --out "$csv"
csv_bytes=$(stat -c %s "$csv")
echo "input: $count persons, $csv_bytes bytes of CSV; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

rates=()
for run in $(seq 1 "$runs"); do
  rm -rf "$work/data" "$work/dev.key"
  "$warden" init --data "$work/data" --dev-key-file "$work/dev.key" > /dev/null
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$work/cpu" "$warden" import --data "$work/data" --collection persons \
    --quiet "$csv" > "$work/out" 2> /dev/null
  end=$(date +%s.%N)
  seconds=$(echo "$end - $start" | bc -l)
  cpu=$(awk '{print $1 + $2}' "$work/cpu")
  rate=$(echo "$count / $seconds" | bc -l)
  store_bytes=$(du -sb "$work/data/store" | cut -f1)
  printf 'run %d: %.2f s wall, %.2f s CPU, %.0f records/s, %.0f records per CPU-second; store %d bytes = %.2f x CSV\n' \
    "$run" "$seconds" "$cpu" "$rate" "$(echo "$count / $cpu" | bc -l)" "$store_bytes" \
    "$(echo "$store_bytes / $csv_bytes" | bc -l)"
  grep -q "imported $count," "$work/out" || { echo "import incomplete:"; cat "$work/out"; exit 1; }
  rates+=("$rate")
done
median=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'median: %.0f records/s\n' "$median"
