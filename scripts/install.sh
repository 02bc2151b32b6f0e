#!/usr/bin/env bash
# Installs a release barproof under DESTDIR/PREFIX (`make install PREFIX=...`, `make deb`):
#   bin/barproof                                    built with the Swift runtime linked statically,
#                                                   so it needs only glibc and libz3 at run time
#   share/man/man1/barproof*.1                      swift-argument-parser's generate-manual plugin
#   share/bash-completion/completions/barproof      the completion scripts barproof prints itself
#   share/zsh/vendor-completions/_barproof
#   share/fish/vendor_completions.d/barproof.fish
#   share/doc/barproof/                             README, docs/, Specs/ (the shipped specs)
# Usage: scripts/install.sh PREFIX [DESTDIR] (SWIFT, SCRATCH from the environment).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${1:?usage: scripts/install.sh PREFIX [DESTDIR]}
destdir=${2:-}
swift=${SWIFT:-swift}
# Its own build directory: a static-stdlib build must not reuse the dynamically linked objects.
scratch=${SCRATCH:-.build-static}
root="$destdir$prefix"

"$swift" build -c release --static-swift-stdlib --scratch-path "$scratch" --product barproof >&2
binary="$("$swift" build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)/barproof"

# Nothing from the toolchain may be needed at run time.
if ldd "$binary" | grep -q -e "$(dirname "$(dirname "$(command -v "$swift")")")" -e libswift -e libFoundation -e libdispatch; then
  echo "install: $binary still links a library of the Swift toolchain:" >&2
  ldd "$binary" >&2
  exit 1
fi

install -d "$root/bin" "$root/share/man/man1" "$root/share/bash-completion/completions" \
  "$root/share/zsh/vendor-completions" "$root/share/fish/vendor_completions.d" "$root/share/doc/barproof"
install -m 0755 -s "$binary" "$root/bin/barproof"

"$binary" --generate-completion-script bash > "$root/share/bash-completion/completions/barproof"
"$binary" --generate-completion-script zsh > "$root/share/zsh/vendor-completions/_barproof"
"$binary" --generate-completion-script fish > "$root/share/fish/vendor_completions.d/barproof.fish"

# Manual pages: one per command (barproof.1, barproof.prove.1, ...), from the same help text
# `barproof help` prints. The plugin builds every product to ask each for its help; a debug build
# in the usual build directory (the one `make test` leaves) says the same as the release one.
manual=$(mktemp -d)
trap 'rm -rf "$manual"' EXIT
"$swift" package --allow-writing-to-directory "$manual" \
  generate-manual --configuration debug --multi-page --output-directory "$manual" \
  --authors "the barproof developers" --section 1 >&2
found=0
for page in "$manual"/*.1 "$manual"/*/*.1; do
  [ -f "$page" ] || continue
  install -m 0644 "$page" "$root/share/man/man1/"
  found=1
done
if [ "$found" = 0 ]; then echo "install: generate-manual wrote no manual page" >&2; exit 1; fi
gzip -9nf "$root"/share/man/man1/*.1

install -m 0644 README.md "$root/share/doc/barproof/"
cp -R docs "$root/share/doc/barproof/docs"
cp -R Specs "$root/share/doc/barproof/Specs"
echo "installed $("$root/bin/barproof" --version) under $root" >&2
