#!/usr/bin/env bash
# kernel/check-fixtures.sh [DIR] - sanity-check recorded netlink captures on the
# host: each *.pcap is a little-endian pcap with LINKTYPE_NETLINK (253), has
# packets, tcpdump can read it, and (if tshark is installed) tshark finds no
# malformed frame. Each .pcap must have its .txt next to it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${1:-$HERE/../tests/fixtures}"
fail=0
shopt -s nullglob
files=("$DIR"/*.pcap)
[ ${#files[@]} -gt 0 ] || { echo "check-fixtures: no .pcap in $DIR" >&2; exit 1; }
for f in "${files[@]}"; do
    name="$(basename "$f")"
    magic="$(od -An -tx4 -N4 "$f" | tr -d ' ')"
    linktype="$(od -An -tu4 -j20 -N4 "$f" | tr -d ' ')"
    problems=()
    [ "$magic" = a1b2c3d4 ] || problems+=("magic $magic")
    [ "$linktype" = 253 ] || problems+=("linktype $linktype (want 253 NETLINK)")
    [ -f "${f%.pcap}.txt" ] || problems+=("no ${name%.pcap}.txt")
    n="$(tcpdump -r "$f" --count 2>/dev/null | sed -n 's/^\([0-9]*\) packets\{0,1\}.*/\1/p')"; n="${n:-0}"
    [ "$n" -gt 0 ] || problems+=("no packets")
    if command -v tshark >/dev/null; then
        m="$(tshark -r "$f" -Y '_ws.malformed' 2>/dev/null | grep -c . || true)"
        [ "$m" = 0 ] || problems+=("$m malformed frames (tshark)")
    fi
    if [ ${#problems[@]} -eq 0 ]; then
        printf 'ok    %-28s %5d packets %8d bytes\n' "$name" "$n" "$(stat -c %s "$f")"
    else
        printf 'FAIL  %-28s %s\n' "$name" "${problems[*]}"; fail=1
    fi
done
total="$(du -cb "${files[@]}" | tail -n1 | cut -f1)"
printf 'total %d bytes of pcap\n' "$total"
exit $fail
