#!/usr/bin/env bash
# Installs what barproof needs to build and test when it is missing, with apt-get.
# Needed: libz3-dev + pkg-config (link Z3), z3 and cvc5 (tests re-check exported SMT-LIB2),
# librsvg2-bin (tests render memory-map.svg), python3-jsonschema (tests validate SARIF against its
# schema; any python3 on PATH that imports jsonschema will do), umockdev (tests load a fixture's
# machine.umockdev with umockdev-run). Swift itself must already be on PATH.
set -euo pipefail

missing=()
pkg-config --exists z3 2>/dev/null || missing+=(libz3-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v z3 >/dev/null 2>&1 || missing+=(z3)
command -v cvc5 >/dev/null 2>&1 || missing+=(cvc5)
command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)
command -v umockdev-run >/dev/null 2>&1 || missing+=(umockdev)
python3 -c 'import jsonschema' >/dev/null 2>&1 || /usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 \
  || missing+=(python3-jsonschema)

if ! command -v swift >/dev/null 2>&1; then
  echo "barproof: 'swift' is not on PATH. Install Swift 6 (https://swift.org/install) and retry." >&2
  exit 1
fi

[ ${#missing[@]} -eq 0 ] && exit 0

echo "barproof: installing missing packages: ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "barproof: not root and no sudo. Install these Debian packages yourself: ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "barproof: no apt-get here. Install the equivalents of: ${missing[*]} (Z3 >= 4.8 with its C headers and pkg-config file, cvc5 >= 1.0)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >&2
if ! "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; then
  echo "barproof: apt-get could not install: ${missing[*]}. Check the network/apt sources and retry." >&2
  exit 1
fi
