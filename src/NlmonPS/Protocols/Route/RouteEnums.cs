using NlmonPS.Decoding;

namespace NlmonPS.Protocols.Route;

/// <summary>Enumerations of rtnetlink (linux/rtnetlink.h, neighbour.h, fib_rules.h, nexthop.h).</summary>
public static class RouteEnums
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
        { 0x1000, "lookup_table" }, { 0x2000, "fib_match" }, { 0x4000, "rt_offload" }, { 0x8000, "rt_trap" }, { 0x20000, "rt_offload_failed" },
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
}
