#!/usr/bin/env bash
# Usage: scripts/behaviour-snapshot.sh OUTDIR
#
# Runs a barproof binary (BARPROOF_BINARY, default .build/debug/barproof of this checkout) over a
# fixed set of commands and stores, for each, its standard output, standard error and exit code
# under OUTDIR (NAME.stdout, NAME.stderr, NAME.exit), and the files it wrote under OUTDIR/files/.
# Two snapshots taken before and after a refactoring must be identical (`diff -r A B`).
#
# Only what varies from run to run is normalised: wall and solving times (`"seconds": 0.12`,
# JUnit's `time="0.12"`, `0.12 s` and `(12 ms)` in text). The commands run in a scratch copy of
# Specs/ and proofs/ at a fixed path (BEHAVIOUR_SCRATCH, default /tmp/barproof-behaviour), outside
# any git checkout, so that the source root, the paths in reports and the SARIF base URI do not
# depend on where this checkout is. Every command runs under `timeout 300`.
set -u
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${BARPROOF_BINARY:-$repo/.build/debug/barproof}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
[ -x "$bin" ] || { echo "behaviour-snapshot: no binary at $bin (swift build first)" >&2; exit 2; }
if [ -e "$1" ] && [ -n "$(ls -A "$1")" ]; then
  echo "behaviour-snapshot: $1 is not empty; give a new folder" >&2
  exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
scratch=${BEHAVIOUR_SCRATCH:-/tmp/barproof-behaviour}
rm -rf "$scratch"
mkdir -p "$scratch/tree" "$out/files"
cp -R "$repo/Specs" "$repo/proofs" "$scratch/tree/"
cd "$scratch/tree" || exit 2

# The times a run prints, in every format barproof writes them.
normalise() {
  sed -E \
    -e 's/"([a-z_]*seconds)" *: *[0-9.eE+-]+/"\1": T/g' \
    -e 's/ time="[0-9.]+"/ time="T"/g' \
    -e 's/[0-9]+(\.[0-9]+)? s\b/T s/g' \
    -e 's/\([0-9]+ ms\)/(T ms)/g' \
    "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}

# run NAME ARG...: one command, its outputs and exit code stored under NAME.
run() {
  local name=$1
  shift
  timeout 300 "$bin" "$@" >"$out/$name.stdout" 2>"$out/$name.stderr" </dev/null
  echo $? >"$out/$name.exit"
  normalise "$out/$name.stdout"
  normalise "$out/$name.stderr"
  echo "behaviour-snapshot: $name exit $(cat "$out/$name.exit")" >&2
}

# keep FILE...: written files, normalised, under files/ by their path in the scratch tree.
keep() {
  local file
  for file in "$@"; do
    mkdir -p "$out/files/$(dirname "$file")"
    cp "$file" "$out/files/$file"
    normalise "$out/files/$file"
  done
}

specs=(Specs Specs/kernels)

run help --help
run prove-help prove --help
run search-help search --help
run audit-help audit --help

run prove-text prove "${specs[@]}" --jobs 2
run prove-json prove "${specs[@]}" --jobs 2 --format json
run prove-sarif prove "${specs[@]}" --jobs 2 --format sarif
run prove-junit prove "${specs[@]}" --jobs 2 --format junit
run prove-require-records prove "${specs[@]}" --jobs 2 --require-records \
  --sarif reports/prove.sarif --junit reports/prove.xml --json reports/prove.json
keep reports/prove.sarif reports/prove.xml reports/prove.json

# Suppressions and a baseline: an entry that matches nothing, one long expired, and a baseline.
cat >suppressions.yaml <<'EOF'
- check: legacy/page-exclusive
  justification: matches nothing, the check passes
- check: mainline/page-exclusive
  justification: long expired
  expires: 2000-01-01
- audit: {device: 0000:00:01.0, bar: 0, invariant: msix-needs-filtering}
  justification: the fixture's own finding
EOF
run prove-suppressed prove Specs/legacy.yaml Specs/mainline.yaml --jobs 2 --check page-exclusive \
  --suppressions suppressions.yaml --baseline reports/prove.json --format sarif

run explain explain legacy msix-needs-filtering
run list list
run export-smt2 export-smt2 legacy page-exclusive --out smt2
keep smt2/*

run search search legacy --check msix-without-table-exclusion --minimize --suggest --out fixtures
fixture=fixtures/legacy-msix-without-table-exclusion-1
keep $(find fixtures -type f | sort)
run search-json search legacy --check msix-without-table-exclusion --format json --max 2 --resource-lines 7 \
  --out fixtures7
keep $(find fixtures7 -type f | sort)
run search-proved search legacy --check page-exclusive --format json
run search-exhaustive search legacy --check msix-without-table-exclusion --exhaustive

run audit-sysfs audit --sysfs "$fixture" --policy legacy --drop msix-table-excluded --page-size 4096 \
  --msi-isolated no --allow-unsafe-interrupts
run audit-topology audit "$fixture/topology.json" --policy legacy --drop msix-table-excluded \
  --msi-isolated no --allow-unsafe-interrupts
run audit-topology-json audit "$fixture/topology.json" --format json
run audit-topology-sarif audit "$fixture/topology.json" --format sarif --msi-isolated no
cp "$fixture/topology.json" second-host.json
run audit-fleet audit "$fixture/topology.json" second-host.json --format json --jobs 2 \
  --sarif reports/fleet.sarif
keep reports/fleet.sarif
run audit-sysfs-sarif audit --sysfs "$fixture" --format sarif --msi-isolated no --allow-unsafe-interrupts \
  --json reports/sysfs.json
keep reports/sysfs.json
run audit-excused audit "$fixture/topology.json" --msi-isolated no --allow-unsafe-interrupts \
  --suppressions suppressions.yaml --baseline reports/sysfs.json --format sarif
run snapshot snapshot --root "$fixture" --output reports/snapshot.json
keep reports/snapshot.json
run audit-snapshot audit reports/snapshot.json --msi-isolated no

# Bad input and usage errors.
printf '{"schema": "barproof-snapshot", "schema_version": 2, "page_size": \n' >bad-snapshot.json
run audit-bad-input audit bad-snapshot.json --format sarif
printf 'policy: mainline\nchecks:\n  - invariant: page-exclusive\n    expect: proved\n    colour: blue\n' >bad-spec.yaml
run prove-bad-spec prove bad-spec.yaml --sarif reports/bad-spec.sarif
keep reports/bad-spec.sarif
run prove-unknown-check prove Specs/legacy.yaml --check page-exclusiv
run audit-twice audit "$fixture/topology.json" "$fixture/topology.json" --format sarif
run audit-bad-policy audit "$fixture/topology.json" --policy mainlin
run search-bad-check search legacy --check nosuch
