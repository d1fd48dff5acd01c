#!/usr/bin/env bash
# Live capture under an rtnetlink storm, in the kernel/ rig (Debian's stock kernel, which has nlmon):
#
#   bench/live-storm.sh [N]          # N addresses added then deleted by one `ip -batch` (default 50000)
#
# The default takes ~25 min: the kernel walks its IPv4 address list on every add and delete, under emulation
# (bench/live-storm.sh 1000 takes ~1 min and is the harder test for NlmonPS: ~2,400 frames a second).
#
# On the host it builds Release (unless NLMONPS_BENCH_NO_BUILD=1 and the build exists), sets the rig up
# (kernel/setup.sh) and runs itself inside the guest (kernel/run.sh). Inside: loads nlmon, creates nlmon0 and a
# dummy device, starts `tcpdump -w` and `Get-NetlinkMessage -InterfaceName nlmon0 | Export-NetlinkPcap` on nlmon0,
# runs the storm, stops both, and counts the storm's messages in each capture with one counter (every netlink
# message of every pcap record), next to what each says it dropped. The last line is the verdict:
#   RATIO live storm: NlmonPS captured X of G messages (G generated), tcpdump Y; dropped: NlmonPS D1, tcpdump D2 ...
#
# Environment:
#   NLMONPS_STORM_BUFFER=BYTES    Get-NetlinkMessage -BufferSize (default: the cmdlet's own default)
#   NLMONPS_STORM_TCPDUMP_BUFFER=KIB   tcpdump -B (default: libpcap's 2 MiB)
#   NLMONPS_STORM_TIMEOUT=SEC     kernel/run.sh --timeout (default 2400)
#   NLMONPS_BENCH_NO_BUILD=1      use the existing Release build
#
# Messages generated: each `addr add`/`addr del` of the batch is one request (NLM_F_ACK) and one acknowledgement
# (NLMSG_ERROR, error 0), so 4N in all; no other socket listens to address notifications in the guest. The
# nlmon device's own receive counter over the storm is printed as a cross-check (it adds ip's start-up queries).
#
# How the live capture ends: `-MessageType RTM_NEWADDR,RTM_DELADDR,NLMSG_ERROR -Count 4N` stops it at the storm's
# last message when nothing was lost. Should messages be missing, it would wait forever, so after the storm the
# script keeps sending failing `ip addr del` requests on lo (each a request and an error; told apart from the
# storm by device and error) in growing batches until the capture has its count. -Duration caps it all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-50000}
host_exe=src/NlmonPS.Host/bin/Release/net10.0/nlmonps-host

if [[ ${NLMONPS_STORM_GUEST:-0} != 1 ]]; then
    [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 1000000 ]] || { echo "usage: bench/live-storm.sh [N (1..1000000)]" >&2; exit 2; }
    if [[ ${NLMONPS_BENCH_NO_BUILD:-0} != 1 || ! -x $host_exe ]]; then
        echo "== build (Release)" >&2
        dotnet build NlmonPS.slnx -c Release -nologo -v quiet >&2
    fi
    kernel/setup.sh >&2
    echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); kernel $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "NlmonPS $(git describe --always --dirty 2>/dev/null); $(tcpdump --version 2>&1 | head -1); $(tcpdump --version 2>&1 | sed -n 2p)"
    exec kernel/run.sh --timeout "${NLMONPS_STORM_TIMEOUT:-2400}" --env NLMONPS_STORM_GUEST=1 -- bench/live-storm.sh "$n"
fi

# ------------------------------------------------------------------------------------------- inside the guest --
work=$(mktemp -d /tmp/storm.XXXXXX)
generated=$((4 * n))
cap=$((600 + n / 20))   # -Duration: a cap only; the capture normally ends at its -Count
echo "guest: kernel $(uname -r), $(nproc) vCPUs (qemu TCG), $(free -m | awk '/Mem:/{print $2}') MiB; N=$n"

modprobe nlmon
ip link add nlmon0 type nlmon && ip link set nlmon0 up
ip link add storm0 type dummy && ip link set storm0 up
storm_index=$(cat /sys/class/net/storm0/ifindex)
nlmon_index=$(cat /sys/class/net/nlmon0/ifindex)
rx() { cat /sys/class/net/nlmon0/statistics/rx_packets; }

