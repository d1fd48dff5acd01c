using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>Names shared by the netfilter subsystems (linux/netfilter.h, nf_conntrack_*.h, in.h).</summary>
internal static class NfEnums
{
    /// <summary>NFPROTO_* (linux/netfilter.h): nfgenmsg.nfgen_family and the family attributes.</summary>
    public static readonly EnumTable NfProto = new("nfproto")
    {
        [0] = "unspec", [1] = "inet", [2] = "ipv4", [3] = "arp", [5] = "netdev", [7] = "bridge", [10] = "ipv6", [12] = "decnet",
    };

    /// <summary>IPPROTO_* (linux/in.h), as conntrack and nft print them.</summary>
    public static readonly EnumTable IpProto = new("ipproto")
    {
        [0] = "ip", [1] = "icmp", [2] = "igmp", [4] = "ipip", [6] = "tcp", [8] = "egp", [17] = "udp", [33] = "dccp",
        [41] = "ipv6", [47] = "gre", [50] = "esp", [51] = "ah", [58] = "icmpv6", [103] = "pim", [108] = "comp",
        [132] = "sctp", [136] = "udplite", [137] = "mpls", [143] = "ethernet", [255] = "raw", [262] = "mptcp",
    };

    /// <summary>NF_INET_* hooks (linux/netfilter.h); netdev and arp families number theirs from 0 too (see Hook).</summary>
    public static readonly EnumTable InetHook = new("nf-inet-hooks")
    {
        [0] = "prerouting", [1] = "input", [2] = "forward", [3] = "output", [4] = "postrouting", [5] = "ingress",
    };

