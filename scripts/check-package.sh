#!/usr/bin/env bash
# CI's install check (`make package-check`): installs the Debian package into this machine, then
# runs the installed /usr/bin/barproof with the Swift toolchain out of reach (PATH=/usr/bin:/bin,
# LD_LIBRARY_PATH empty, a clean environment): --version, `prove` on the shipped specs against their
# records, and `audit` of a captured host, whose JSON report must equal the one REFERENCE (the
# barproof built from this tree) writes. The package is removed again afterwards unless it was
# installed before. Usage: scripts/check-package.sh DEB REFERENCE
set -euo pipefail
cd "$(dirname "$0")/.."
deb=${1:?usage: scripts/check-package.sh DEB REFERENCE}
reference=${2:?usage: scripts/check-package.sh DEB REFERENCE}
fixture=Tests/AuditTests/Fixtures/dev-vm-snapshot.json

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "package-check: not root and no sudo: cannot install $deb, so the installed binary is not checked" >&2
    exit 1
  fi
fi
was_installed=no
dpkg-query -W -f='${Status}' barproof 2>/dev/null | grep -q "install ok installed" && was_installed=yes
"${sudo_cmd[@]}" dpkg -i "$deb" >&2
cleanup() { [ "$was_installed" = yes ] || "${sudo_cmd[@]}" dpkg -r barproof >/dev/null 2>&1 || true; }
trap cleanup EXIT

clean() { env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= HOME="${HOME:-/tmp}" "$@"; }

echo "package-check: ldd /usr/bin/barproof" >&2
if ldd /usr/bin/barproof | grep -E -e 'libswift|libFoundation|libdispatch|libBlocksRuntime|/opt/swift|/usr/share/swift'; then
  echo "package-check: the installed binary links a library of the Swift toolchain" >&2
  exit 1
fi
version=$(clean /usr/bin/barproof --version)
[ "$version" = "$("$reference" --version)" ] || { echo "package-check: version '$version' is not the tree's" >&2; exit 1; }
echo "package-check: barproof $version from /usr/bin" >&2

clean /usr/bin/barproof prove --require-records --quiet Specs Specs/kernels >&2

expected=$(mktemp) actual=$(mktemp)
trap 'rm -f "$expected" "$actual"; cleanup' EXIT
set +e
"$reference" audit "$fixture" --format json > "$expected"; want=$?
clean /usr/bin/barproof audit "$fixture" --format json > "$actual"; got=$?
set -e
if [ "$got" != "$want" ] || ! cmp -s "$expected" "$actual"; then
  echo "package-check: the installed barproof audits $fixture differently (exit $got, the tree's $want)" >&2
  diff "$expected" "$actual" | head -20 >&2
  exit 1
fi
echo "package-check: audit of $fixture: exit $got, the same report as the tree's barproof" >&2
