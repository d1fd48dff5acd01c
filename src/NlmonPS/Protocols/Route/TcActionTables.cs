using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;
using static NlmonPS.Protocols.Route.TcTypes;

namespace NlmonPS.Protocols.Route;

/// <summary>
/// Actions (linux/pkt_cls.h TCA_ACT_*, linux/tc_act/*.h): the action set, its per-kind options, and the action
/// lists that filters (TCA_*_ACT) and RTM_*ACTION messages (TCA_ROOT_TAB) carry.
/// </summary>
internal static class TcActionTables
{
    /// <summary>TCA_EGRESS_REDIR... (tc_mirred.h): where mirred sends the packet.</summary>
    public static readonly EnumTable MirredAction = new("tca-mirred-eaction")
    {
        [1] = "egress_redir", [2] = "egress_mirror", [3] = "ingress_redir", [4] = "ingress_mirror",
    };

    public static readonly StructSpec Mirred = Gen("tc_mirred", 28,
        new FieldSpec("eaction", 20, S32) { Enum = MirredAction }, new FieldSpec("ifindex", 24, U32));

    public static readonly AttributeTable MirredOptions = new("tc-mirred", "TCA_MIRRED_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct) { Struct = Mirred },
        [3] = new("pad", Binary),
        [4] = new("blockid", U32),
    };

    /// <summary>PGACT_* (tc_gact.h): how gact picks its second verdict.</summary>
    public static readonly EnumTable GactProbability = new("pgact") { [0] = "none", [1] = "netrand", [2] = "determ" };

    public static readonly AttributeTable GactOptions = new("tc-gact", "TCA_GACT_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct) { Struct = Gen("tc_gact", 20) },
        [3] = new("prob", Struct)
        {
            Struct = new StructSpec("tc_gact_p", 8) { { "ptype", 0, U16, GactProbability }, { "pval", 2, U16 }, { "paction", 4, S32, Verdict } },
        },
        [4] = new("pad", Binary),
    };

    /// <summary>struct tc_police: the token bucket; rate tables (TCA_POLICE_RATE/PEAKRATE) are 256 u32 cell times.</summary>
    public static readonly StructSpec PoliceParameters = new("tc_police", 56)
    {
        { "index", 0, U32 }, { "action", 4, S32, Verdict }, { "limit", 8, U32 }, { "burst", 12, U32 }, { "mtu", 16, U32 },
        new FieldSpec("rate", 20, Struct, 12) { Struct = RateSpec }, new FieldSpec("peakrate", 32, Struct, 12) { Struct = RateSpec },
        { "refcnt", 44, S32 }, { "bindcnt", 48, S32 }, { "capab", 52, U32 },
    };

    /// <summary>The police action, and also the old-style TCA_*_POLICE nests of filters.</summary>
    public static readonly AttributeTable Police = new("tc-police", "TCA_POLICE_")
    {
        [1] = new("tbf", Struct) { Struct = PoliceParameters },
        [2] = new("rate", Binary),
        [3] = new("peakrate", Binary),
        [4] = new("avrate", U32),
        [5] = new("result", S32) { Enum = Verdict },
        [6] = new("tm", Struct) { Struct = Times },
        [7] = new("pad", Binary),
        [8] = new("rate64", U64),
        [9] = new("peakrate64", U64),
        [10] = new("pktrate64", U64),
        [11] = new("pktburst64", U64),
    };

    /// <summary>SKBEDIT_F_*: TCA_SKBEDIT_FLAGS uses the last two.</summary>
    public static readonly FlagTable SkbeditFlags = new("skbedit-flags")
    {
        { 0x1, "priority" }, { 0x2, "queue_mapping" }, { 0x4, "mark" }, { 0x8, "ptype" }, { 0x10, "mask" }, { 0x20, "inheritdsfield" }, { 0x40, "txq_skbhash" },
    };

    public static readonly AttributeTable SkbeditOptions = new("tc-skbedit", "TCA_SKBEDIT_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct) { Struct = Gen("tc_skbedit", 20) },
        [3] = new("priority", U32),
        [4] = new("queue_mapping", U16),
        [5] = new("mark", U32),
        [6] = new("pad", Binary),
        [7] = new("ptype", U16),
        [8] = new("mask", U32),
        [9] = new("flags", U64) { Flags = SkbeditFlags },
        [10] = new("queue_mapping_max", U16),
    };