# The batch: N /32 addresses (10.0.0.1 upwards) added, then deleted.
python3 - "$n" >"$work/batch" <<'PY'
import sys
n = int(sys.argv[1])
addrs = [f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(1, n + 1)]
print("\n".join(f"addr add {a}/32 dev storm0" for a in addrs))
print("\n".join(f"addr del {a}/32 dev storm0" for a in addrs))
PY

tcpdump_args=(-i nlmon0 -w "$work/tcpdump.pcap")
[[ -n ${NLMONPS_STORM_TCPDUMP_BUFFER:-} ]] && tcpdump_args+=(-B "$NLMONPS_STORM_TCPDUMP_BUFFER")
tcpdump "${tcpdump_args[@]}" 2>"$work/tcpdump.log" &
tcpdump_pid=$!

buffer_arg=""
[[ -n ${NLMONPS_STORM_BUFFER:-} ]] && buffer_arg="-BufferSize $NLMONPS_STORM_BUFFER"
script="Get-NetlinkMessage -InterfaceName nlmon0 -MessageType RTM_NEWADDR,RTM_DELADDR,NLMSG_ERROR -Count $generated -Duration $cap $buffer_arg -Verbose | Export-NetlinkPcap -Path $work/nlmonps.pcap"
echo "NlmonPS: $script"
start_capture=$(date +%s.%N)
"$host_exe" "$script" >"$work/nlmonps.log" 2>&1 &
nlmonps_pid=$!

# Both are capturing once two packet sockets are bound to nlmon0 (/proc/net/packet: Iface is the 5th column).
for ((i = 0; ; i++)); do
    sockets=$(awk -v ix="$nlmon_index" 'NR > 1 && $5 == ix' /proc/net/packet | wc -l)
    ((sockets >= 2)) && break
    if ! kill -0 "$nlmonps_pid" 2>/dev/null || ! kill -0 "$tcpdump_pid" 2>/dev/null || ((i > 3000)); then
        echo "a capture did not start:" >&2; cat "$work/nlmonps.log" "$work/tcpdump.log" >&2; exit 1
    fi
    sleep 0.1
done
ready=$(date +%s.%N)
sleep 1
echo "both capturing after $(awk -v a="$start_capture" -v b="$ready" 'BEGIN { printf "%.1f", b - a }') s (NlmonPS start-up in the guest)"

rx_before=$(rx)
t0=$(date +%s.%N)
ip -force -batch "$work/batch"
t1=$(date +%s.%N)
rx_after=$(rx)
storm_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "storm: $((2 * n)) ip commands in $storm_s s; nlmon0 passed $((rx_after - rx_before)) frames meanwhile"

# tcpdump reads its ring in blocks handed over after its 1 s timeout: give it time, then stop it.
sleep 3
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true

# Padding until the live capture has its count (only needed when storm messages were lost).
batch=50
while kill -0 "$nlmonps_pid" 2>/dev/null; do
    sleep 2
    kill -0 "$nlmonps_pid" 2>/dev/null || break
    # Wait while NlmonPS is still catching up (busy) before padding: padding is for lost messages only.
    cpu1=$(awk '{ print $14 + $15 }' "/proc/$nlmonps_pid/stat" 2>/dev/null || echo 0)
    sleep 1
    cpu2=$(awk '{ print $14 + $15 }' "/proc/$nlmonps_pid/stat" 2>/dev/null || echo 0)
    if ((cpu2 - cpu1 < 20)); then   # under 20% of a CPU: idle, waiting for messages that will not come
        for ((i = 0; i < batch; i++)); do echo "addr del 192.0.2.1/32 dev lo"; done >"$work/pad"
        ip -force -batch "$work/pad" 2>/dev/null || true
        batch=$((batch * 2))
    fi
done
nlmonps_rc=0
wait "$nlmonps_pid" || nlmonps_rc=$?
t2=$(date +%s.%N)
echo "NlmonPS finished $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }') s after the storm (exit $nlmonps_rc)"

