#!/usr/bin/env bash
# tools/install-apt.sh [-f LIST]... [PACKAGE]... - installs the Debian packages that are missing, quietly: no
# dpkg progress, no debconf questions or warnings; apt-get update only when something is missing. Prints one line
# naming what it installs; apt's own output only when it fails. Root or sudo.
#   tools/install-apt.sh -f tests/apt-packages.txt    (the test suite's list: one package a line, # comments)
set -euo pipefail
want=()
while [[ $# -gt 0 ]]; do
    if [[ $1 == -f ]]; then
        mapfile -t -O "${#want[@]}" want < <(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$2"); shift 2
    else
        want+=("$1"); shift
    fi
done
missing=()
for p in "${want[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
sudo=(); [[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "apt: installing ${missing[*]}" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes \
        apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "apt: installing ${missing[*]} failed" >&2
    exit 1
fi