    public static readonly EnumTable VlanAction = new("tca-vlan-act") { [1] = "pop", [2] = "push", [3] = "modify", [4] = "pop_eth", [5] = "push_eth" };

    public static readonly AttributeTable VlanOptions = new("tc-vlan", "TCA_VLAN_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct) { Struct = Gen("tc_vlan", 24, new FieldSpec("v_action", 20, S32) { Enum = VlanAction }) },
        [3] = new("push_vlan_id", U16),
        [4] = new("push_vlan_protocol", U16) { NetworkOrder = true, Enum = EtherType },
        [5] = new("pad", Binary),
        [6] = new("push_vlan_priority", U8),
        [7] = new("push_eth_dst", HardwareAddress),
        [8] = new("push_eth_src", HardwareAddress),
    };

    public static readonly FlagTable CsumFlags = new("tca-csum-update-flags")
    {
        { 1, "iph" }, { 2, "icmp" }, { 4, "igmp" }, { 8, "tcp" }, { 16, "udp" }, { 32, "udplite" }, { 64, "sctp" },
    };

    public static readonly AttributeTable CsumOptions = new("tc-csum", "TCA_CSUM_")
    {
        [1] = new("parms", Struct) { Struct = Gen("tc_csum", 24, new FieldSpec("update_flags", 20, U32) { Flags = CsumFlags }) },
        [2] = new("tm", Struct) { Struct = Times },
        [3] = new("pad", Binary),
    };

    /// <summary>struct tc_pedit_key: one 32-bit rewrite (new = (old &amp; mask) ^ val at off); tc stores mask and val in network order.</summary>
    public static readonly StructSpec PeditKey = new("tc_pedit_key", 24)
    {
        { "mask", 0, U32, null, null, 0, true }, { "val", 4, U32, null, null, 0, true }, { "off", 8, U32 }, { "at", 12, U32 },
        { "offmask", 16, U32 }, { "shift", 20, U32 },
    };

    /// <summary>struct tc_pedit_sel: tc_gen, nkeys, flags, then nkeys keys.</summary>
    public static readonly StructSpec PeditSelector = WithTrailingArray(
        Gen("tc_pedit_sel", 24, new FieldSpec("nkeys", 20, U8), new FieldSpec("flags", 21, U8)), 24, "key", PeditKey, 255);

    public static readonly AttributeTable PeditKeyEx = new("tc-pedit-key-ex", "TCA_PEDIT_KEY_EX_")
    {
        [1] = new("htype", U16) { Enum = new EnumTable("pedit-header-type") { [0] = "network", [1] = "eth", [2] = "ip4", [3] = "ip6", [4] = "tcp", [5] = "udp" } },
        [2] = new("cmd", U16) { Enum = new EnumTable("pedit-cmd") { [0] = "set", [1] = "add" } },
    };

    public static readonly AttributeTable PeditOptions = new("tc-pedit", "TCA_PEDIT_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct) { Struct = PeditSelector },
        [3] = new("pad", Binary),
        [4] = new("parms_ex", Struct) { Struct = PeditSelector },
        [5] = new("keys_ex", Nested) { Nested = new AttributeTable("tc-pedit-keys-ex", "TCA_PEDIT_") { [6] = new("key_ex", Nested) { Nested = PeditKeyEx } } },
        [6] = new("key_ex", Nested) { Nested = PeditKeyEx },
    };

    public static readonly AttributeTable BpfOptions = new("tc-act-bpf", "TCA_ACT_BPF_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct) { Struct = Gen("tc_act_bpf", 20) },
        [3] = new("ops_len", U16),
        [4] = new("ops", Binary),
        [5] = new("fd", U32),
        [6] = new("name", ValueKind.String),
        [7] = new("pad", Binary),
        [8] = new("tag", Binary),
        [9] = new("id", U32),
    };