count() {   # count FILE: "messages storm_requests storm_acks other_errors records"
    python3 - "$1" "$storm_index" <<'PY'
import struct, sys
path, storm = sys.argv[1], int(sys.argv[2])
data = open(path, 'rb').read()
magic = data[:4]
e = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
linktype = struct.unpack(e + 'I', data[20:24])[0]
assert linktype == 253, f"{path}: link type {linktype}, not LINKTYPE_NETLINK"
pos, records, messages, requests, acks, other = 24, 0, 0, 0, 0, 0
while pos + 16 <= len(data):
    incl = struct.unpack(e + 'I', data[pos + 8:pos + 12])[0]
    rec = data[pos + 16:pos + 16 + incl]
    pos += 16 + incl
    records += 1
    off = 16  # the LINKTYPE_NETLINK pseudo-header (like Linux cooked capture)
    while off + 16 <= len(rec):
        length, typ, flags = struct.unpack_from('=IHH', rec, off)
        if length < 16: break
        messages += 1
        body = rec[off + 16:off + length]
        if typ in (20, 21) and flags & 1 and len(body) >= 8 and struct.unpack_from('=i', body, 4)[0] == storm:
            requests += 1
        elif typ == 2 and len(body) >= 20:
            error, inner_type = struct.unpack_from('=iH', body, 0)[0], struct.unpack_from('=H', body, 8)[0]
            if error == 0 and inner_type in (20, 21): acks += 1
            else: other += 1
        off += (length + 3) & ~3
print(messages, requests, acks, other, records)
PY
}
read -r t_msgs t_req t_ack t_other t_records < <(count "$work/tcpdump.pcap")
read -r p_msgs p_req p_ack p_other p_records < <(count "$work/nlmonps.pcap")
t_captured=$((t_req + t_ack)); p_captured=$((p_req + p_ack))
t_dropped=$(awk '/dropped by kernel/ { print $1 }' "$work/tcpdump.log")
t_received=$(awk '/received by filter/ { print $1 }' "$work/tcpdump.log")
summary=$(grep -o 'Read [0-9]* frames from nlmon0; the kernel filter passed [0-9]*, dropped [0-9]*; at most [0-9]* KiB' "$work/nlmonps.log" || true)
p_dropped=$(sed -n 's/.*dropped \([0-9]*\);.*/\1/p' <<<"$summary")
ring=$(grep -o 'ring buffer [0-9]* bytes ([0-9]* blocks of [0-9]*)' "$work/nlmonps.log" || true)

echo
echo "generated: $generated storm messages ($((2 * n)) requests + $((2 * n)) acknowledgements)"
printf '%-8s captured %8s of %s storm messages (%s requests, %s acks); %s messages in %s records in all; dropped (its own report): %s\n' \
    tcpdump "$t_captured" "$generated" "$t_req" "$t_ack" "$t_msgs" "$t_records" "${t_dropped:-?}"
printf '%-8s captured %8s of %s storm messages (%s requests, %s acks); %s messages in %s records in all (padding: %s); dropped (its own report): %s\n' \
    NlmonPS "$p_captured" "$generated" "$p_req" "$p_ack" "$p_msgs" "$p_records" "$p_other" "${p_dropped:-?}"
echo "tcpdump: $(tr '\n' ';' <"$work/tcpdump.log" | sed 's/;*$//; s/;/; /g')"
echo "NlmonPS: ${summary:-no summary line}; ${ring:-?}"
grep '^WARNING' "$work/nlmonps.log" | head -3 || true
grep -v '^VERBOSE\|^WARNING' "$work/nlmonps.log" | head -5 || true

t_lost=$((generated - t_captured)); p_lost=$((generated - p_captured))
p_unreported=$((p_lost - ${p_dropped:-0}))
verdict="met"
if ((p_lost > t_lost)); then verdict="NOT met"; fi
if ((p_lost > 0 && p_unreported > 0)); then verdict="NOT met (losses not reported)"; fi
echo "RATIO live storm: NlmonPS captured $p_captured of $generated, tcpdump $t_captured; dropped (reported): NlmonPS ${p_dropped:-?}, tcpdump ${t_dropped:-?}   (goal: NlmonPS loses no more than tcpdump and reports every loss: $verdict)"
