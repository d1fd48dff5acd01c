using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;
using static NlmonPS.Protocols.Route.TcTypes;

namespace NlmonPS.Protocols.Route;

/// <summary>Classifier options (TCA_OPTIONS of filters and chain templates, linux/pkt_cls.h), by filter kind.</summary>
internal static class TcFilterTables
{
    private static AttributeSpec Police(string name = "police") => new(name, Nested) { Nested = TcActionTables.Police };

    // ---- u32 -------------------------------------------------------------------------------------------------

    public static readonly FlagTable U32SelectorFlags = new("tc-u32-sel-flags") { { 1, "terminal" }, { 2, "offset" }, { 4, "varoffset" }, { 8, "eat" } };

    /// <summary>struct tc_u32_key: a 32-bit match at an offset (mask and value in network order).</summary>
    public static readonly StructSpec U32Key = new("tc_u32_key", 16)
    {
        { "mask", 0, U32, null, null, 0, true }, { "val", 4, U32, null, null, 0, true }, { "off", 8, S32 }, { "offmask", 12, S32 },
    };

    /// <summary>struct tc_u32_sel: the selector head, then nkeys keys (key0, key1...).</summary>
    public static readonly StructSpec U32Selector = WithTrailingArray(new StructSpec("tc_u32_sel", 16)
    {
        { "flags", 0, U8, null, U32SelectorFlags }, { "offshift", 1, U8 }, { "nkeys", 2, U8 }, { "offmask", 4, U16, null, null, 0, true },
        { "off", 6, U16 }, { "offoff", 8, S16 }, { "hoff", 10, S16 }, { "hmask", 12, U32, null, null, 0, true },
    }, 16, "key", U32Key, 255);

    /// <summary>struct tc_u32_pcnt (CONFIG_CLS_U32_PERF): hits of the rule, then one counter per key.</summary>
    public static readonly StructSpec U32Counters = WithTrailingArray(
        Enums.Sequential("tc_u32_pcnt", U64, "rcnt", "rhit"), 16, "kcnt", Enums.Sequential("kcnt", U64, "kcnt"), 255);

    public static readonly AttributeTable U32Options = new("tc-u32", "TCA_U32_")
    {
        [1] = new("classid", ValueKind.U32),
        [2] = new("hash", ValueKind.U32),
        [3] = new("link", ValueKind.U32),
        [4] = new("divisor", ValueKind.U32),
        [5] = new("sel", Struct) { Struct = U32Selector },
        [6] = Police(),
        [7] = TcActionTables.List("act"),
        [8] = new("indev", ValueKind.String),
        [9] = new("pcnt", Struct) { Struct = U32Counters },
        [10] = new("mark", Struct) { Struct = Enums.Sequential("tc_u32_mark", ValueKind.U32, "val", "mask", "success") },
        [11] = new("flags", ValueKind.U32) { Flags = ClassifierFlags },
        [12] = new("pad", Binary),
    };

    // ---- flower ----------------------------------------------------------------------------------------------

    public static readonly FlagTable FlowerKeyFlags = new("tca-flower-key-flags")
    {
        { 0x1, "is_fragment" }, { 0x2, "frag_is_first" }, { 0x4, "tunnel_csum" }, { 0x8, "tunnel_dont_fragment" },
        { 0x10, "tunnel_oam" }, { 0x20, "tunnel_crit_opt" },
    };

    public static readonly FlagTable FlowerCtState = new("tca-flower-key-ct-flags")
    {
        { 0x1, "new" }, { 0x2, "established" }, { 0x4, "related" }, { 0x8, "tracked" }, { 0x10, "invalid" }, { 0x20, "reply" },
    };

    public static readonly AttributeTable FlowerEncOpts = new("tc-flower-key-enc-opts", "TCA_FLOWER_KEY_ENC_OPTS_")
    {
        [1] = new("geneve", Nested)
        {
            Nested = new AttributeTable("tc-flower-key-enc-opt-geneve", "TCA_FLOWER_KEY_ENC_OPT_GENEVE_")
            {
                [1] = new("class", U16) { NetworkOrder = true }, [2] = new("type", U8), [3] = new("data", Binary),
            },
        },
        [2] = new("vxlan", Nested) { Nested = new AttributeTable("tc-flower-key-enc-opt-vxlan", "TCA_FLOWER_KEY_ENC_OPT_VXLAN_") { [1] = new("gbp", ValueKind.U32) } },
        [3] = new("erspan", Nested)
        {
            Nested = new AttributeTable("tc-flower-key-enc-opt-erspan", "TCA_FLOWER_KEY_ENC_OPT_ERSPAN_")
            {
                [1] = new("ver", U8), [2] = new("index", ValueKind.U32) { NetworkOrder = true }, [3] = new("dir", U8), [4] = new("hwid", U8),
            },
        },
        [4] = new("gtp", Nested)
        {
            Nested = new AttributeTable("tc-flower-key-enc-opt-gtp", "TCA_FLOWER_KEY_ENC_OPT_GTP_") { [1] = new("pdu_type", U8), [2] = new("qfi", U8) },
        },
    };

