#!/usr/bin/env bash
# Builds the Debian package (`make deb`): what `make install PREFIX=/usr` installs, as
# barproof_<version>_<arch>.deb in the directory given (default: the repository), with a
# dependency on the Z3 runtime only (the Swift runtime is linked into the binary).
# Usage: scripts/make-deb.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
outdir=${1:-.}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

scripts/install.sh /usr "$stage"
version=$("$stage/usr/bin/barproof" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
# The shared libraries the binary needs, as packages: dpkg-shlibdeps would need a debian/ tree;
# the binary links libz3 and glibc (install.sh has checked that nothing else from the toolchain).
z3=$(dpkg-query -W -f='${Version}' libz3-4 2>/dev/null | sed 's/-[^-]*$//')
install -d "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: barproof
Version: $version
Architecture: $arch
Maintainer: the barproof developers <barproof@invalid>
Depends: libc6, libstdc++6, libgcc-s1, libz3-4 (>= ${z3:-4.8})
Section: devel
Priority: optional
Installed-Size: $(du -sk "$stage/usr" | cut -f1)
Description: proves or refutes the rules by which Linux lets vfio-pci mmap PCI BARs
 barproof encodes Linux's PCI BAR placement and vfio-pci's mmap rules, release by release,
 as SMT constraints (Z3), proves invariants such as "no mmappable page holds another
 device's registers" or finds a counterexample machine, and audits a host's sysfs before
 its devices are passed through.
CONTROL
mkdir -p "$outdir"
dpkg-deb --root-owner-group --build "$stage" "$outdir/barproof_${version}_${arch}.deb" >&2
echo "$outdir/barproof_${version}_${arch}.deb"
