using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Route;

/// <summary>
/// Traffic control: qdiscs, classes, filters, chains (TCA_*, linux/rtnetlink.h) and actions (TCA_ROOT_*).
/// Per-kind sets live in <see cref="TcQdiscTables"/>, <see cref="TcFilterTables"/> and <see cref="TcActionTables"/>;
/// shared structs in <see cref="TcTypes"/>.
/// </summary>
internal static class TcTables
{
    /// <summary>TCA_OPTIONS by TCA_KIND: qdisc and class kinds, then filter kinds (the names never collide).</summary>
    public static readonly Dictionary<string, AttributeTable> Options =
        TcQdiscTables.Kinds.Concat(TcFilterTables.Kinds).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    public static readonly AttributeTable SizeTable = new("tca-stab", "TCA_STAB_")
    {
        [1] = new("base", Struct)
        {
            Struct = new StructSpec("tc_sizespec", 24)
            {
                { "cell_log", 0, U8 }, { "size_log", 1, U8 }, { "cell_align", 2, S16 }, { "overhead", 4, S32 },
                { "linklayer", 8, U32, TcTypes.LinkLayer }, { "mpu", 12, U32 }, { "mtu", 16, U32 }, { "tsize", 20, U32 },
            },
        },
        [2] = new("data", Binary),
    };

    public static readonly FlagTable DumpFlags = new("tca-dump-flags") { { 1, "terse" } };

    /// <summary>The attributes of RTM_*QDISC, RTM_*TCLASS, RTM_*TFILTER and RTM_*CHAIN (after struct tcmsg).</summary>
    public static readonly AttributeTable Tc = new("tc", "TCA_")
    {
        [1] = new("kind", ValueKind.String),
        [2] = new("options", Nested) { SelectorAttribute = 1, NestedByKind = Options, StructByKind = TcQdiscTables.StructKinds },
        [3] = new("stats", Struct) { Struct = TcTypes.Stats },
        [4] = new("xstats", Nested) { SelectorAttribute = 1, NestedByKind = TcQdiscTables.StatsSets, StructByKind = TcQdiscTables.StatsStructs },
        [5] = new("rate", Struct) { Struct = TcTypes.Estimator },
        [6] = new("fcnt", U32),
        [7] = new("stats2", Nested) { Nested = TcTypes.StatsSet },
        [8] = new("stab", Nested) { Nested = SizeTable },
        [9] = new("pad", Binary),
        [10] = new("dump_invisible", Flag),
        [11] = new("chain", U32),
        [12] = new("hw_offload", U8),
        [13] = new("ingress_block", U32),
        [14] = new("egress_block", U32),
        [15] = new("dump_flags", Struct) { Struct = TcTypes.Bitfield32("tca-dump-flags", DumpFlags) },
        [16] = new("ext_warn_msg", ValueKind.String),
    };

    public static readonly FlagTable RootFlags = new("tca-root-flags") { { 1, "large_dump_on" }, { 2, "terse_dump" } };

    /// <summary>The attributes of RTM_*ACTION (after struct tcamsg).</summary>
    public static readonly AttributeTable ActionRoot = new("tc-action-root", "TCA_ROOT_")
    {
        [1] = TcActionTables.List("tab"),
        [2] = new("flags", Struct) { Struct = TcTypes.Bitfield32("tca-root-flags", RootFlags) },
        [3] = new("count", U32),
        [4] = new("time_delta", U32),
        [5] = new("ext_warn_msg", ValueKind.String),
    };
}