    public static readonly AttributeTable FlowerMplsLse = new("tc-flower-key-mpls-opt-lse", "TCA_FLOWER_KEY_MPLS_OPT_LSE_")
    {
        [1] = new("depth", U8), [2] = new("ttl", U8), [3] = new("bos", U8), [4] = new("tc", U8), [5] = new("label", ValueKind.U32),
    };

    private static AttributeSpec Be16(string name, EnumTable? e = null) => new(name, U16) { NetworkOrder = true, Enum = e };
    private static AttributeSpec Be32(string name, FlagTable? f = null) => new(name, ValueKind.U32) { NetworkOrder = true, Flags = f };

    /// <summary>
    /// Flower keys. Ports, EtherTypes, key flags and tunnel ids are big-endian on the wire; VLAN ids, the MPLS
    /// label and conntrack values are host order (whatever the header comments say, the kernel reads them so).
    /// </summary>
    public static readonly AttributeTable Flower = new("tc-flower", "TCA_FLOWER_")
    {
        [1] = new("classid", ValueKind.U32),
        [2] = new("indev", ValueKind.String),
        [3] = TcActionTables.List("act"),
        [4] = new("key_eth_dst", HardwareAddress), [5] = new("key_eth_dst_mask", HardwareAddress),
        [6] = new("key_eth_src", HardwareAddress), [7] = new("key_eth_src_mask", HardwareAddress),
        [8] = Be16("key_eth_type", EtherType),
        [9] = new("key_ip_proto", U8) { Enum = IpProtocol },
        [10] = new("key_ipv4_src", IPv4), [11] = new("key_ipv4_src_mask", IPv4),
        [12] = new("key_ipv4_dst", IPv4), [13] = new("key_ipv4_dst_mask", IPv4),
        [14] = new("key_ipv6_src", IPv6), [15] = new("key_ipv6_src_mask", IPv6),
        [16] = new("key_ipv6_dst", IPv6), [17] = new("key_ipv6_dst_mask", IPv6),
        [18] = Be16("key_tcp_src"), [19] = Be16("key_tcp_dst"), [20] = Be16("key_udp_src"), [21] = Be16("key_udp_dst"),
        [22] = new("flags", ValueKind.U32) { Flags = ClassifierFlags },
        [23] = new("key_vlan_id", U16), [24] = new("key_vlan_prio", U8), [25] = Be16("key_vlan_eth_type", EtherType),
        [26] = Be32("key_enc_key_id"),
        [27] = new("key_enc_ipv4_src", IPv4), [28] = new("key_enc_ipv4_src_mask", IPv4),
        [29] = new("key_enc_ipv4_dst", IPv4), [30] = new("key_enc_ipv4_dst_mask", IPv4),
        [31] = new("key_enc_ipv6_src", IPv6), [32] = new("key_enc_ipv6_src_mask", IPv6),
        [33] = new("key_enc_ipv6_dst", IPv6), [34] = new("key_enc_ipv6_dst_mask", IPv6),
        [35] = Be16("key_tcp_src_mask"), [36] = Be16("key_tcp_dst_mask"), [37] = Be16("key_udp_src_mask"), [38] = Be16("key_udp_dst_mask"),
        [39] = Be16("key_sctp_src_mask"), [40] = Be16("key_sctp_dst_mask"), [41] = Be16("key_sctp_src"), [42] = Be16("key_sctp_dst"),
        [43] = Be16("key_enc_udp_src_port"), [44] = Be16("key_enc_udp_src_port_mask"),
        [45] = Be16("key_enc_udp_dst_port"), [46] = Be16("key_enc_udp_dst_port_mask"),
        [47] = Be32("key_flags", FlowerKeyFlags), [48] = Be32("key_flags_mask", FlowerKeyFlags),
        [49] = new("key_icmpv4_code", U8), [50] = new("key_icmpv4_code_mask", U8),
        [51] = new("key_icmpv4_type", U8), [52] = new("key_icmpv4_type_mask", U8),
        [53] = new("key_icmpv6_code", U8), [54] = new("key_icmpv6_code_mask", U8),
        [55] = new("key_icmpv6_type", U8), [56] = new("key_icmpv6_type_mask", U8),
        [57] = new("key_arp_sip", IPv4), [58] = new("key_arp_sip_mask", IPv4),
        [59] = new("key_arp_tip", IPv4), [60] = new("key_arp_tip_mask", IPv4),
        [61] = new("key_arp_op", U8), [62] = new("key_arp_op_mask", U8),
        [63] = new("key_arp_sha", HardwareAddress), [64] = new("key_arp_sha_mask", HardwareAddress),
        [65] = new("key_arp_tha", HardwareAddress), [66] = new("key_arp_tha_mask", HardwareAddress),
        [67] = new("key_mpls_ttl", U8), [68] = new("key_mpls_bos", U8), [69] = new("key_mpls_tc", U8),
        [70] = new("key_mpls_label", ValueKind.U32),
        [71] = Be16("key_tcp_flags"), [72] = Be16("key_tcp_flags_mask"),
        [73] = new("key_ip_tos", U8), [74] = new("key_ip_tos_mask", U8), [75] = new("key_ip_ttl", U8), [76] = new("key_ip_ttl_mask", U8),
        [77] = new("key_cvlan_id", U16), [78] = new("key_cvlan_prio", U8), [79] = Be16("key_cvlan_eth_type", EtherType),
        [80] = new("key_enc_ip_tos", U8), [81] = new("key_enc_ip_tos_mask", U8),
        [82] = new("key_enc_ip_ttl", U8), [83] = new("key_enc_ip_ttl_mask", U8),
        [84] = new("key_enc_opts", Nested) { Nested = FlowerEncOpts },
        [85] = new("key_enc_opts_mask", Nested) { Nested = FlowerEncOpts },
        [86] = new("in_hw_count", ValueKind.U32),
        [87] = Be16("key_port_src_min"), [88] = Be16("key_port_src_max"),
        [89] = Be16("key_port_dst_min"), [90] = Be16("key_port_dst_max"),
        [91] = new("key_ct_state", U16) { Flags = FlowerCtState }, [92] = new("key_ct_state_mask", U16) { Flags = FlowerCtState },
        [93] = new("key_ct_zone", U16), [94] = new("key_ct_zone_mask", U16),
        [95] = new("key_ct_mark", ValueKind.U32), [96] = new("key_ct_mark_mask", ValueKind.U32),
        [97] = new("key_ct_labels", Binary), [98] = new("key_ct_labels_mask", Binary),
        [99] = new("key_mpls_opts", Nested)
        {
            Nested = new AttributeTable("tc-flower-key-mpls-opts", "TCA_FLOWER_KEY_MPLS_OPTS_") { [1] = new("lse", Nested) { Nested = FlowerMplsLse } },
        },
        [100] = new("key_hash", ValueKind.U32), [101] = new("key_hash_mask", ValueKind.U32),
        [102] = new("key_num_of_vlans", U8),
        [103] = Be16("key_pppoe_sid"), [104] = Be16("key_ppp_proto"),
        [105] = Be32("key_l2tpv3_sid"),
        [106] = new("l2_miss", U8),
        [107] = new("key_cfm", Nested)
        {
            Nested = new AttributeTable("tc-flower-key-cfm", "TCA_FLOWER_KEY_CFM_") { [1] = new("md_level", U8), [2] = new("opcode", U8) },
        },
        [108] = Be32("key_spi"), [109] = Be32("key_spi_mask"),
        [110] = Be32("key_enc_flags", FlowerKeyFlags), [111] = Be32("key_enc_flags_mask", FlowerKeyFlags),
    };

