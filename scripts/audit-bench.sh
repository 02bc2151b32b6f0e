#!/bin/sh
# The host audit as a user runs it on a fleet (`make audit-bench`, part of `make bench`): wall time
# of `barproof audit` over N snapshot files of 100 functions each (default 1,000, written by
# `barproof-bench fleet-files`), with `--format text` and `--format json`, median of ROUNDS
# (default 3); baseline in the same run: 100 snapshots.
# Usage: scripts/audit-bench.sh BARPROOF BARPROOF_BENCH [ROUNDS] [N]
set -eu
barproof=$1
bench=$2
rounds=${3:-3}
count=${4:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "audit-bench: load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
mkdir -p "$work/fleet" "$work/small"
"$bench" fleet-files "$work/fleet" "$count" > /dev/null
"$bench" fleet-files "$work/small" 100 > /dev/null
for format in text json; do
    for set in small fleet; do
        label=$([ "$set" = small ] && echo "100 snapshots (baseline)" || echo "$count snapshots")
        for round in $(seq "$rounds"); do
            start=$(date +%s.%N)
            status=0
            "$barproof" audit "$work/$set"/*.json --policy mainline --msi-isolated yes --format "$format" > "$work/out" 2>&1 || status=$?
            end=$(date +%s.%N)
            if [ "$status" -gt 1 ]; then echo "exit $status ($set, $format)" >&2; tail -3 "$work/out" >&2; fi
            echo "$(echo "$end - $start" | bc) $(wc -c < "$work/out")"
        done | sort -n | awk -v label="$label" -v format="$format" \
            '{ v[NR] = $1; t = t " " $1; size = $2 } END { printf "barproof audit, %s, --format %s: median %.2f s (%s ), %.1f MB of output\n", label, format, v[int((NR + 1) / 2)], t, size / 1e6 }'
    done
done
echo "audit-bench: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
