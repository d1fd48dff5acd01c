using NlmonPS.Decoding;

namespace NlmonPS.Protocols.Route;

/// <summary>Enumerations of rtnetlink (linux/rtnetlink.h, neighbour.h, fib_rules.h, nexthop.h).</summary>
internal static class RouteEnums
{
    /// <summary>RT_TABLE_*; other numbers are user tables.</summary>
    public static readonly EnumTable Table = new("rt-table") { [0] = "unspec", [252] = "compat", [253] = "default", [254] = "main", [255] = "local" };

    /// <summary>RTPROT_*.</summary>
    public static readonly EnumTable Protocol = new("rt-protocol")
    {
        [0] = "unspec", [1] = "redirect", [2] = "kernel", [3] = "boot", [4] = "static", [8] = "gated", [9] = "ra", [10] = "mrt",
        [11] = "zebra", [12] = "bird", [13] = "dnrouted", [14] = "xorp", [15] = "ntk", [16] = "dhcp", [17] = "mrouted",
        [18] = "keepalived", [42] = "babel", [99] = "openr", [186] = "bgp", [187] = "isis", [188] = "ospf", [189] = "rip", [192] = "eigrp",
    };

    /// <summary>RTN_*.</summary>
    public static readonly EnumTable RouteType = new("rtn-type")
    {
        [0] = "unspec", [1] = "unicast", [2] = "local", [3] = "broadcast", [4] = "anycast", [5] = "multicast", [6] = "blackhole",
        [7] = "unreachable", [8] = "prohibit", [9] = "throw", [10] = "nat", [11] = "xresolve",
    };

    /// <summary>RTM_F_* and RTNH_F_* that appear in rtm_flags.</summary>
    public static readonly FlagTable RouteFlags = new("rtm-flags")
    {
        { 0x1, "dead" }, { 0x2, "pervasive" }, { 0x4, "onlink" }, { 0x8, "offload" }, { 0x10, "linkdown" }, { 0x20, "unresolved" },
        { 0x40, "trap" }, { 0x100, "notify" }, { 0x200, "cloned" }, { 0x400, "equalize" }, { 0x800, "prefix" },
        { 0x1000, "lookup_table" }, { 0x2000, "fib_match" }, { 0x4000, "rt_offload" }, { 0x8000, "rt_trap" }, { 0x20000000, "rt_offload_failed" },
    };

    /// <summary>RTNH_F_* (struct rtnexthop flags, nexthop flags).</summary>
    public static readonly FlagTable NextHopFlags = new("rtnh-flags")
    {
        { 0x1, "dead" }, { 0x2, "pervasive" }, { 0x4, "onlink" }, { 0x8, "offload" }, { 0x10, "linkdown" }, { 0x20, "unresolved" }, { 0x40, "trap" },
    };

    /// <summary>NUD_*.</summary>
    public static readonly FlagTable NeighState = new("nud-state")
    {
        { 0x01, "INCOMPLETE" }, { 0x02, "REACHABLE" }, { 0x04, "STALE" }, { 0x08, "DELAY" }, { 0x10, "PROBE" }, { 0x20, "FAILED" },
        { 0x40, "NOARP" }, { 0x80, "PERMANENT" },
    };

    /// <summary>NTF_*.</summary>
    public static readonly FlagTable NeighFlags = new("ntf-flags")
    {
        { 0x01, "use" }, { 0x02, "self" }, { 0x04, "master" }, { 0x08, "proxy" }, { 0x10, "extern_learn" }, { 0x20, "offloaded" },
        { 0x40, "sticky" }, { 0x80, "router" },
    };

    /// <summary>FR_ACT_*.</summary>
    public static readonly EnumTable RuleAction = new("fr-act")
    {
        [0] = "unspec", [1] = "to_tbl", [2] = "goto", [3] = "nop", [4] = "res3", [5] = "res4", [6] = "blackhole", [7] = "unreachable", [8] = "prohibit",
    };

    /// <summary>NTF_EXT_* (NDA_FLAGS_EXT).</summary>
    public static readonly FlagTable NeighFlagsExt = new("ntf-ext-flags") { { 0x1, "managed" }, { 0x2, "locked" }, { 0x4, "ext_validated" } };

    /// <summary>IPPROTO_* that rules and route lookups match on.</summary>
    public static readonly EnumTable IpProto = new("ip-proto")
    {
        [0] = "ip", [1] = "icmp", [2] = "igmp", [4] = "ipip", [6] = "tcp", [17] = "udp", [33] = "dccp", [41] = "ipv6", [47] = "gre",
        [50] = "esp", [51] = "ah", [58] = "ipv6-icmp", [103] = "pim", [132] = "sctp", [136] = "udplite", [137] = "mpls", [262] = "mptcp",
    };

    /// <summary>LWTUNNEL_ENCAP_* in iproute2's words: they also key <see cref="RouteTables.Encap"/>.</summary>
    public static readonly EnumTable EncapType = new("lwtunnel-encap")
    {
        [0] = "none", [1] = "mpls", [2] = "ip", [3] = "ila", [4] = "ip6", [5] = "seg6", [6] = "bpf", [7] = "seg6local", [8] = "rpl",
        [9] = "ioam6", [10] = "xfrm",
    };

    /// <summary>ICMPV6_ROUTER_PREF_* (RTA_PREF).</summary>
    public static readonly EnumTable RoutePref = new("rt-pref") { [0] = "medium", [1] = "high", [2] = "invalid", [3] = "low" };

    /// <summary>NETCONFA_IFINDEX: the two pseudo devices of `ip netconf`.</summary>
    public static readonly EnumTable NetconfIfindex = new("netconf-ifindex") { [0xffffffff] = "all", [0xfffffffe] = "default" };

    /// <summary>NETCONFA_RP_FILTER.</summary>
    public static readonly EnumTable RpFilter = new("rp-filter") { [0] = "off", [1] = "strict", [2] = "loose" };

    /// <summary>NEXTHOP_GRP_TYPE_*.</summary>
    public static readonly EnumTable NextHopGroupType = new("nh-grp-type") { [0] = "mpath", [1] = "resilient" };
}