    // ---- matchall, bpf, basic, fw, route, flow, cgroup --------------------------------------------------------

    public static readonly AttributeTable Matchall = new("tc-matchall", "TCA_MATCHALL_")
    {
        [1] = new("classid", ValueKind.U32),
        [2] = TcActionTables.List("act"),
        [3] = new("flags", ValueKind.U32) { Flags = ClassifierFlags },
        [4] = new("pcnt", Struct) { Struct = Enums.Sequential("tc_matchall_pcnt", U64, "rhit") },
        [5] = new("pad", Binary),
    };

    public static readonly AttributeTable Bpf = new("tc-bpf", "TCA_BPF_")
    {
        [1] = TcActionTables.List("act"),
        [2] = Police(),
        [3] = new("classid", ValueKind.U32),
        [4] = new("ops_len", U16),
        [5] = new("ops", Binary),  // classic BPF: struct sock_filter[ops_len]
        [6] = new("fd", ValueKind.U32),
        [7] = new("name", ValueKind.String),
        [8] = new("flags", ValueKind.U32) { Flags = new FlagTable("tca-bpf-flags") { { 1, "act_direct" } } },
        [9] = new("flags_gen", ValueKind.U32) { Flags = ClassifierFlags },
        [10] = new("tag", Binary),
        [11] = new("id", ValueKind.U32),
    };

