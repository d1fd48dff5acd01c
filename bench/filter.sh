#!/usr/bin/env bash
# Filtering a large capture down to one message type and writing a pcap: NlmonPS against tshark, as ratios.
#   bench/filter.sh [messages] [MessageType] [tshark display filter]
#   default: 1000000 RTM_NEWADDR 'netlink-route.nltype == 20'
# Timed (CPU time, best of NLMONPS_BENCH_RUNS), each on the same capture:
#   NlmonPS -MessageType   nlmonps-host 'Get-NetlinkMessage -Path big.pcap -MessageType T | Export-NetlinkPcap -Path out.pcap'
#   NlmonPS Where-Object   nlmonps-host 'Get-NetlinkMessage -Path big.pcap | Where-Object { $_.TypeName -eq "T" } | Export-NetlinkPcap ...'
#   tshark                 tshark -r big.pcap -Y 'filter' -F pcap -w out.pcap
# The same work on both sides: every record holding at least one wanted message is written, once, with its
# timestamp, as classic pcap (tshark writes pcapng unless told -F pcap). Export-NetlinkPcap writes the messages it
# is given, those of one record together in one record, so a record that also holds other messages goes out with
# only the wanted ones, where tshark copies the whole record. The display filter selects records by their
# top-level messages: netlink-route.nltype is the type of a NETLINK_ROUTE message (TShark 4.0); in NETLINK_ROUTE
# records netlink.hdr_type appears only in NLMSG_ERROR messages, for the request header they echo (an ACK of an
# RTM_NEWADDR request would match netlink.hdr_type == 20). The outputs are checked to hold the same number of records at the same timestamps;
# the script fails when they do not.
# Everything runs again on a 100k capture: the difference between the two sizes is the cost of 900k more
# messages, without either tool's start-up (PowerShell's is ~0.9 CPU-seconds, tshark's ~0.2), reported as the
# marginal ratio.
# Goal: -MessageType >= 2x tshark.
source "$(dirname "$0")/lib.sh"
n=${1:-1000000}
type=${2:-RTM_NEWADDR}
filter=${3:-netlink-route.nltype == 20}
need_tools
build
small=$(capture 100000)
big=$(capture "$n")
echo "== filter: $type out of $n messages to a pcap, NlmonPS vs tshark -Y '$filter' -F pcap -w"
machine
describe "$big" "$n"

same_records() {   # same_records A B: the same records (count, then timestamps), or exit 1 saying how they differ
    python3 - "$1" "$2" <<'PY'
import struct, sys
def records(path):
    data = open(path, 'rb').read()
    if data[:4] not in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4', b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d'):
        sys.exit(f"{path}: not a classic pcap file (magic {data[:4].hex()})")
    e = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, cap, _ = struct.unpack(e + 'IIII', data[off:off + 16])
        out.append((sec, frac, data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return out
a, b = records(sys.argv[1]), records(sys.argv[2])
if len(a) != len(b):
    sys.exit(f"MISMATCH: {len(a)} records vs {len(b)}")
moved = sum(1 for x, y in zip(a, b) if x[:2] != y[:2])
if moved:
    sys.exit(f"MISMATCH: {len(a)} records each, {moved} at other timestamps")
same = sum(1 for x, y in zip(a, b) if x == y)
print(f"{len(a)} records, same timestamps ({same} byte for byte, {len(a) - same} holding other messages too)")
PY
}

for size in small big; do
    file=${!size}
    echo "-- ${file}"
    measure "${size}_ours" -- "$host" "Get-NetlinkMessage -Path '$file' -MessageType '$type' | Export-NetlinkPcap -Path '$work/out-nlmonps.pcap' -Force"
    measure "${size}_where" -- "$host" "Get-NetlinkMessage -Path '$file' | Where-Object { \$_.TypeName -eq '$type' } | Export-NetlinkPcap -Path '$work/out-where.pcap' -Force"
    measure "${size}_tshark" -- tshark -r "$file" -Y "$filter" -F pcap -w "$work/out-tshark.pcap"
    for ours in nlmonps where; do
        if ! check=$(same_records "$work/out-$ours.pcap" "$work/out-tshark.pcap" 2>&1); then
            echo "FAILED: $file: out-$ours.pcap and tshark's output differ: $check" >&2
            exit 1
        fi
        echo "  outputs: $([[ $ours == nlmonps ]] && echo -MessageType || echo Where-Object) vs tshark: $check"
    done
done

marginal() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
report "-MessageType | Export-NetlinkPcap vs tshark -Y -w" "$big_tshark_cpu" "$big_ours_cpu" 2
report "Where-Object | Export-NetlinkPcap vs tshark -Y -w" "$big_tshark_cpu" "$big_where_cpu"
if [[ $small != "$big" ]]; then   # with one capture (100000 messages) there is no difference to report
    report "-MessageType, marginal (big minus 100k: no start-up) vs tshark" \
        "$(marginal "$big_tshark_cpu" "$small_tshark_cpu")" "$(marginal "$big_ours_cpu" "$small_ours_cpu")"
    report "Where-Object, marginal (big minus 100k) vs tshark" \
        "$(marginal "$big_tshark_cpu" "$small_tshark_cpu")" "$(marginal "$big_where_cpu" "$small_where_cpu")"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
