#!/usr/bin/env bash
# kernel/record-fixtures.sh - record real netlink captures (nlmon) for the
# NlmonPS decoder tests. Runs INSIDE the rig guest, as root:
#
#   kernel/run.sh --share tests/fixtures -- kernel/record-fixtures.sh [OUTDIR] [SCENARIO...]
#
# OUTDIR defaults to tests/fixtures. With SCENARIO names only those are
# recorded (e.g. `... record-fixtures.sh tests/fixtures tc xfrm`).
#
# For each scenario S it writes:
#   S.pcap  tcpdump -i nlmon0 capture (LINKTYPE_NETLINK = 253, full packets)
#   S.txt   every command run, with its printed output, in this format:
#             #t <guest CLOCK_REALTIME seconds.nanoseconds> before each command
#             $ <command line exactly as run>
#             <stdout and stderr of the command>
#             [exit N]   (only when N != 0)
#           Lines starting with "# " are comments. A "## background: CMD"
#           section holds the output of a command that ran in the background
#           during the capture (monitors, event listeners).
#           Commands under "## setup (not captured)" ran before tcpdump started.
# and MANIFEST.txt (kernel and tool versions, packet counts, skipped items).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OUT="${1:-$REPO/tests/fixtures}"
[ $# -gt 0 ] && shift
ONLY=("$@")

if ! grep -q 'rig.run=' /proc/cmdline; then
    echo "record-fixtures.sh runs inside the rig guest. Use:" >&2
    echo "  kernel/run.sh --share tests/fixtures -- kernel/record-fixtures.sh" >&2
    exit 2
fi
[ "$(id -u)" = 0 ] || { echo "record-fixtures.sh: must run as root" >&2; exit 2; }
mkdir -p "$OUT" || exit 1
OUT="$(cd "$OUT" && pwd)"
WORK=/run/fx
rm -rf "$WORK"; mkdir -p "$WORK"
export LC_ALL=C.UTF-8 TERM=dumb COLUMNS=200
export HOME=/root

KVER="$(uname -r)"
SKIPPED=()
RECORDED=()
CUR=""
TXT=""
TCPDUMP_PID=""
BG_PIDS=()
BG_NAMES=()

msg() { printf 'fixtures: %s\n' "$*"; }
ts() { date +%s.%N; }

# ---- helpers ----------------------------------------------------------------
# x 'command line': log and run it (eval), append its output to the .txt
x() {
    local cmd="$1" rc
    { printf '#t %s\n' "$(ts)"; printf '$ %s\n' "$cmd"; } >> "$TXT"
    eval "$cmd" >> "$TXT" 2>&1 </dev/null
    rc=$?
    [ $rc -ne 0 ] && printf '[exit %d]\n' "$rc" >> "$TXT"
    return 0
}
# q 'command line': run without logging (setup/cleanup noise), quietly
q() { eval "$1" >/dev/null 2>&1 </dev/null; return 0; }
note() { printf '# %s\n' "$*" >> "$TXT"; }

wanted() {
    local s
    [ ${#ONLY[@]} -eq 0 ] && return 0
    for s in "${ONLY[@]}"; do [ "$s" = "$1" ] && return 0; done
    return 1
}

begin() { # begin NAME "description"
    CUR="$1"
    TXT="$WORK/$CUR.txt"
    : > "$TXT"
    note "$CUR: $2"
    note "kernel: $KVER ($(uname -v))"
    note "recorded by kernel/record-fixtures.sh inside kernel/run.sh (qemu, Debian stock kernel)"
    msg "== $CUR"
}

capture_start() {
    local i
    printf '## capture started\n' >> "$TXT"
    tcpdump -i nlmon0 -s 0 -U --immediate-mode -w "$WORK/$CUR.pcap" 2> "$WORK/$CUR.tcpdump.log" &
    TCPDUMP_PID=$!
    for i in $(seq 1 100); do
        grep -q 'listening on' "$WORK/$CUR.tcpdump.log" 2>/dev/null && break
        sleep 0.1
    done
    grep -q 'listening on' "$WORK/$CUR.tcpdump.log" || { msg "tcpdump did not start"; cat "$WORK/$CUR.tcpdump.log"; }
    sleep 0.3
}

capture_stop() {
    sleep 0.5
    kill -INT "$TCPDUMP_PID" 2>/dev/null
    wait "$TCPDUMP_PID" 2>/dev/null
    TCPDUMP_PID=""
    printf '## capture stopped\n' >> "$TXT"
}

# bg NAME 'command line': start a background command (own process group);
# its output is appended to the .txt by bg_stop
bg() {
    local name="$1" cmd="$2"
    { printf '#t %s\n' "$(ts)"; printf '$ %s &   # background "%s", output below\n' "$cmd" "$name"; } >> "$TXT"
    setsid bash -c "$cmd" > "$WORK/bg.$name.out" 2>&1 </dev/null &
    BG_PIDS+=($!)
    BG_NAMES+=("$name")
    printf '%s\n' "$cmd" > "$WORK/bg.$name.cmd"
}
bg_stop_all() {
    local i pid name
    [ ${#BG_PIDS[@]} -gt 0 ] || return 0
    sleep 0.3
    for i in "${!BG_PIDS[@]}"; do
        pid="${BG_PIDS[$i]}"
        kill -INT -- "-$pid" 2>/dev/null || kill -INT "$pid" 2>/dev/null
    done
    sleep 0.3
    for i in "${!BG_PIDS[@]}"; do
        pid="${BG_PIDS[$i]}"
        kill -TERM -- "-$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for i in "${!BG_PIDS[@]}"; do
        name="${BG_NAMES[$i]}"
        { printf '## background: %s\n' "$(cat "$WORK/bg.$name.cmd")"; cat "$WORK/bg.$name.out"; printf '## end of background: %s\n' "$name"; } >> "$TXT"
    done
    BG_PIDS=(); BG_NAMES=()
}

finish() { # finish: copy S.pcap and S.txt to OUT, remember counts
    local pkts bytes
    pkts="$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$WORK/$CUR.tcpdump.log" | tail -n1)"
    bytes="$(stat -c %s "$WORK/$CUR.pcap" 2>/dev/null || echo 0)"
    cp -f "$WORK/$CUR.pcap" "$OUT/$CUR.pcap"
    cp -f "$TXT" "$OUT/$CUR.txt"
    RECORDED+=("$CUR")
    msg "   $CUR.pcap: ${pkts:-?} packets, $bytes bytes"
}

skip() { # skip WHAT WHY (a whole scenario or a part of one)
    SKIPPED+=("$1: $2")
    [ -n "$TXT" ] && note "SKIPPED $1: $2"
    msg "   skipped $1: $2"
}

has_mod() { modprobe -q "$1" 2>/dev/null; }

# ---- one-time setup -----------------------------------------------------------
msg "kernel $KVER, output $OUT"
for m in nlmon dummy veth 8021q vxlan bridge bonding macvlan mpls_router mpls_iptunnel \
         sch_ingress act_mirred act_gact act_police cls_matchall cls_u32 cls_flower cls_bpf \
         sch_htb sch_tbf sch_netem nf_tables nft_ct nf_conntrack nf_conntrack_netlink nft_log \
         nfnetlink_log inet_diag tcp_diag udp_diag unix_diag netlink_diag af_packet_diag raw_diag \
         xfrm_user esp4 esp6 xfrm4_tunnel xfrm6_tunnel wireguard fou macsec; do
    modprobe -q "$m" 2>/dev/null || msg "note: modprobe $m failed"
done
ip link add nlmon0 type nlmon || { msg "cannot create nlmon0"; exit 1; }
ip link set nlmon0 up
ip link set lo up
sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 2>/dev/null

# =========================================================== route-link-addr ==
rec_route_link_addr() {
    begin route-link-addr "rtnetlink links and addresses: dummy, veth, vlan, vxlan, bridge, bond, macvlan; ext-ack errors"
    capture_start
    bg monitor 'ip -t monitor link address'
    sleep 0.3
    x 'ip link add d0 type dummy'
    x 'ip link add d0 type dummy'
    x 'ip link set d0 address 02:00:00:00:00:d0 mtu 1400 up'
    x 'ip link set d0 alias "fixture dummy"'
    x 'ip link add va address 02:00:00:00:00:a1 type veth peer name vb address 02:00:00:00:00:b1'
    x 'ip link set va up'
    x 'ip link set vb up'
    x 'ip link set va mtu 70000'
    x 'ip link add link d0 name d0.10 type vlan id 10'
    x 'ip link add link d0 name bad0 type vlan id 5000'
    x 'ip link add vx0 address 02:00:00:00:00:e0 type vxlan id 42 dstport 4789 local 192.0.2.1 dev d0 ttl 64'
    x 'ip link add br0 address 02:00:00:00:00:0b type bridge stp_state 0 vlan_filtering 1'
    x 'ip link add d1 address 02:00:00:00:00:d1 type dummy'
    x 'ip link set d1 master br0'
    x 'ip link set br0 up'
    x 'ip link add bond0 address 02:00:00:00:00:bd type bond mode active-backup miimon 100'
    x 'ip link add d2 address 02:00:00:00:00:d2 type dummy'
    x 'ip link set d2 master bond0'
    x 'ip link add mv0 link d0 address 02:00:00:00:00:c0 type macvlan mode bridge'
    x 'ip link add mv1 link nosuchdev type macvlan'
    x 'ip link show'
    x 'ip -d link show'
    x 'ip -d link show dev vx0'
    x 'ip -br link show'
    x 'ip addr add 192.0.2.1/24 brd + dev d0'
    x 'ip addr add 198.51.100.1/24 dev d0 label d0:1'
    x 'ip addr add 2001:db8::1/64 dev d0 nodad'
    x 'ip addr add 2001:db8:0:1::1/64 dev d0 nodad valid_lft 3600 preferred_lft 1800'
    x 'ip addr add 192.0.2.1/24 dev d0'
    x 'ip addr show'
    x 'ip -4 addr show dev d0'
    x 'ip -6 addr show dev d0'
    x 'ip addr del 198.51.100.1/24 dev d0'
    x 'ip addr del 2001:db8:0:1::1/64 dev d0'
    x 'ip addr del 203.0.113.1/24 dev d0'
    x 'ip addr flush dev d0'
    x 'ip link set d2 nomaster'
    x 'ip link del mv0'
    x 'ip link del d0.10'
    x 'ip link del vx0'
    x 'ip link del bond0'
    x 'ip link del br0'
    x 'ip link del va'
    x 'ip link del d2'
    x 'ip link del d1'
    x 'ip link del d0'
    x 'ip link show'
    bg_stop_all
    capture_stop
    finish
}

# ====================================================== route-route-neigh-rule ==
rec_route_route_neigh_rule() {
    begin route-route-neigh-rule "rtnetlink routes (multipath, metrics, mpls encap), neighbours, rules, nexthops, netconf, stats, bridge fdb/mdb, netns ids"
    printf '## setup (not captured)\n' >> "$TXT"
    x 'ip link add va address 02:00:00:00:00:a1 type veth peer name vb address 02:00:00:00:00:b1'
    x 'ip link set va up'
    x 'ip link set vb up'
    x 'ip addr add 192.0.2.1/24 dev va'
    x 'ip addr add 2001:db8:1::1/64 dev va nodad'
    x 'ip link add d1 address 02:00:00:00:00:d1 type dummy'
    x 'ip link set d1 up'
    x 'ip addr add 198.51.100.1/24 dev d1'
    x 'ip addr add 2001:db8:2::1/64 dev d1 nodad'
    x 'sysctl -w net.mpls.platform_labels=1000'
    x 'sysctl -w net.mpls.conf.va.input=1'
    capture_start
    x 'ip route add 203.0.113.0/26 via 192.0.2.254 metric 100'
    x 'ip route add 203.0.113.64/26 via 192.0.2.254 mtu lock 1300 advmss 1260 rtt 10ms initcwnd 10 hoplimit 32 proto static'
    x 'ip route add 203.0.113.128/26 nexthop via 192.0.2.254 dev va weight 1 nexthop via 198.51.100.254 dev d1 weight 2'
    if has_mod mpls_iptunnel; then
        x 'ip route add 203.0.113.192/28 encap mpls 100/200 via 192.0.2.254 dev va'
        x 'ip -f mpls route add 100 via inet 192.0.2.254 dev va'
        x 'ip -f mpls route add 101 as 300 via inet 198.51.100.254 dev d1'
        x 'ip -f mpls route show'
    else
        skip "encap mpls" "mpls_iptunnel did not load"
    fi
    x 'ip route add blackhole 203.0.113.250/32'
    x 'ip route add unreachable 203.0.113.251/32'
    x 'ip route add prohibit 203.0.113.252/32'
    x 'ip route add table 100 default via 192.0.2.254 dev va'
    x 'ip route add 203.0.113.0/26 via 192.0.2.254 metric 100'
    x 'ip route add 203.0.113.240/28 via 192.0.2.99 dev d1'
    x 'ip route show'
    x 'ip route show table 100'
    x 'ip route show table all'
    x 'ip route get 203.0.113.5'
    x 'ip route get 203.0.113.130 from 192.0.2.1'
    x 'ip route get 203.0.113.250'
    x 'ip -6 route add 2001:db8:100::/48 via 2001:db8:1::fe dev va metric 256'
    x 'ip -6 route add 2001:db8:200::/48 nexthop via 2001:db8:1::fe dev va nexthop via 2001:db8:2::fe dev d1'
    x 'ip -6 route show'
    x 'ip -6 route get 2001:db8:100::1'
    x 'ip neigh add 192.0.2.10 lladdr 02:00:00:00:00:0a dev va nud permanent'
    x 'ip neigh add 192.0.2.11 lladdr 02:00:00:00:00:0b dev va nud reachable'
    x 'ip neigh add 2001:db8:1::10 lladdr 02:00:00:00:00:0c dev va nud permanent'
    x 'ip neigh add proxy 192.0.2.77 dev va'
    x 'ip neigh show'
    x 'ip -s neigh show dev va'
    x 'ip neigh show proxy'
    x 'ip neigh change 192.0.2.10 lladdr 02:00:00:00:00:1a dev va nud permanent'
    x 'ip neigh del 192.0.2.11 dev va'
    x 'ip neigh del 192.0.2.99 dev va'
    x 'ip ntable show dev va name arp_cache'
    x 'ip rule add from 192.0.2.0/24 table 100 priority 1000'
    x 'ip rule add fwmark 0x1/0xff lookup 100 pref 1001'
    x 'ip rule add iif va ipproto tcp dport 80 table 100 pref 1002'
    x 'ip -6 rule add from 2001:db8::/32 table 100 pref 1003'
    x 'ip rule show'
    x 'ip -6 rule show'
    x 'ip rule del pref 1000'
    x 'ip rule del pref 1001'
    x 'ip rule del pref 1002'
    x 'ip -6 rule del pref 1003'
    x 'ip nexthop add id 1 via 192.0.2.254 dev va'
    x 'ip nexthop add id 2 via 198.51.100.254 dev d1'
    x 'ip nexthop add id 3 blackhole'
    x 'ip nexthop add id 10 group 1,1/2,3'
    x 'ip nexthop add id 11 group 1/99'
    x 'ip route add 203.0.113.224/28 nhid 10'
    x 'ip nexthop show'
    x 'ip nexthop get id 10'
    x 'ip route show 203.0.113.224/28'
    x 'ip route del 203.0.113.224/28'
    x 'ip nexthop del id 10'
    x 'ip nexthop flush'
    x 'ip netconf show'
    x 'ip -6 netconf show dev va'
    x 'ip -s link show dev va'
    x 'ip -s -s link show'
    x 'ip stats show dev va group link'
    x 'ip stats show dev va'
    x 'ip link add br0 address 02:00:00:00:00:0b type bridge mcast_snooping 1'
    x 'ip link add d2 address 02:00:00:00:00:d2 type dummy'
    x 'ip link set d2 master br0'
    x 'ip link set d2 up'
    x 'ip link set br0 up'
    x 'bridge fdb add 02:00:00:00:00:bb dev d2 master static'
    x 'bridge fdb add 02:00:00:00:00:bc dev d2 master static vlan 1'
    x 'bridge fdb show br br0'
    x 'bridge mdb add dev br0 port d2 grp 239.1.1.1 permanent'
    x 'bridge mdb show'
    x 'bridge vlan show'
    x 'bridge link show'
    x 'bridge fdb del 02:00:00:00:00:bb dev d2 master'
    x 'ip netns add fxns'
    x 'ip netns set fxns 7'
    x 'ip netns list-id'
    x 'ip link add vn address 02:00:00:00:00:e1 type veth peer name vn-peer netns fxns'
    x 'ip -d link show dev vn'
    x 'ip link del vn'
    x 'ip netns del fxns'
    x 'ip route del 203.0.113.0/26'
    x 'ip route flush table 100'
    x 'ip link del br0'
    x 'ip link del d2'
    x 'ip link del d1'
    x 'ip link del va'
    capture_stop
    finish
}

# ====================================================================== tc ==
rec_tc() {
    begin tc "tc: clsact, matchall/u32/flower/cBPF filters with mirred/gact/police actions, htb/fq_codel/tbf/netem qdiscs, standalone actions"
    printf '## setup (not captured)\n' >> "$TXT"
    x 'ip netns add fxtc'
    x 'ip link add va address 02:00:00:00:00:a1 type veth peer name vb address 02:00:00:00:00:b1 netns fxtc'
    x 'ip addr add 192.0.2.1/24 dev va'
    x 'ip link set va up'
    x 'ip -n fxtc addr add 192.0.2.2/24 dev vb'
    x 'ip -n fxtc link set vb up'
    x 'ip -n fxtc link set lo up'
    x 'ip link add d1 address 02:00:00:00:00:d1 type dummy'
    x 'ip link set d1 up'
    x 'ip link add d2 address 02:00:00:00:00:d2 type dummy'
    x 'ip link set d2 up'
    x 'ip link add d3 address 02:00:00:00:00:d3 type dummy'
    x 'ip link set d3 up'
    capture_start
    x 'tc qdisc add dev va clsact'
    x 'tc qdisc add dev va clsact'
    x 'tc filter add dev va ingress pref 10 matchall action mirred egress mirror dev d1'
    x 'tc filter add dev va egress pref 10 protocol ip u32 match u32 0 0 action mirred egress mirror dev d1'
    x 'tc filter add dev va ingress pref 20 protocol ip flower ip_proto tcp dst_ip 192.0.2.0/24 dst_port 80 action gact drop'
    x 'tc filter add dev va ingress pref 30 protocol ip matchall action police rate 1mbit burst 10k conform-exceed drop'
    x "tc filter add dev va ingress pref 40 protocol all bpf bytecode '1,6 0 0 4294967295,' action pass"
    x 'tc filter add dev va ingress pref 50 protocol ip flower ip_proto udp dst_port 5000 skip_sw action gact drop'
    x 'tc qdisc add dev d1 root handle 1: htb default 10'
    x 'tc class add dev d1 parent 1: classid 1:10 htb rate 10mbit ceil 20mbit'
    x 'tc qdisc add dev d1 parent 1:10 handle 10: fq_codel'
    x 'tc filter add dev d1 parent 1: protocol ip pref 1 u32 match ip dst 192.0.2.0/24 flowid 1:10'
    x 'tc qdisc add dev d2 root tbf rate 1mbit burst 32kbit latency 400ms'
    x 'tc qdisc add dev d3 root netem delay 10ms 1ms loss 0.5%'
    x 'ip netns exec fxtc ping -c 3 -i 0.2 -W 1 192.0.2.1'
    x 'tc qdisc show'
    x 'tc -s qdisc show'
    x 'tc -s -d qdisc show dev d1'
    x 'tc -s class show dev d1'
    x 'tc filter show dev va ingress'
    x 'tc -s filter show dev va ingress'
    x 'tc -s filter show dev va egress'
    x 'tc -s filter show dev d1'
    x 'tc actions add action mirred egress redirect dev d1 index 50'
    x 'tc actions add action gact drop index 7'
    x 'tc actions add action police rate 2mbit burst 20k index 9'
    x 'tc actions list action mirred'
    x 'tc -s actions list action gact'
    x 'tc actions get action mirred index 50'
    x 'tc actions get action mirred index 99'
    x 'tc actions del action mirred index 50'
    x 'tc actions flush action gact'
    x 'tc filter del dev va ingress pref 20'
    x 'tc filter del dev va ingress pref 99'
    x 'tc -s filter show dev va ingress'
    x 'tc qdisc del dev va clsact'
    x 'tc actions flush action gact'
    x 'tc actions flush action police'
    x 'tc actions list action police'
    x 'tc qdisc del dev d1 root'
    x 'tc qdisc del dev d2 root'
    x 'tc qdisc del dev d3 root'
    x 'tc qdisc show'
    capture_stop
    q 'ip link del va'; q 'ip link del d1'; q 'ip link del d2'; q 'ip link del d3'; q 'ip netns del fxtc'
    finish
}

# ================================================================ nftables ==
rec_nftables() {
    begin nftables "nf_tables: tables, chains, rules with meta/payload/cmp/counter/ct/log/limit/lookup expressions, sets, maps, errors"
    capture_start
    bg monitor 'nft monitor'
    sleep 0.3
    x "nft add table inet fx"
    x "nft add chain inet fx input '{ type filter hook input priority 0; policy accept; }'"
    x "nft add chain inet fx output '{ type filter hook output priority 0; policy accept; }'"
    x "nft add chain inet fx custom"
    x "nft add set inet fx blocked '{ type ipv4_addr; flags interval; }'"
    x "nft add element inet fx blocked '{ 192.0.2.0/24, 198.51.100.7 }'"
    x "nft add set inet fx ports '{ type inet_service; elements = { 22, 80, 443 }; }'"
    x "nft add map inet fx portmark '{ type inet_service : mark; }'"
    x "nft add element inet fx portmark '{ 22 : 0x1, 80 : 0x2 }'"
    x "nft add rule inet fx input 'iifname \"lo\" meta l4proto tcp tcp dport @ports ct state new counter log prefix \"fx-new: \" level info accept'"
    x "nft add rule inet fx input ip saddr @blocked counter drop"
    x "nft add rule inet fx input ip daddr 127.0.0.1 udp dport 9999 counter"
    x "nft add rule inet fx input meta mark 0x1 ct state established,related counter accept"
    x "nft add rule inet fx input ip protocol icmp icmp type echo-request limit rate 10/second counter accept"
    x "nft add rule inet fx input ip6 nexthdr ipv6-icmp counter"
    x "nft add rule inet fx input tcp flags syn tcp dport 22 meta mark set tcp dport map @portmark"
    x "nft add rule inet fx input @th,16,16 0x1234 counter jump custom"
    x "nft add rule inet fx custom ct mark set 0x5 counter return"
    x "nft add rule inet fx output meta skuid 0 meta oifname \"lo\" counter"
    x "nft add table ip fxnat"
    x "nft add chain ip fxnat post '{ type nat hook postrouting priority 100; }'"
    x "nft add rule ip fxnat post oifname \"nosuch0\" ip saddr 192.0.2.0/24 masquerade"
    x "nft add chain inet nosuch c"
    x "nft delete table inet nosuch"
    x "nft add rule inet fx input meta nosuchkey 1"
    x 'echo to-9999 | socat -u - UDP:127.0.0.1:9999'
    x 'ping -c 2 -i 0.2 127.0.0.1'
    x "nft list tables"
    x "nft list ruleset"
    x "nft -a list chain inet fx input"
    x "nft list set inet fx blocked"
    x "nft list map inet fx portmark"
    x "nft delete element inet fx blocked '{ 198.51.100.7 }'"
    x "nft delete rule inet fx input handle \$(nft -a list chain inet fx input | sed -n 's/.*udp dport 9999 counter.*# handle \\([0-9]*\\).*/\\1/p')"
    x "nft flush chain inet fx input"
    x "nft delete chain inet fx custom"
    x "nft delete table ip fxnat"
    x "nft delete table inet fx"
    x "nft list ruleset"
    bg_stop_all
    capture_stop
    finish
}

# =============================================================== conntrack ==
rec_conntrack() {
    begin conntrack "ctnetlink: conntrack -L/-E/-S/-C/-I/-U/-D/-F with TCP, UDP and ICMP flows on 127.0.0.1"
    printf '## setup (not captured)\n' >> "$TXT"
    x "nft add table inet ctfx"
    x "nft add chain inet ctfx in '{ type filter hook input priority 0; }'"
    x "nft add chain inet ctfx out '{ type filter hook output priority 0; }'"
    x "nft add rule inet ctfx in ct state new,established counter"
    x "nft add rule inet ctfx out ct state new,established counter"
    x "sysctl -w net.netfilter.nf_conntrack_events=1"
    bg tcpserver 'exec socat -u TCP-LISTEN:5555,bind=127.0.0.1,reuseaddr,fork OPEN:/dev/null'
    bg udpserver 'exec socat -u UDP-RECV:5353,bind=127.0.0.1 OPEN:/dev/null'
    sleep 0.5
    capture_start
    bg events 'exec conntrack -E -o timestamp'
    sleep 0.5
    x 'echo hello | socat -u - TCP:127.0.0.1:5555'
    x 'echo hello-again | socat -u - TCP:127.0.0.1:5555'
    x 'echo datagram | socat -u - UDP:127.0.0.1:5353'
    x 'echo to-closed-port | socat -u - UDP:127.0.0.1:9999'
    x 'ping -c 2 -i 0.2 127.0.0.1'
    x 'conntrack -I -s 192.0.2.1 -d 192.0.2.2 -p tcp --sport 40000 --dport 80 --state ESTABLISHED -t 120 -u ASSURED -m 3'
    x 'conntrack -I -s 192.0.2.1 -d 192.0.2.2 -p tcp --sport 40000 --dport 80 --state ESTABLISHED -t 120'
    x 'sleep 0.5'
    x 'conntrack -L'
    x 'conntrack -L -o extended'
    x 'conntrack -L -p tcp --dport 5555'
    x 'conntrack -G -s 192.0.2.1 -d 192.0.2.2 -p tcp --sport 40000 --dport 80'
    x 'conntrack -U -p udp --dport 5353 -m 7'
    x 'conntrack -U -s 192.0.2.1 -d 192.0.2.2 -p tcp --sport 40000 --dport 80 -m 7'
    x 'conntrack -C'
    x 'conntrack -S'
    x 'conntrack -L expect'
    x 'conntrack -D -p icmp'
    x 'conntrack -D -s 192.0.2.1 -d 192.0.2.2 -p tcp --sport 40000 --dport 80'
    x 'conntrack -D -s 192.0.2.9'
    x 'conntrack -F'
    x 'conntrack -L'
    sleep 0.5
    bg_stop_all
    capture_stop
    q "nft delete table inet ctfx"
    finish
}

# ================================================================ sockdiag ==
rec_sockdiag() {
    begin sockdiag "sock_diag: ss over TCP/UDP (v4, v6), unix, netlink and packet sockets, bytecode filters"
    printf '## setup (not captured)\n' >> "$TXT"
    bg tcplisten 'exec socat -u TCP-LISTEN:7001,bind=127.0.0.1,reuseaddr,fork OPEN:/dev/null'
    bg tcp6listen 'exec socat -u TCP6-LISTEN:7002,bind=[::1],reuseaddr,fork OPEN:/dev/null'
    bg udprecv 'exec socat -u UDP-RECV:7003,bind=127.0.0.1 OPEN:/dev/null'
    bg udp6recv 'exec socat -u UDP6-RECV:7004,bind=[::1] OPEN:/dev/null'
    bg unixlisten 'exec socat -u UNIX-LISTEN:/run/fx.sock,fork OPEN:/dev/null'
    bg unixdgram 'exec socat -u UNIX-RECV:/run/fx-dgram.sock OPEN:/dev/null'
    bg nlmonitor 'exec ip monitor link'
    sleep 0.8
    bg tcpclient 'exec socat -u EXEC:"sleep 60" TCP:127.0.0.1:7001'
    bg tcp6client 'exec socat -u EXEC:"sleep 60" TCP6:[::1]:7002'
    bg unixclient 'exec socat -u EXEC:"sleep 60" UNIX-CONNECT:/run/fx.sock'
    sleep 0.8
    capture_start
    x 'ss -tan'
    x 'ss -tanoi'
    x 'ss -tanem'
    x 'ss -uan'
    x 'ss -6 -tuan'
    x 'ss -tan state listening'
    x "ss -tan '( sport = :7001 or dport = :7001 )'"
    x "ss -tan state established '( dport = :7001 )'"
    x 'ss -xa'
    x 'ss -xae'
    x 'ss -a -A netlink'
    x 'ss -f netlink -ae'
    x 'ss -0 -a'
    x 'ss -wan'
    x 'ss -Man'
    capture_stop
    bg_stop_all
    finish
}

# ==================================================================== xfrm ==
rec_xfrm() {
    begin xfrm "xfrm: ESP states (auth+enc, aead), policies with templates, list/get/count, delete, flush"
    local AK=0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
    local EK=0x202122232425262728292a2b2c2d2e2f
    local GK=0x303132333435363738393a3b3c3d3e3f40414243
    capture_start
    bg monitor 'exec ip -t xfrm monitor'
    sleep 0.3
    x "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00001000 reqid 1 mode tunnel auth-trunc 'hmac(sha256)' $AK 128 enc 'cbc(aes)' $EK"
    x "ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x00001001 reqid 1 mode tunnel auth 'hmac(sha256)' $AK enc 'cbc(aes)' $EK"
    x "ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x00002000 reqid 2 mode transport aead 'rfc4106(gcm(aes))' $GK 128"
    x "ip xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x00003000 reqid 3 mode tunnel auth 'hmac(sha256)' $AK enc 'cbc(aes)' $EK"
    x "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00001000 reqid 1 mode tunnel auth 'hmac(sha256)' $AK enc 'cbc(aes)' $EK"
    x "ip xfrm state add src 192.0.2.1 dst 192.0.2.4 proto esp spi 0x00004000 mode tunnel enc 'cbc(nosuchcipher)' $EK"
    x "ip xfrm policy add src 203.0.113.0/24 dst 198.51.100.0/24 dir out priority 100 tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel"
    x "ip xfrm policy add src 198.51.100.0/24 dst 203.0.113.0/24 dir in priority 100 tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel"
    x "ip xfrm policy add src 198.51.100.0/24 dst 203.0.113.0/24 dir fwd priority 100 tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel"
    x "ip xfrm policy add src 192.0.2.1/32 dst 192.0.2.3/32 proto tcp dport 443 dir out tmpl proto esp reqid 2 mode transport"
    x "ip xfrm policy add src 2001:db8:10::/48 dst 2001:db8:20::/48 dir out tmpl src 2001:db8::1 dst 2001:db8::2 proto esp reqid 3 mode tunnel"
    x "ip xfrm state list"
    x "ip -s xfrm state list"
    x "ip xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00001000"
    x "ip xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x0000beef"
    x "ip xfrm policy list"
    x "ip xfrm policy get src 203.0.113.0/24 dst 198.51.100.0/24 dir out"
    x "ip xfrm state count"
    x "ip xfrm policy count"
    x "ip xfrm state delete src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x00002000"
    x "ip xfrm policy delete src 192.0.2.1/32 dst 192.0.2.3/32 proto tcp dport 443 dir out"
    x "ip xfrm state list"
    x "ip xfrm policy flush"
    x "ip xfrm state flush"
    x "ip xfrm state list"
    x "ip xfrm policy list"
    bg_stop_all
    capture_stop
    finish
}

# ==================================================================== genl ==
rec_genl() {
    begin genl "generic netlink: nlctrl, devlink, ethtool, wireguard, mptcp, fou, macsec, tcp_metrics"
    local WG_PRIV=yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
    local WG_PEER_PRIV=IHGUOGkSGgWsH4ouJ49cMrGvbDSLp2JeTt/Co8MRQUI=
    local WG_PEER_PUB
    printf '## setup (not captured)\n' >> "$TXT"
    x 'ip link add va address 02:00:00:00:00:a1 type veth peer name vb address 02:00:00:00:00:b1'
    x 'ip addr add 192.0.2.1/24 dev va'
    x 'ip link set va up'
    x 'ip link set vb up'
    printf '%s\n' "$WG_PRIV" > "$WORK/wg.key"
    WG_PEER_PUB="$(printf '%s\n' "$WG_PEER_PRIV" | wg pubkey 2>/dev/null)"
    capture_start
    x 'genl ctrl list'
    x 'genl ctrl get name nlctrl'
    x 'genl ctrl get name nosuchfamily'
    x 'devlink dev show'
    x 'devlink port show'
    x 'ethtool lo'
    x 'ethtool -i lo'
    x 'ethtool -k lo'
    x 'ethtool va'
    x 'ethtool -i va'
    x 'ethtool -l va'
    x 'ethtool -k va'
    x 'ethtool -K va tso off'
    x 'ethtool -L va rx 1 tx 1'
    x 'ethtool -g va'
    x 'ethtool --show-eee va'
    x 'ethtool -T va'
    if has_mod wireguard && [ -n "$WG_PEER_PUB" ]; then
        x 'ip link add wg0 type wireguard'
        x "wg set wg0 private-key $WORK/wg.key listen-port 51820 peer $WG_PEER_PUB allowed-ips 192.0.2.0/24,2001:db8::/32 endpoint 127.0.0.1:51821 persistent-keepalive 25"
        x 'wg show wg0'
        x 'wg showconf wg0'
        x 'wg show wg0 dump'
        x 'wg show nosuch0'
        x 'ip link del wg0'
    else
        skip "wireguard" "wireguard module or wg tool missing"
    fi
    x 'ip mptcp limits set subflow 2 add_addr_accepted 2'
    x 'ip mptcp limits show'
    x 'ip mptcp endpoint add 192.0.2.1 id 1 signal dev va'
    x 'ip mptcp endpoint add 192.0.2.1 id 2 signal dev va'
    x 'ip mptcp endpoint show'
    x 'ip mptcp endpoint flush'
    x 'ip fou add port 5555 ipproto 4'
    x 'ip fou show'
    x 'ip fou del port 5555'
    x 'ip tcp_metrics show'
    if has_mod macsec; then
        x 'ip link add link va macsec0 type macsec port 1 encrypt on'
        x 'ip macsec add macsec0 tx sa 0 pn 1 on key 01 000102030405060708090a0b0c0d0e0f'
        x 'ip macsec add macsec0 rx port 1 address 02:00:00:00:00:b1'
        x 'ip macsec show'
        x 'ip link del macsec0'
    else
        skip "macsec" "macsec module did not load"
    fi
    capture_stop
    q 'ip link del va'
    finish
}

# ================================================================= dropmon ==
# dropwatch session driven through a FIFO so SIGINT (stop) and "exit" can be
# sent at the right time. $1 = name, $2.. = dropwatch commands before start
dropwatch_session() {
    local name="$1"; shift
    local fifo="$WORK/dw.$name.in" out="$WORK/dw.$name.out" pid c i
    rm -f "$fifo"; mkfifo "$fifo"
    { printf '#t %s\n' "$(ts)"; printf '$ dropwatch -l kas   # session "%s", commands fed on stdin: %s; start; <UDP to 127.0.0.1:9>; SIGINT; exit\n' "$name" "$*"; } >> "$TXT"
    dropwatch -l kas < "$fifo" > "$out" 2>&1 &
    pid=$!
    exec 7> "$fifo"
    for c in "$@" show start; do printf '%s\n' "$c" >&7; sleep 0.3; done
    sleep 1
    for i in 1 2 3 4 5; do
        printf 'datagram %d\n' "$i" > /dev/udp/127.0.0.1/9 2>/dev/null
        sleep 0.1
    done
    sleep 1.5
    kill -INT "$pid" 2>/dev/null
    sleep 0.5
    printf 'stats\n' >&7; sleep 0.3
    printf 'exit\n' >&7
    exec 7>&-
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    cat "$out" >> "$TXT"
    printf '\n' >> "$TXT"
}

rec_dropmon() {
    begin dropmon "NET_DM drop monitor: nlctrl family lookup, config, start/stop, PACKET_ALERT (packet mode) and summary alerts, stats"
    capture_start
    x 'modprobe drop_monitor'
    dropwatch_session packet 'set alertmode packet' 'set trunc 64' 'set queue 100'
    dropwatch_session summary 'set alertmode summary'
    x 'dropwatch -l list'
    capture_stop
    finish
}

# ================================================================== main ====
for s in route-link-addr route-route-neigh-rule tc nftables conntrack sockdiag xfrm genl dropmon; do
    wanted "$s" || continue
    fn="rec_${s//-/_}"
    "$fn"
    TXT=""
done

# ---- manifest (describes every capture in OUT, also after a partial run) ----
{
    echo "# NlmonPS netlink fixtures - generated by kernel/record-fixtures.sh"
    echo "kernel: $KVER $(uname -v)"
    echo "machine: qemu-system-x86_64 (TCG), $(nproc) CPUs"
    echo "tools:"
    echo "  $(ip -V 2>&1)"
    echo "  $(nft -v 2>&1)"
    echo "  $(conntrack -V 2>&1)"
    echo "  $(tcpdump --version 2>&1 | head -n1)"
    echo "  $(ethtool --version 2>&1)"
    echo "  $(wg --version 2>&1 | cut -d' ' -f1-2)"
    echo "  dropwatch $(dpkg-query -W -f='${Version}' dropwatch 2>/dev/null)"
    echo "  $(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/socat \1/p')"
    echo "captures (linktype NETLINK = 253):"
    for f in "$OUT"/*.pcap; do
        [ -f "$f" ] || continue
        n="$(tcpdump -r "$f" --count 2>/dev/null | sed -n 's/^\([0-9]*\) packets\{0,1\}.*/\1/p')"
        printf '  %-28s %5s packets %8s bytes\n' "$(basename "$f")" "${n:-?}" "$(stat -c %s "$f")"
    done
    echo "skipped:"
    grep -H '^# SKIPPED' "$OUT"/*.txt 2>/dev/null | sed "s|^$OUT/||; s|:# SKIPPED|: |; s|^|  |" \
        || echo "  (none)"
} > "$OUT/MANIFEST.txt"
msg "done: ${#RECORDED[@]} captures in $OUT; skipped: ${#SKIPPED[@]}"