    /// <summary>TCA_*_EMATCHES: the tree header and a list of ematches (struct tcf_ematch_hdr, then kind data).</summary>
    public static readonly AttributeTable EmatchTree = new("tc-ematch-tree", "TCA_EMATCH_TREE_")
    {
        [1] = new("hdr", Struct) { Struct = new StructSpec("tcf_ematch_tree_hdr", 4) { { "nmatches", 0, U16 }, { "progid", 2, U16 } } },
        [2] = new("list", NestedArray)
        {
            Struct = new StructSpec("tcf_ematch_hdr", 8) { { "matchid", 0, U16 }, { "kind", 2, U16 }, { "flags", 4, U16 }, { "pad", 6, U16 } },
        },
    };

    private static AttributeSpec Ematches() => new("ematches", Nested) { Nested = EmatchTree };

    public static readonly AttributeTable Basic = new("tc-basic", "TCA_BASIC_")
    {
        [1] = new("classid", ValueKind.U32),
        [2] = Ematches(),
        [3] = TcActionTables.List("act"),
        [4] = Police(),
        [5] = new("pcnt", Struct) { Struct = Enums.Sequential("tc_basic_pcnt", U64, "rcnt", "rhit") },
        [6] = new("pad", Binary),
    };

    public static readonly AttributeTable Fw = new("tc-fw", "TCA_FW_")
    {
        [1] = new("classid", ValueKind.U32), [2] = Police(), [3] = new("indev", ValueKind.String), [4] = TcActionTables.List("act"),
        [5] = new("mask", ValueKind.U32),
    };

    public static readonly AttributeTable Route4 = new("tc-route4", "TCA_ROUTE4_")
    {
        [1] = new("classid", ValueKind.U32), [2] = new("to", ValueKind.U32), [3] = new("from", ValueKind.U32), [4] = new("iif", ValueKind.U32),
        [5] = Police(), [6] = TcActionTables.List("act"),
    };

    public static readonly FlagTable FlowKeys = new("flow-keys")
    {
        { 1 << 0, "src" }, { 1 << 1, "dst" }, { 1 << 2, "proto" }, { 1 << 3, "proto-src" }, { 1 << 4, "proto-dst" }, { 1 << 5, "iif" },
        { 1 << 6, "priority" }, { 1 << 7, "mark" }, { 1 << 8, "nfct" }, { 1 << 9, "nfct-src" }, { 1 << 10, "nfct-dst" },
        { 1 << 11, "nfct-proto-src" }, { 1 << 12, "nfct-proto-dst" }, { 1 << 13, "rt-classid" }, { 1 << 14, "sk-uid" },
        { 1 << 15, "sk-gid" }, { 1 << 16, "vlan-tag" }, { 1 << 17, "rxhash" },
    };

    public static readonly AttributeTable Flow = new("tc-flow", "TCA_FLOW_")
    {
        [1] = new("keys", ValueKind.U32) { Flags = FlowKeys },
        [2] = new("mode", ValueKind.U32) { Enum = new EnumTable("flow-mode") { [0] = "map", [1] = "hash" } },
        [3] = new("baseclass", ValueKind.U32), [4] = new("rshift", ValueKind.U32), [5] = new("addend", ValueKind.U32),
        [6] = new("mask", ValueKind.U32), [7] = new("xor", ValueKind.U32), [8] = new("divisor", ValueKind.U32),
        [9] = TcActionTables.List("act"), [10] = Police(), [11] = Ematches(), [12] = new("perturb", ValueKind.U32),
    };

    public static readonly AttributeTable Cgroup = new("tc-cgroup", "TCA_CGROUP_")
    {
        [1] = TcActionTables.List("act"), [2] = Police(), [3] = Ematches(),
    };

    /// <summary>TCA_OPTIONS of filters by TCA_KIND.</summary>
    public static readonly Dictionary<string, AttributeTable> Kinds = new(StringComparer.Ordinal)
    {
        ["u32"] = U32Options, ["flower"] = Flower, ["matchall"] = Matchall, ["bpf"] = Bpf, ["basic"] = Basic, ["fw"] = Fw,
        ["route"] = Route4, ["flow"] = Flow, ["cgroup"] = Cgroup,
    };
}
