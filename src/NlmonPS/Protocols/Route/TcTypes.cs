using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Route;

/// <summary>
/// Enumerations, structs and statistics sets shared by qdiscs, classes, filters and actions (linux/pkt_sched.h,
/// pkt_cls.h, gen_stats.h). Depends on nothing else of traffic control, so the other Tc* tables can use it while
/// they initialise.
/// </summary>
internal static class TcTypes
{
    /// <summary>TC_ACT_* verdicts (pkt_cls.h). Jump and goto-chain carry a value and stay numbers.</summary>
    public static readonly EnumTable Verdict = new("tc-act")
    {
        [0xffffffff] = "unspec", [0] = "ok", [1] = "reclassify", [2] = "shot", [3] = "pipe", [4] = "stolen",
        [5] = "queued", [6] = "repeat", [7] = "redirect", [8] = "trap",
    };

    /// <summary>TCA_CLS_FLAGS_* of filters.</summary>
    public static readonly FlagTable ClassifierFlags = new("tca-cls-flags")
    {
        { 0x1, "skip_hw" }, { 0x2, "skip_sw" }, { 0x4, "in_hw" }, { 0x8, "not_in_hw" }, { 0x10, "verbose" },
    };

    /// <summary>EtherTypes by the names tc uses (iproute2 lib/ll_proto.c): filter protocols, flower and vlan keys.</summary>
    public static readonly EnumTable EtherType = new("ethertype")
    {
        [0x0001] = "802_3", [0x0003] = "all", [0x0004] = "802_2", [0x0005] = "snap", [0x000c] = "can", [0x0060] = "loop",
        [0x0800] = "ip", [0x0806] = "arp", [0x6558] = "teb", [0x8035] = "rarp", [0x809b] = "atalk", [0x80f3] = "aarp",
        [0x8100] = "802.1Q", [0x8137] = "ipx", [0x86dd] = "ipv6", [0x8847] = "mpls_uc", [0x8848] = "mpls_mc",
        [0x8863] = "ppp_disc", [0x8864] = "ppp_ses", [0x88a2] = "aoe", [0x88a8] = "802.1ad", [0x88ca] = "tipc", [0x88cc] = "LLDP",
    };

    /// <summary>IPPROTO_* as tc prints them (flower ip_proto, u32 protocol).</summary>
    public static readonly EnumTable IpProtocol = new("ip-proto")
    {
        [1] = "icmp", [2] = "igmp", [6] = "tcp", [17] = "udp", [47] = "gre", [50] = "esp", [51] = "ah", [58] = "icmpv6",
        [132] = "sctp", [136] = "udplite",
    };

    public static readonly EnumTable LinkLayer = new("tc-link-layer") { [0] = "unaware", [1] = "ethernet", [2] = "atm" };

    /// <summary>struct tc_ratespec: a rate in bytes per second with its cell layout.</summary>
    public static readonly StructSpec RateSpec = new("tc_ratespec", 12)
    {
        { "cell_log", 0, U8 }, { "linklayer", 1, U8, LinkLayer }, { "overhead", 2, U16 }, { "cell_align", 4, S16 },
        { "mpu", 6, U16 }, { "rate", 8, U32 },
    };

    /// <summary>struct tc_stats (TCA_STATS): the legacy counters, 36 bytes padded to 40 on 64-bit.</summary>
    public static readonly StructSpec Stats = MinSize(new("tc_stats", 40)
    {
        { "bytes", 0, U64 }, { "packets", 8, U32 }, { "drops", 12, U32 }, { "overlimits", 16, U32 }, { "bps", 20, U32 },
        { "pps", 24, U32 }, { "qlen", 28, U32 }, { "backlog", 32, U32 },
    }, 36);

    /// <summary>struct tc_estimator (TCA_RATE).</summary>
    public static readonly StructSpec Estimator = new("tc_estimator", 2) { { "interval", 0, S8 }, { "ewma_log", 1, U8 } };

    /// <summary>struct nla_bitfield32: the value and which of its bits the sender sets.</summary>
    public static StructSpec Bitfield32(string name, FlagTable flags) =>
        new(name, 8) { { "value", 0, U32, null, flags }, { "selector", 4, U32, null, flags } };

    /// <summary>struct tcf_t: action install/use times (jiffies converted to clock ticks).</summary>
    public static readonly StructSpec Times = Enums.Sequential("tcf_t", U64, "install", "lastuse", "expires", "firstuse");

    /// <summary>struct gnet_stats_basic (16 bytes on 64-bit, 12 where u64 aligns to 4).</summary>
    public static readonly StructSpec GnetBasic = MinSize(new("gnet_stats_basic", 16) { { "bytes", 0, U64 }, { "packets", 8, U32 } }, 12);
    public static readonly StructSpec GnetQueue = Enums.Sequential("gnet_stats_queue", U32, "qlen", "backlog", "drops", "requeues", "overlimits");

    /// <summary>TCA_STATS2, TCA_ACT_STATS (gen_stats.h). TCA_STATS_APP repeats TCA_XSTATS, decoded there by kind.</summary>
    public static readonly AttributeTable StatsSet = new("tca-stats", "TCA_STATS_")
    {
        [1] = new("basic", Struct) { Struct = GnetBasic },
        [2] = new("rate_est", Struct) { Struct = Enums.Sequential("gnet_stats_rate_est", U32, "bps", "pps") },
        [3] = new("queue", Struct) { Struct = GnetQueue },
        [4] = new("app", Binary),
        [5] = new("rate_est64", Struct) { Struct = Enums.Sequential("gnet_stats_rate_est64", U64, "bps", "pps") },
        [6] = new("pad", Binary),
        [7] = new("basic_hw", Struct) { Struct = GnetBasic },
        [8] = new("pkt64", U64),
    };

    /// <summary>
    /// A struct ending in a flexible array (tc_u32_sel keys[], tc_pedit_sel keys[]): the header's fields, then
    /// "&lt;element&gt;0", "&lt;element&gt;1"... up to <paramref name="max"/>, each decoded only when its bytes are there.
    /// </summary>
    public static StructSpec WithTrailingArray(StructSpec header, int offset, string element, StructSpec item, int max)
    {
        var spec = new StructSpec(header.Name, offset) { MinSize = offset };
        spec.AddRange(header);
        for (int i = 0; i < max; i++)
            spec.Add(new FieldSpec($"{element}{i}", offset + i * item.Size, item.Count == 1 ? item[0].Kind : Struct, item.Size)
            {
                Struct = item.Count == 1 ? null : item,
                Enum = item.Count == 1 ? item[0].Enum : null,
                NetworkOrder = item.Count == 1 && item[0].NetworkOrder,
            });
        return spec;
    }

    /// <summary>A copy of a struct that may arrive shorter (older kernels, 32-bit padding): fields past minSize are optional.</summary>
    public static StructSpec MinSize(StructSpec spec, int minSize)
    {
        var copy = new StructSpec(spec.Name, spec.Size) { MinSize = minSize };
        copy.AddRange(spec);
        return copy;
    }

    /// <summary>The tc_gen head of every action's parameters: index, capab, action (verdict), refcnt, bindcnt.</summary>
    public static StructSpec Gen(string name, int size, params FieldSpec[] more)
    {
        var spec = new StructSpec(name, size)
        {
            { "index", 0, U32 }, { "capab", 4, U32 }, { "action", 8, S32, Verdict }, { "refcnt", 12, S32 }, { "bindcnt", 16, S32 },
        };
        spec.AddRange(more);
        return spec;
    }
}