    /// <summary>The hook's name in its family: netdev has ingress/egress, arp input/output/forward.</summary>
    public static string HookName(string? family, ulong hook) => family switch
    {
        "netdev" => hook switch { 0 => "ingress", 1 => "egress", _ => hook.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        "arp" => hook switch { 0 => "input", 1 => "output", 2 => "forward", _ => hook.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        _ => InetHook.NameOf(hook),
    };

    /// <summary>NF_DROP.. (linux/netfilter.h) and the nf_tables verdicts NFT_CONTINUE.. (negative, as u32).</summary>
    public static readonly EnumTable Verdict = new("nf-verdict")
    {
        [0] = "drop", [1] = "accept", [2] = "stolen", [3] = "queue", [4] = "repeat", [5] = "stop",
        [0xffffffff] = "continue", [0xfffffffe] = "break", [0xfffffffd] = "jump", [0xfffffffc] = "goto", [0xfffffffb] = "return",
    };

    /// <summary>enum ip_conntrack_status (nf_conntrack_common.h): the IPS_* bits.</summary>
    public static readonly FlagTable ConntrackStatus = new("ips")
    {
        { 0x1, "EXPECTED" }, { 0x2, "SEEN_REPLY" }, { 0x4, "ASSURED" }, { 0x8, "CONFIRMED" }, { 0x10, "SRC_NAT" },
        { 0x20, "DST_NAT" }, { 0x40, "SEQ_ADJUST" }, { 0x80, "SRC_NAT_DONE" }, { 0x100, "DST_NAT_DONE" }, { 0x200, "DYING" },
        { 0x400, "FIXED_TIMEOUT" }, { 0x800, "TEMPLATE" }, { 0x1000, "UNTRACKED" }, { 0x2000, "HELPER" },
        { 0x4000, "OFFLOAD" }, { 0x8000, "HW_OFFLOAD" },
    };

    /// <summary>enum tcp_conntrack (nf_conntrack_tcp.h), in conntrack's spelling.</summary>
    public static readonly EnumTable TcpState = new("tcp-conntrack")
    {
        [0] = "NONE", [1] = "SYN_SENT", [2] = "SYN_RECV", [3] = "ESTABLISHED", [4] = "FIN_WAIT", [5] = "CLOSE_WAIT",
        [6] = "LAST_ACK", [7] = "TIME_WAIT", [8] = "CLOSE", [9] = "SYN_SENT2",
    };

    /// <summary>IP_CT_TCP_FLAG_* (nf_conntrack_tcp.h).</summary>
    public static readonly FlagTable TcpFlags = new("ip-ct-tcp-flags")
    {
        { 0x01, "WINDOW_SCALE" }, { 0x02, "SACK_PERM" }, { 0x04, "CLOSE_INIT" }, { 0x08, "BE_LIBERAL" },
        { 0x10, "DATA_UNACKNOWLEDGED" }, { 0x20, "MAXACK_SET" }, { 0x40, "CHALLENGE_ACK" }, { 0x80, "SIMULTANEOUS_OPEN" },
    };

    /// <summary>enum sctp_conntrack (nf_conntrack_sctp.h).</summary>
    public static readonly EnumTable SctpState = new("sctp-conntrack")
    {
        [0] = "NONE", [1] = "CLOSED", [2] = "COOKIE_WAIT", [3] = "COOKIE_ECHOED", [4] = "ESTABLISHED", [5] = "SHUTDOWN_SENT",
        [6] = "SHUTDOWN_RECD", [7] = "SHUTDOWN_ACK_SENT", [8] = "HEARTBEAT_SENT", [9] = "HEARTBEAT_ACKED",
    };

    /// <summary>enum ct_dccp_states (nf_conntrack_dccp.h).</summary>
    public static readonly EnumTable DccpState = new("dccp-conntrack")
    {
        [0] = "NONE", [1] = "REQUEST", [2] = "RESPOND", [3] = "PARTOPEN", [4] = "OPEN", [5] = "CLOSEREQ", [6] = "CLOSING",
        [7] = "TIMEWAIT", [8] = "IGNORE", [9] = "INVALID",
    };

    /// <summary>enum ip_conntrack_info (nf_conntrack_common.h): NFQA_CT_INFO, NFULA_CT_INFO.</summary>
    public static readonly EnumTable ConntrackInfo = new("ip-conntrack-info")
    {
        [0] = "ESTABLISHED", [1] = "RELATED", [2] = "NEW", [3] = "ESTABLISHED_REPLY", [4] = "RELATED_REPLY", [5] = "NEW_REPLY",
    };

    /// <summary>NF_CT_EXPECT_* (nf_conntrack_common.h).</summary>
    public static readonly FlagTable ExpectFlags = new("nf-ct-expect-flags")
    {
        { 0x1, "PERMANENT" }, { 0x2, "INACTIVE" }, { 0x4, "USERSPACE" },
    };

    /// <summary>Ethertypes seen in hw_protocol fields (linux/if_ether.h).</summary>
    public static readonly EnumTable EtherType = new("ethertype")
    {
        [0x0800] = "ipv4", [0x0806] = "arp", [0x86dd] = "ipv6", [0x8100] = "8021q", [0x88a8] = "8021ad", [0x8847] = "mpls_uc",
    };

    /// <summary>struct nfgenmsg (nfnetlink.h): every netfilter message starts with it; res_id is big-endian.</summary>
    public static readonly StructSpec NfGenMsg = new("nfgenmsg", 4)
    {
        { "family", 0, U8, NfProto }, { "version", 1, U8 }, { "res_id", 2, U16, null, null, 0, true },
    };

    /// <summary>A table of consecutive names, from 0 (for the long enums of keys).</summary>
    public static EnumTable Names(string name, params string[] names) => Names(name, 0, names);

    /// <summary>A table of consecutive names from <paramref name="first"/> (ipset's errors start at 4096).</summary>
    public static EnumTable Names(string name, int first, params string[] names)
    {
        var table = new EnumTable(name);
        for (int i = 0; i < names.Length; i++) if (names[i].Length > 0) table[(ulong)(first + i)] = names[i];
        return table;
    }
}
