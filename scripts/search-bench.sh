#!/bin/sh
# The topology search as a user runs it (`make search-bench`, part of `make bench`): wall time of
# `barproof search` on the shipped spec's `page-exclusive-without-reservation` (4 KiB and 64 KiB
# pages), to its first counterexample for machines of up to N devices and B bridges (a copy of
# Specs/mainline.yaml with `search: {devices: N, bridges: B}`), and with `--max 10`, which must
# find every view of the check and show that no other exists. Median of ROUNDS runs each
# (default 3), with the load average. The baseline is N = 2 without bridges, in the same run.
# Usage: scripts/search-bench.sh BARPROOF [ROUNDS]
set -eu
barproof=$1
rounds=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "search-bench: load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"

# Median of the wall times (seconds) of running "$@" ROUNDS times; exit codes 0 and 1 are answers
# (1: counterexamples found where the check expects them is still 0), anything else is reported.
timed() {
    for round in $(seq "$rounds"); do
        start=$(date +%s.%N)
        status=0
        "$@" > "$work/out" 2>&1 || status=$?
        end=$(date +%s.%N)
        if [ "$status" -gt 1 ]; then echo "exit $status: $*" >&2; tail -3 "$work/out" >&2; fi
        echo "$end - $start" | bc
    done | sort -n | awk '{ v[NR] = $1; t = t " " $1 } END { printf "%.2f (%s )", v[int((NR + 1) / 2)], t }'
}

baseline=""
for bounds in "2 0" "2 4" "8 0" "8 4" "24 0" "24 4"; do
    set -- $bounds
    devices=$1 bridges=$2
    spec="$work/mainline-$devices-$bridges.yaml"
    cp Specs/mainline.yaml "$spec"
    printf 'search:\n  devices: %s\n  bridges: %s\n' "$devices" "$bridges" >> "$spec"
    median=$(timed "$barproof" search "$spec" --check page-exclusive-without-reservation --out "$work/fixtures-$devices-$bridges" --quiet)
    first=${median%% *}
    baseline=${baseline:-$first}
    echo "first counterexample, N = $devices devices, $bridges bridges: median $median s, $(echo "$first / $baseline" | bc -l | xargs printf '%.2f')x N = 2 without bridges; target 0.5 s: $(echo "$first <= 0.5" | bc | sed 's/1/met/; s/0/NOT met/')"
done
views=$(timed "$barproof" search Specs/mainline.yaml --check page-exclusive-without-reservation --max 10 --out "$work/views" --quiet)
echo "every view (--max 10, the spec's 4 devices x 6 BARs, 1 bridge): median $views s; target 10 s: $(echo "${views%% *} <= 10" | bc | sed 's/1/met/; s/0/NOT met/')"
echo "search-bench: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
