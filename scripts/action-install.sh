#!/usr/bin/env bash
# The install step of the GitHub Action (action.yml): installs barproof from PACKAGE, a
# barproof_<version>_<arch>.deb (a path, or an https URL to download), or, when PACKAGE is empty,
# builds that package from the action's own checkout (`make deb`, which needs Swift) and installs
# it. Then `barproof --version` from /usr/bin. Environment: PACKAGE, GITHUB_ACTION_PATH.
set -euo pipefail
root=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
package=${PACKAGE:-}
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

if [ -z "$package" ]; then
  make -C "$root" deb >&2
  package=$(ls -t "$root"/barproof_*.deb | head -1)
elif [[ "$package" == https://* ]]; then
  download=$(mktemp -d)/$(basename "$package")
  curl --fail --location --silent --show-error --output "$download" "$package"
  package=$download
fi
[ -f "$package" ] || { echo "barproof action: no package at '$package'" >&2; exit 1; }
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$(realpath "$package")" >&2
/usr/bin/barproof --version