    public static readonly AttributeTable NatOptions = new("tc-nat", "TCA_NAT_")
    {
        [1] = new("parms", Struct)
        {
            Struct = Gen("tc_nat", 36, new FieldSpec("old_addr", 20, IPv4), new FieldSpec("new_addr", 24, IPv4),
                new FieldSpec("mask", 28, IPv4), new FieldSpec("flags", 32, U32) { Flags = new FlagTable("tca-nat-flags") { { 1, "egress" } } }),
        },
        [2] = new("tm", Struct) { Struct = Times },
        [3] = new("pad", Binary),
    };

    /// <summary>act_simple ("simple"): tc_defact.h.</summary>
    public static readonly AttributeTable SimpleOptions = new("tc-defact", "TCA_DEF_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct) { Struct = Gen("tc_defact", 20) },
        [3] = new("data", ValueKind.String),
        [4] = new("pad", Binary),
    };

    public static readonly AttributeTable SampleOptions = new("tc-sample", "TCA_SAMPLE_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct) { Struct = Gen("tc_sample", 20) },
        [3] = new("rate", U32),
        [4] = new("trunc_size", U32),
        [5] = new("psample_group", U32),
        [6] = new("pad", Binary),
    };

    public static readonly AttributeTable ConnmarkOptions = new("tc-connmark", "TCA_CONNMARK_")
    {
        [1] = new("parms", Struct) { Struct = Gen("tc_connmark", 24, new FieldSpec("zone", 20, U16)) },
        [2] = new("tm", Struct) { Struct = Times },
        [3] = new("pad", Binary),
    };

    public static readonly AttributeTable TunnelKeyOptions = new("tc-tunnel-key", "TCA_TUNNEL_KEY_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct)
        {
            Struct = Gen("tc_tunnel_key", 24, new FieldSpec("t_action", 20, S32) { Enum = new EnumTable("tca-tunnel-key-act") { [1] = "set", [2] = "release" } }),
        },
        [3] = new("enc_ipv4_src", IPv4),
        [4] = new("enc_ipv4_dst", IPv4),
        [5] = new("enc_ipv6_src", IPv6),
        [6] = new("enc_ipv6_dst", IPv6),
        [7] = new("enc_key_id", U32) { NetworkOrder = true },
        [8] = new("pad", Binary),
        [9] = new("enc_dst_port", U16) { NetworkOrder = true },
        [10] = new("no_csum", U8),
        [11] = new("enc_opts", Binary),
        [12] = new("enc_tos", U8),
        [13] = new("enc_ttl", U8),
    };

    public static readonly FlagTable CtActionFlags = new("tca-ct-act")
    {
        { 1, "commit" }, { 2, "force" }, { 4, "clear" }, { 8, "nat" }, { 16, "nat_src" }, { 32, "nat_dst" },
    };

    public static readonly AttributeTable CtOptions = new("tc-ct", "TCA_CT_")
    {
        [1] = new("parms", Struct) { Struct = Gen("tc_ct", 20) },
        [2] = new("tm", Struct) { Struct = Times },
        [3] = new("action", U16) { Flags = CtActionFlags },
        [4] = new("zone", U16),
        [5] = new("mark", U32),
        [6] = new("mark_mask", U32),
        [7] = new("labels", Binary),
        [8] = new("labels_mask", Binary),
        [9] = new("nat_ipv4_min", IPv4),
        [10] = new("nat_ipv4_max", IPv4),
        [11] = new("nat_ipv6_min", IPv6),
        [12] = new("nat_ipv6_max", IPv6),
        [13] = new("nat_port_min", U16) { NetworkOrder = true },
        [14] = new("nat_port_max", U16) { NetworkOrder = true },
        [15] = new("pad", Binary),
    };

    public static readonly AttributeTable MplsOptions = new("tc-mpls", "TCA_MPLS_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct)
        {
            Struct = Gen("tc_mpls", 24, new FieldSpec("m_action", 20, S32)
            {
                Enum = new EnumTable("tca-mpls-act") { [1] = "pop", [2] = "push", [3] = "modify", [4] = "dec_ttl", [5] = "mac_push" },
            }),
        },
        [3] = new("pad", Binary),
        [4] = new("proto", U16) { NetworkOrder = true, Enum = EtherType },
        [5] = new("label", U32),
        [6] = new("tc", U8),
        [7] = new("ttl", U8),
        [8] = new("bos", U8),
    };

