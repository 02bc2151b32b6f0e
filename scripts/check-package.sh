#!/usr/bin/env bash
# CI's install check (`make package-check`, and the last part of `make test`): installs the Debian
# package into this machine the way the GitHub Action does (its install step,
# scripts/action-install.sh, with PACKAGE set), then runs the installed /usr/bin/barproof with the
# Swift toolchain out of reach (PATH=/usr/bin:/bin, LD_LIBRARY_PATH empty, a clean environment):
# `ldd` (no library of the toolchain), --version, `prove --require-records` on the shipped specs
# against their records, the Action's prove step (scripts/action-prove.sh, as GitHub runs it:
# SARIF, JUnit, outputs and a step summary), and `audit` of a captured host, whose JSON report
# must equal the one REFERENCE (the barproof built from this tree) writes. The package is removed
# again afterwards unless it was installed before.
# Usage: scripts/check-package.sh DEB REFERENCE
set -euo pipefail
cd "$(dirname "$0")/.."
deb=${1:?usage: scripts/check-package.sh DEB REFERENCE}
reference=${2:?usage: scripts/check-package.sh DEB REFERENCE}
fixture=Tests/AuditTests/Fixtures/dev-vm-snapshot.json
specs="Specs Specs/kernels"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "package-check: not root and no sudo: cannot install $deb, so the installed binary is not checked" >&2
    exit 1
  fi
fi
was_installed=no
dpkg-query -W -f='${Status}' barproof 2>/dev/null | grep -q "install ok installed" && was_installed=yes
scratch=$(mktemp -d)
cleanup() {
  rm -rf "$scratch"
  [ "$was_installed" = yes ] || "${sudo_cmd[@]}" dpkg -r barproof >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "package-check: the Action's install step with PACKAGE=$deb" >&2
PACKAGE=$(realpath "$deb") GITHUB_ACTION_PATH=$PWD scripts/action-install.sh >&2

clean() { env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= HOME="${HOME:-/tmp}" "$@"; }

echo "package-check: ldd /usr/bin/barproof" >&2
if ldd /usr/bin/barproof | grep -E -e 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift|/usr/share/swift'; then
  echo "package-check: the installed binary links a library of the Swift toolchain" >&2
  exit 1
fi
version=$(clean /usr/bin/barproof --version)
[ "$version" = "$("$reference" --version)" ] || { echo "package-check: version '$version' is not the tree's" >&2; exit 1; }
echo "package-check: barproof $version from /usr/bin" >&2

# shellcheck disable=SC2086  # a list of spec directories
clean /usr/bin/barproof prove --require-records --quiet $specs >&2

echo "package-check: the Action's prove step on /usr/bin/barproof" >&2
set +e
clean BARPROOF=/usr/bin/barproof SPECS="$specs" ARGS=--require-records SARIF="$scratch/out.sarif" JUNIT="$scratch/out.xml" \
  GITHUB_STEP_SUMMARY="$scratch/summary.md" GITHUB_OUTPUT="$scratch/outputs" bash scripts/action-prove.sh > "$scratch/prove.txt"
code=$?
set -e
if [ "$code" != 0 ] || ! grep -qx 'exit-code=0' "$scratch/outputs" || ! grep -q '^### barproof prove: exit 0' "$scratch/summary.md" \
   || ! python3 -c 'import json, sys; log = json.load(open(sys.argv[1])); assert log["version"] == "2.1.0" and log["runs"][0]["invocations"][0]["executionSuccessful"]' "$scratch/out.sarif" \
   || ! python3 -c 'import sys, xml.dom.minidom; assert xml.dom.minidom.parse(sys.argv[1]).getElementsByTagName("testcase")' "$scratch/out.xml"; then
  echo "package-check: the Action's prove step failed (exit $code) or left no valid SARIF, JUnit, outputs or summary" >&2
  cat "$scratch/outputs" "$scratch/summary.md" >&2 2>/dev/null || true
  exit 1
fi
echo "package-check: the Action's prove step: exit 0, $(grep -c '<testcase' "$scratch/out.xml") JUnit test cases, SARIF and summary written" >&2

set +e
"$reference" audit "$fixture" --format json > "$scratch/expected"; want=$?
clean /usr/bin/barproof audit "$fixture" --format json > "$scratch/actual"; got=$?
set -e
if [ "$got" != "$want" ] || ! cmp -s "$scratch/expected" "$scratch/actual"; then
  echo "package-check: the installed barproof audits $fixture differently (exit $got, the tree's $want)" >&2
  diff "$scratch/expected" "$scratch/actual" | head -20 >&2
  exit 1
fi
echo "package-check: audit of $fixture: exit $got, the same report as the tree's barproof" >&2
