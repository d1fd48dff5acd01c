#!/usr/bin/env bash
# Filtering a large capture down to one message type and writing a pcap: NlmonPS against tshark, as ratios.
#   bench/filter.sh [messages] [MessageType] [tshark display filter]
#   default: 1000000 RTM_NEWADDR 'netlink-route.nltype == 20'
# Timed (CPU time, best of NLMONPS_BENCH_RUNS), each on the same capture:
#   NlmonPS -MessageType   nlmonps-host 'Get-NetlinkMessage -Path big.pcap -MessageType T | Export-NetlinkPcap -Path out.pcap'
#   NlmonPS Where-Object   nlmonps-host 'Get-NetlinkMessage -Path big.pcap | Where-Object { $_.TypeName -eq "T" } | Export-NetlinkPcap ...'
#   tshark                 tshark -r big.pcap -Y 'filter' -w out.pcap
# The three outputs are checked to hold the same records. Everything runs again on a 100k capture: the difference
# between the two sizes is the cost of 900k more messages, without either tool's start-up (PowerShell's is ~0.9
# CPU-seconds, tshark's ~0.2), reported as the marginal ratio.
# Goal: -MessageType >= 2x tshark.
source "$(dirname "$0")/lib.sh"
n=${1:-1000000}
type=${2:-RTM_NEWADDR}
filter=${3:-netlink-route.nltype == 20}
need_tools
build
small=$(capture 100000)
big=$(capture "$n")
echo "== filter: $type out of $n messages to a pcap, NlmonPS vs tshark -Y '$filter' -w"
machine
describe "$big" "$n"

same_records() {   # same_records A B: whether two pcaps hold the same records (time and bytes)
    python3 - "$1" "$2" <<'PY'
import struct, sys
def records(path):
    data = open(path, 'rb').read()
    little = data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1')
    e = '<' if little else '>'
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, cap, _ = struct.unpack(e + 'IIII', data[off:off + 16])
        out.append((sec, frac, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return out
a, b = records(sys.argv[1]), records(sys.argv[2])
print(f"{len(a)} records" if a == b else f"DIFFERENT: {len(a)} records vs {len(b)}")
PY
}

for size in small big; do
    file=${!size}
    echo "-- ${file}"
    measure "${size}_ours" -- "$host" "Get-NetlinkMessage -Path '$file' -MessageType '$type' | Export-NetlinkPcap -Path '$work/out-nlmonps.pcap' -Force"
    measure "${size}_where" -- "$host" "Get-NetlinkMessage -Path '$file' | Where-Object { \$_.TypeName -eq '$type' } | Export-NetlinkPcap -Path '$work/out-where.pcap' -Force"
    measure "${size}_tshark" -- tshark -r "$file" -Y "$filter" -w "$work/out-tshark.pcap"
    echo "  outputs: -MessageType vs tshark: $(same_records "$work/out-nlmonps.pcap" "$work/out-tshark.pcap"); Where-Object vs tshark: $(same_records "$work/out-where.pcap" "$work/out-tshark.pcap")"
done

marginal() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
report "-MessageType | Export-NetlinkPcap vs tshark -Y -w" "$big_tshark_cpu" "$big_ours_cpu" 2
report "Where-Object | Export-NetlinkPcap vs tshark -Y -w" "$big_tshark_cpu" "$big_where_cpu"
report "-MessageType, marginal (big minus 100k: no start-up) vs tshark" \
    "$(marginal "$big_tshark_cpu" "$small_tshark_cpu")" "$(marginal "$big_ours_cpu" "$small_ours_cpu")"
report "Where-Object, marginal (big minus 100k) vs tshark" \
    "$(marginal "$big_tshark_cpu" "$small_tshark_cpu")" "$(marginal "$big_where_cpu" "$small_where_cpu")"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