    public static readonly AttributeTable SkbmodOptions = new("tc-skbmod", "TCA_SKBMOD_")
    {
        [1] = new("tm", Struct) { Struct = Times },
        [2] = new("parms", Struct)
        {
            Struct = Gen("tc_skbmod", 32, new FieldSpec("flags", 24, U64)
            {
                Flags = new FlagTable("skbmod-flags") { { 1, "dmac" }, { 2, "smac" }, { 4, "etype" }, { 8, "swapmac" }, { 16, "ecn" } },
            }),
        },
        [3] = new("dmac", HardwareAddress),
        [4] = new("smac", HardwareAddress),
        [5] = new("etype", U16) { NetworkOrder = true, Enum = EtherType },
        [6] = new("pad", Binary),
    };

    public static readonly AttributeTable CtinfoOptions = new("tc-ctinfo", "TCA_CTINFO_")
    {
        [1] = new("pad", Binary),
        [2] = new("tm", Struct) { Struct = Times },
        [3] = new("act", Struct) { Struct = Gen("tc_ctinfo", 20) },
        [4] = new("zone", U16),
        [5] = new("parms_dscp_mask", U32),
        [6] = new("parms_dscp_statemask", U32),
        [7] = new("parms_cpmark_mask", U32),
        [8] = new("stats_dscp_set", U64),
        [9] = new("stats_dscp_error", U64),
        [10] = new("stats_cpmark_set", U64),
    };

    /// <summary>TCA_ACT_OPTIONS by TCA_ACT_KIND. A kind missing here still decodes, with numbered attributes.</summary>
    public static readonly Dictionary<string, AttributeTable> Kinds = new(StringComparer.Ordinal)
    {
        ["mirred"] = MirredOptions, ["gact"] = GactOptions, ["police"] = Police, ["skbedit"] = SkbeditOptions,
        ["vlan"] = VlanOptions, ["csum"] = CsumOptions, ["pedit"] = PeditOptions, ["bpf"] = BpfOptions, ["nat"] = NatOptions,
        ["simple"] = SimpleOptions, ["sample"] = SampleOptions, ["connmark"] = ConnmarkOptions, ["tunnel_key"] = TunnelKeyOptions,
        ["ct"] = CtOptions, ["mpls"] = MplsOptions, ["skbmod"] = SkbmodOptions, ["ctinfo"] = CtinfoOptions,
    };

    public static readonly FlagTable ActionFlags = new("tca-act-flags") { { 1, "no_percpu_stats" }, { 2, "skip_hw" }, { 4, "skip_sw" } };
    public static readonly FlagTable HwStats = new("tca-act-hw-stats") { { 1, "immediate" }, { 2, "delayed" } };

    /// <summary>One action (TCA_ACT_*).</summary>
    public static readonly AttributeTable Action = new("tc-act-attrs", "TCA_ACT_")
    {
        [1] = new("kind", ValueKind.String),
        [2] = new("options", Nested) { SelectorAttribute = 1, NestedByKind = Kinds },
        [3] = new("index", U32),
        [4] = new("stats", Nested) { Nested = StatsSet },
        [5] = new("pad", Binary),
        [6] = new("cookie", Binary),
        [7] = new("flags", Struct) { Struct = Bitfield32("tca-act-flags", ActionFlags) },
        [8] = new("hw_stats", Struct) { Struct = Bitfield32("tca-act-hw-stats", HwStats) },
        [9] = new("used_hw_stats", Struct) { Struct = Bitfield32("tca-act-used-hw-stats", HwStats) },
        [10] = new("in_hw_count", U32),
    };

    /// <summary>
    /// An action list: entries typed by their order (1, 2... in filters; from 0 in action dumps), each an action.
    /// The order number itself is in the entry's header (see <see cref="TcSummaries"/>).
    /// </summary>
    public static AttributeSpec List(string name) => new(name, NestedArray) { Nested = Action };
}
