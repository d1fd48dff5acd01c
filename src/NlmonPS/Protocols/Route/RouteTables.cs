using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Route;

/// <summary>
/// Attribute sets of routes, neighbours, rules, nexthops and the rest of rtnetlink (linux/rtnetlink.h, neighbour.h,
/// fib_rules.h, nexthop.h, netconf.h, net_namespace.h, if_bridge.h, if_addrlabel.h, lwtunnel.h and the encap headers).
/// Addresses are IpAddress (v4 or v6 by length), which is how the kernel sizes them for each family.
/// </summary>
internal static class RouteTables
{
    // ---- lightweight tunnel encapsulations (RTA_ENCAP / NHA_ENCAP, chosen by the sibling *_ENCAP_TYPE number)
    public static readonly AttributeTable EncapMpls = new("encap-mpls", "MPLS_IPTUNNEL_")
    {
        [1] = new("dst", MplsLabels), [2] = new("ttl", U8),
    };
    public static readonly AttributeTable IpOptGeneve = new("ip-opt-geneve", "LWTUNNEL_IP_OPT_GENEVE_")
    {
        [1] = new("class", U16) { NetworkOrder = true }, [2] = new("type", U8), [3] = new("data", Binary),
    };
    public static readonly AttributeTable IpOptVxlan = new("ip-opt-vxlan", "LWTUNNEL_IP_OPT_VXLAN_") { [1] = new("gbp", U32) };
    public static readonly AttributeTable IpOptErspan = new("ip-opt-erspan", "LWTUNNEL_IP_OPT_ERSPAN_")
    {
        [1] = new("ver", U8), [2] = new("index", U32) { NetworkOrder = true }, [3] = new("dir", U8), [4] = new("hwid", U8),
    };
    public static readonly AttributeTable IpOpts = new("ip-opts", "LWTUNNEL_IP_OPTS_")
    {
        [1] = new("geneve", Nested) { Nested = IpOptGeneve }, [2] = new("vxlan", Nested) { Nested = IpOptVxlan }, [3] = new("erspan", Nested) { Nested = IpOptErspan },
    };
    public static readonly AttributeTable EncapIp = new("encap-ip", "LWTUNNEL_IP_")
    {
        [1] = new("id", U64) { NetworkOrder = true }, [2] = new("dst", IPv4), [3] = new("src", IPv4), [4] = new("ttl", U8), [5] = new("tos", U8),
        [6] = new("flags", U16) { NetworkOrder = true }, [7] = new("pad", Binary), [8] = new("opts", Nested) { Nested = IpOpts },
    };
    public static readonly AttributeTable EncapIp6 = new("encap-ip6", "LWTUNNEL_IP6_")
    {
        [1] = new("id", U64) { NetworkOrder = true }, [2] = new("dst", IPv6), [3] = new("src", IPv6), [4] = new("hoplimit", U8), [5] = new("tc", U8),
        [6] = new("flags", U16) { NetworkOrder = true }, [7] = new("pad", Binary), [8] = new("opts", Nested) { Nested = IpOpts },
    };
    public static readonly AttributeTable EncapIla = new("encap-ila", "ILA_ATTR_")
    {
        [1] = new("locator", U64), [2] = new("identifier", U64), [3] = new("locator_match", U64), [4] = new("ifindex", U32), [5] = new("dir", U32),
        [6] = new("pad", Binary), [7] = new("csum_mode", U8), [8] = new("ident_type", U8), [9] = new("hook_type", U8),
    };
    public static readonly EnumTable Seg6Mode = new("seg6-mode") { [0] = "inline", [1] = "encap", [2] = "l2encap", [3] = "encap.red", [4] = "l2encap.red" };
    /// <summary>struct seg6_iptunnel_encap: the mode, then struct ipv6_sr_hdr whose segments (16 bytes each, last hop first) run to the end.</summary>
    public static readonly StructSpec Seg6Encap = new("seg6_iptunnel_encap", 12)
    {
        { "mode", 0, S32, Seg6Mode }, { "nexthdr", 4, U8 }, { "hdrlen", 5, U8 }, { "type", 6, U8 }, { "segments_left", 7, U8 },
        { "first_segment", 8, U8 }, { "flags", 9, U8 }, { "tag", 10, U16, null, null, 0, true }, { "segments", 12, Binary },
    };
    public static readonly AttributeTable EncapSeg6 = new("encap-seg6", "SEG6_IPTUNNEL_") { [1] = new("srh", Struct) { Struct = Seg6Encap } };
    public static readonly AttributeTable BpfProg = new("lwt-bpf-prog", "LWT_BPF_PROG_") { [1] = new("fd", U32), [2] = new("name", ValueKind.String) };
    public static readonly AttributeTable EncapBpf = new("encap-bpf", "LWT_BPF_")
    {
        [1] = new("in", Nested) { Nested = BpfProg }, [2] = new("out", Nested) { Nested = BpfProg }, [3] = new("xmit", Nested) { Nested = BpfProg },
        [4] = new("xmit_headroom", U32),
    };
    public static readonly EnumTable Seg6LocalAction = new("seg6local-action")
    {
        [1] = "End", [2] = "End.X", [3] = "End.T", [4] = "End.DX2", [5] = "End.DX6", [6] = "End.DX4", [7] = "End.DT6", [8] = "End.DT4",
        [9] = "End.B6", [10] = "End.B6.Encaps", [11] = "End.BM", [12] = "End.S", [13] = "End.AS", [14] = "End.AM", [15] = "End.BPF", [16] = "End.DT46",
    };
    public static readonly AttributeTable EncapSeg6Local = new("encap-seg6local", "SEG6_LOCAL_")
    {
        [1] = new("action", U32) { Enum = Seg6LocalAction }, [2] = new("srh", Binary), [3] = new("table", U32), [4] = new("nh4", IPv4),
        [5] = new("nh6", IPv6), [6] = new("iif", U32), [7] = new("oif", U32),
        [8] = new("bpf", Nested) { Nested = new AttributeTable("seg6local-bpf", "SEG6_LOCAL_BPF_") { [1] = new("prog", U32), [2] = new("prog_name", ValueKind.String) } },
        [9] = new("vrftable", U32),
        [10] = new("counters", Nested) { Nested = new AttributeTable("seg6local-counters", "SEG6_LOCAL_CNT_") { [1] = new("pad", Binary), [2] = new("packets", U64), [3] = new("bytes", U64), [4] = new("errors", U64) } },
        [11] = new("flavors", Nested) { Nested = new AttributeTable("seg6local-flavors", "SEG6_LOCAL_FLV_") { [1] = new("operation", U32), [2] = new("lcblock_bits", U8), [3] = new("lcnode_fn_bits", U8) } },
    };
    public static readonly AttributeTable EncapRpl = new("encap-rpl", "RPL_IPTUNNEL_") { [1] = new("srh", Binary) };
    public static readonly AttributeTable EncapIoam6 = new("encap-ioam6", "IOAM6_IPTUNNEL_")
    {
        [1] = new("mode", U8) { Enum = new EnumTable("ioam6-mode") { [1] = "inline", [2] = "encap", [3] = "auto" } }, [2] = new("dst", IPv6),
        [3] = new("trace", Binary), [4] = new("freq_k", U32), [5] = new("freq_n", U32),
    };
    public static readonly AttributeTable EncapXfrm = new("encap-xfrm", "LWT_XFRM_") { [1] = new("if_id", U32), [2] = new("link", U32) };

    /// <summary>Encapsulation sets by LWTUNNEL_ENCAP_* name (<see cref="RouteEnums.EncapType"/>).</summary>
    public static readonly Dictionary<string, AttributeTable> Encap = new(StringComparer.Ordinal)
    {
        ["mpls"] = EncapMpls, ["ip"] = EncapIp, ["ila"] = EncapIla, ["ip6"] = EncapIp6, ["seg6"] = EncapSeg6, ["bpf"] = EncapBpf,
        ["seg6local"] = EncapSeg6Local, ["rpl"] = EncapRpl, ["ioam6"] = EncapIoam6, ["xfrm"] = EncapXfrm,
    };

    // ---- routes (RTA_*)
    private static readonly string[] MetricNames =
    {
        "unspec", "lock", "mtu", "window", "rtt", "rttvar", "ssthresh", "cwnd", "advmss", "reordering", "hoplimit", "initcwnd",
        "features", "rto_min", "initrwnd", "quickack", "cc_algo", "fastopen_no_cookie",
    };
    /// <summary>RTAX_LOCK: bit n locks metric n.</summary>
    public static readonly FlagTable MetricLocks = BuildLocks();
    private static FlagTable BuildLocks()
    {
        var locks = new FlagTable("rtax-lock");
        for (int i = 2; i < MetricNames.Length; i++) locks.Add(1UL << i, MetricNames[i]);
        return locks;
    }
    public static readonly AttributeTable Metrics = BuildMetrics();
    private static AttributeTable BuildMetrics()
    {
        var metrics = new AttributeTable("metrics", "RTAX_");
        for (int i = 1; i < MetricNames.Length; i++) metrics[i] = new AttributeSpec(MetricNames[i], U32);
        metrics[1] = new AttributeSpec("lock", U32) { Flags = MetricLocks };
        metrics[12] = new AttributeSpec("features", U32) { Flags = new FlagTable("rtax-features") { { 1, "ecn" }, { 2, "sack" }, { 4, "timestamp" }, { 8, "allfrag" }, { 16, "tcp_usec_ts" } } };
        metrics[16] = new AttributeSpec("cc_algo", ValueKind.String);
        return metrics;
    }

    /// <summary>struct rtnexthop: one hop of RTA_MULTIPATH, followed by its own RTA_* attributes up to len.</summary>
    public static readonly StructSpec RtNexthop = new("rtnexthop", 8)
    {
        { "len", 0, U16 }, { "flags", 2, U8, null, RouteEnums.NextHopFlags }, { "hops", 3, U8 }, { "ifindex", 4, S32 },
    };
    public static readonly StructSpec RtaCacheInfo = new("rta_cacheinfo", 32)
    {
        { "clntref", 0, U32 }, { "lastuse", 4, U32 }, { "expires", 8, S32 }, { "error", 12, U32 }, { "used", 16, U32 }, { "id", 20, U32 },
        { "ts", 24, U32 }, { "tsage", 28, U32 },
    };
    /// <summary>struct rtvia: an address of any family (MPLS routes, IPv4 routes via IPv6 gateways).</summary>
    public static readonly StructSpec RtVia = new("rtvia", 2) { { "family", 0, U16, Enums.AddressFamily }, { "addr", 2, IpAddress } };

    public static readonly AttributeTable Route = WithMultipath(new AttributeTable("route", "RTA_")
    {
        [1] = new("dst", IpAddress) { LabelsForMplsFamily = true }, [2] = new("src", IpAddress), [3] = new("iif", U32), [4] = new("oif", U32),
        [5] = new("gateway", IpAddress), [6] = new("priority", U32), [7] = new("prefsrc", IpAddress), [8] = new("metrics", Nested) { Nested = Metrics },
        [10] = new("protoinfo", Binary), [11] = new("flow", U32), [12] = new("cacheinfo", Struct) { Struct = RtaCacheInfo },
        [13] = new("session", Binary), [14] = new("mp_algo", U32), [15] = new("table", U32) { Enum = RouteEnums.Table }, [16] = new("mark", U32),
        [17] = new("mfc_stats", Struct) { Struct = Enums.Sequential("rta_mfc_stats", U64, "packets", "bytes", "wrong_if") },
        [18] = new("via", Struct) { Struct = RtVia }, [19] = new("newdst", MplsLabels),
        [20] = new("pref", U8) { Enum = RouteEnums.RoutePref }, [21] = new("encap_type", U16) { Enum = RouteEnums.EncapType },
        [22] = new("encap", Nested) { SelectorAttribute = 21, SelectorEnum = RouteEnums.EncapType, NestedByKind = Encap },
        [23] = new("expires", Uint), [24] = new("pad", Binary), [25] = new("uid", U32), [26] = new("ttl_propagate", U8),
        [27] = new("ip_proto", U8) { Enum = RouteEnums.IpProto }, [28] = new("sport", U16) { NetworkOrder = true },
        [29] = new("dport", U16) { NetworkOrder = true }, [30] = new("nh_id", U32), [31] = new("flowlabel", U32) { NetworkOrder = true },
    });

    /// <summary>RTA_MULTIPATH holds rtnexthop records whose attributes are RTA_* again: the table refers to itself.</summary>
    private static AttributeTable WithMultipath(AttributeTable route)
    {
        route[9] = new AttributeSpec("multipath", StructArray) { Struct = RtNexthop, Nested = route, LengthField = "len" };
        return route;
    }

    // ---- neighbours (NDA_*), including bridge fdb entries (family AF_BRIDGE)
    public static readonly StructSpec NdaCacheInfo = Enums.Sequential("nda_cacheinfo", U32, "confirmed", "used", "updated", "refcnt");
    public static readonly AttributeTable FdbExt = new("fdb-ext", "NFEA_")
    {
        [1] = new("activity_notify", U8) { Flags = new FlagTable("fdb-notify") { { 1, "notify" }, { 2, "inactive" } } }, [2] = new("dont_refresh", Flag),
    };
    public static readonly AttributeTable Neigh = new("neigh", "NDA_")
    {
        [1] = new("dst", IpAddress), [2] = new("lladdr", HardwareAddress), [3] = new("cacheinfo", Struct) { Struct = NdaCacheInfo },
        [4] = new("probes", U32), [5] = new("vlan", U16), [6] = new("port", U16) { NetworkOrder = true }, [7] = new("vni", U32),
        [8] = new("ifindex", U32), [9] = new("master", U32), [10] = new("link_netnsid", S32), [11] = new("src_vni", U32),
        [12] = new("protocol", U8) { Enum = RouteEnums.Protocol }, [13] = new("nh_id", U32), [14] = new("fdb_ext_attrs", Nested) { Nested = FdbExt },
        [15] = new("flags_ext", U32) { Flags = RouteEnums.NeighFlagsExt }, [16] = new("ndm_state_mask", U16) { Flags = RouteEnums.NeighState },
        [17] = new("ndm_flags_mask", U8) { Flags = RouteEnums.NeighFlags },
    };

    // ---- neighbour tables (NDTA_*, NDTPA_*)
    public static readonly StructSpec NdtConfig = new("ndt_config", 32)
    {
        { "key_len", 0, U16 }, { "entry_size", 2, U16 }, { "entries", 4, U32 }, { "last_flush", 8, U32 }, { "last_rand", 12, U32 },
        { "hash_rnd", 16, U32 }, { "hash_mask", 20, U32 }, { "hash_chain_gc", 24, U32 }, { "proxy_qlen", 28, U32 },
    };
    public static readonly StructSpec NdtStats = Enums.Sequential("ndt_stats", U64, "allocs", "destroys", "hash_grows", "res_failed", "lookups",
        "hits", "rcv_probes_mcast", "rcv_probes_ucast", "periodic_gc_runs", "forced_gc_runs", "table_fulls");
    public static readonly AttributeTable NeighTableParms = new("ndtpa", "NDTPA_")
    {
        [1] = new("ifindex", U32), [2] = new("refcnt", U32), [3] = new("reachable_time", U64), [4] = new("base_reachable_time", U64),
        [5] = new("retrans_time", U64), [6] = new("gc_staletime", U64), [7] = new("delay_probe_time", U64), [8] = new("queue_len", U32),
        [9] = new("app_probes", U32), [10] = new("ucast_probes", U32), [11] = new("mcast_probes", U32), [12] = new("anycast_delay", U64),
        [13] = new("proxy_delay", U64), [14] = new("proxy_qlen", U32), [15] = new("locktime", U64), [16] = new("queue_lenbytes", U32),
        [17] = new("mcast_reprobes", U32), [18] = new("pad", Binary), [19] = new("interval_probe_time_ms", U64),
    };
    public static readonly AttributeTable NeighTable = new("neightbl", "NDTA_")
    {
        [1] = new("name", ValueKind.String), [2] = new("thresh1", U32), [3] = new("thresh2", U32), [4] = new("thresh3", U32),
        [5] = new("config", Struct) { Struct = NdtConfig }, [6] = new("parms", Nested) { Nested = NeighTableParms },
        [7] = new("stats", Struct) { Struct = NdtStats }, [8] = new("gc_interval", U64), [9] = new("pad", Binary),
    };

    // ---- policy routing rules (FRA_*)
    public static readonly StructSpec PortRange = new("fib_rule_port_range", 4) { { "start", 0, U16 }, { "end", 2, U16 } };
    public static readonly AttributeTable Rule = new("rule", "FRA_")
    {
        [1] = new("dst", IpAddress), [2] = new("src", IpAddress), [3] = new("iifname", ValueKind.String), [4] = new("goto", U32),
        [6] = new("priority", U32), [10] = new("fwmark", U32), [11] = new("flow", U32), [12] = new("tun_id", U64) { NetworkOrder = true },
        [13] = new("suppress_ifgroup", S32), [14] = new("suppress_prefixlen", S32), [15] = new("table", U32) { Enum = RouteEnums.Table },
        [16] = new("fwmask", U32), [17] = new("oifname", ValueKind.String), [18] = new("pad", Binary), [19] = new("l3mdev", U8),
        [20] = new("uid_range", Struct) { Struct = Enums.Sequential("fib_rule_uid_range", U32, "start", "end") },
        [21] = new("protocol", U8) { Enum = RouteEnums.Protocol }, [22] = new("ip_proto", U8) { Enum = RouteEnums.IpProto },
        [23] = new("sport_range", Struct) { Struct = PortRange }, [24] = new("dport_range", Struct) { Struct = PortRange },
        [25] = new("dscp", U8), [26] = new("flowlabel", U32) { NetworkOrder = true }, [27] = new("flowlabel_mask", U32) { NetworkOrder = true },
        [28] = new("sport_mask", U16), [29] = new("dport_mask", U16), [30] = new("dscp_mask", U8),
    };

    // ---- nexthop objects (NHA_*)
    /// <summary>struct nexthop_grp: the kernel stores weight - 1 (weight_high holds the upper bits since 6.12).</summary>
    public static readonly StructSpec NextHopGroupEntry = new("nexthop_grp", 8) { { "id", 0, U32 }, { "weight", 4, U8 }, { "weight_high", 5, U8 }, { "resvd2", 6, U16 } };
    public static readonly AttributeTable ResGroup = new("nha-res-group", "NHA_RES_GROUP_")
    {
        [0] = new("pad", Binary), [1] = new("buckets", U16), [2] = new("idle_timer", U32), [3] = new("unbalanced_timer", U32), [4] = new("unbalanced_time", U64),
    };
    public static readonly AttributeTable ResBucket = new("nha-res-bucket", "NHA_RES_BUCKET_")
    {
        [0] = new("pad", Binary), [1] = new("index", U16), [2] = new("idle_time", U64), [3] = new("nh_id", U32),
    };
    public static readonly AttributeTable GroupStatsEntry = new("nha-group-stats-entry", "NHA_GROUP_STATS_ENTRY_")
    {
        [1] = new("id", U32), [2] = new("packets", Uint), [3] = new("packets_hw", Uint),
    };
    public static readonly AttributeTable GroupStats = new("nha-group-stats", "NHA_GROUP_STATS_") { [1] = new("entry", Nested) { Nested = GroupStatsEntry } };
    private static AttributeTable NextHopTable(string name) => new(name, "NHA_")
    {
        [1] = new("id", U32), [2] = new("group", StructArray) { Struct = NextHopGroupEntry },
        [3] = new("group_type", U16) { Enum = RouteEnums.NextHopGroupType }, [4] = new("blackhole", Flag), [5] = new("oif", U32),
        [6] = new("gateway", IpAddress), [7] = new("encap_type", U16) { Enum = RouteEnums.EncapType },
        [8] = new("encap", Nested) { SelectorAttribute = 7, SelectorEnum = RouteEnums.EncapType, NestedByKind = Encap },
        [9] = new("groups", Flag), [10] = new("master", U32), [11] = new("fdb", Flag), [12] = new("res_group", Nested) { Nested = ResGroup },
        [13] = new("res_bucket", Nested) { Nested = ResBucket }, [14] = new("op_flags", U32), [15] = new("group_stats", Nested) { Nested = GroupStats },
        [16] = new("hw_stats_enable", U32), [17] = new("hw_stats_used", U32),
    };
    public static readonly AttributeTable NextHop = NextHopTable("nexthop");
    public static readonly AttributeTable NextHopBucket = NextHopTable("nexthop-bucket");

    // ---- per-device IP configuration (NETCONFA_*)
    public static readonly AttributeTable Netconf = new("netconf", "NETCONFA_")
    {
        [1] = new("ifindex", S32) { Enum = RouteEnums.NetconfIfindex }, [2] = new("forwarding", S32), [3] = new("rp_filter", S32) { Enum = RouteEnums.RpFilter },
        [4] = new("mc_forwarding", S32), [5] = new("proxy_neigh", S32), [6] = new("ignore_routes_with_linkdown", S32), [7] = new("input", S32),
        [8] = new("bc_forwarding", S32),
    };

    // ---- network namespace ids (NETNSA_*)
    public static readonly AttributeTable Nsid = new("nsid", "NETNSA_")
    {
        [1] = new("nsid", S32), [2] = new("pid", U32), [3] = new("fd", U32), [4] = new("target_nsid", S32), [5] = new("current_nsid", S32),
    };

    // ---- link statistics (RTM_GETSTATS: IFLA_STATS_*)
    private static StructSpec Pairs(string name, params string[] counters)
    {
        // br_mcast_stats: most counters are [rx, tx] pairs of u64.
        var fields = new List<string>();
        foreach (var c in counters)
        {
            if (c.EndsWith('!')) { fields.Add(c.TrimEnd('!')); continue; }
            fields.Add(c + "_rx");
            fields.Add(c + "_tx");
        }
        return Enums.Sequential(name, U64, fields.ToArray());
    }
    public static readonly StructSpec BridgeMcastStats = Pairs("br_mcast_stats", "igmp_v1queries", "igmp_v2queries", "igmp_v3queries", "igmp_leaves",
        "igmp_v1reports", "igmp_v2reports", "igmp_v3reports", "igmp_parse_errors!", "mld_v1queries", "mld_v2queries", "mld_leaves", "mld_v1reports",
        "mld_v2reports", "mld_parse_errors!", "mcast_bytes", "mcast_packets");
    public static readonly StructSpec BridgeVlanXstats = new("bridge_vlan_xstats", 40)
    {
        { "rx_bytes", 0, U64 }, { "rx_packets", 8, U64 }, { "tx_bytes", 16, U64 }, { "tx_packets", 24, U64 }, { "vid", 32, U16 }, { "flags", 34, U16, null, LinkKinds.BridgeVlanFlags },
    };
    public static readonly StructSpec BridgeStpXstats = Enums.Sequential("bridge_stp_xstats", U64, "transition_blk", "transition_fwd", "rx_bpdu", "tx_bpdu", "rx_tcn", "tx_tcn");
    public static readonly AttributeTable BridgeXstats = new("bridge-xstats", "BRIDGE_XSTATS_")
    {
        [1] = new("vlan", Struct) { Struct = BridgeVlanXstats }, [2] = new("mcast", Struct) { Struct = BridgeMcastStats }, [3] = new("pad", Binary),
        [4] = new("stp", Struct) { Struct = BridgeStpXstats },
    };
    public static readonly AttributeTable Bond3adStats = new("bond-3ad-stats", "BOND_3AD_STAT_")
    {
        [0] = new("lacpdu_rx", U64), [1] = new("lacpdu_tx", U64), [2] = new("lacpdu_unknown_rx", U64), [3] = new("lacpdu_illegal_rx", U64),
        [4] = new("marker_rx", U64), [5] = new("marker_tx", U64), [6] = new("marker_resp_rx", U64), [7] = new("marker_resp_tx", U64),
        [8] = new("marker_unknown_rx", U64), [9] = new("pad", Binary),
    };
    public static readonly AttributeTable BondXstats = new("bond-xstats", "BOND_XSTATS_") { [1] = new("3ad", Nested) { Nested = Bond3adStats } };
    public static readonly AttributeTable LinkXstats = new("link-xstats", "LINK_XSTATS_TYPE_")
    {
        [1] = new("bridge", Nested) { Nested = BridgeXstats }, [2] = new("bond", Nested) { Nested = BondXstats },
    };
    public static readonly AttributeTable HwStatsInfo = new("hw-s-info", "IFLA_OFFLOAD_XSTATS_HW_S_INFO_") { [1] = new("request", U8), [2] = new("used", U8) };
    /// <summary>IFLA_OFFLOAD_XSTATS_HW_S_INFO: one nest per offload statistics type, numbered by IFLA_OFFLOAD_XSTATS_*.</summary>
    public static readonly AttributeTable HwStatsInfoByType = new("hw-s-info-types", "IFLA_OFFLOAD_XSTATS_") { [3] = new("l3_stats", Nested) { Nested = HwStatsInfo } };
    public static readonly StructSpec HwStats64 = Enums.Sequential("rtnl_hw_stats64", U64, "rx_packets", "tx_packets", "rx_bytes", "tx_bytes",
        "rx_errors", "tx_errors", "rx_dropped", "tx_dropped", "multicast");
    public static readonly AttributeTable OffloadXstats = new("offload-xstats", "IFLA_OFFLOAD_XSTATS_")
    {
        [1] = new("cpu_hit", Struct) { Struct = LinkTables.Stats64 }, [2] = new("hw_s_info", Nested) { Nested = HwStatsInfoByType },
        [3] = new("l3_stats", Struct) { Struct = HwStats64 },
    };
    public static readonly AttributeTable MplsStats = new("mpls-stats", "MPLS_STATS_")
    {
        [1] = new("link", Struct) { Struct = Enums.Sequential("mpls_link_stats", U64, "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors", "rx_dropped", "tx_dropped", "rx_noroute") },
    };
    /// <summary>IFLA_STATS_AF_SPEC: one nest per address family, typed by the AF number.</summary>
    public static readonly AttributeTable StatsAfSpec = new("stats-af-spec") { [28] = new("mpls", Nested) { Nested = MplsStats } };
    /// <summary>What requests carry: IFLA_STATS_GET_FILTERS (a u32 mask per IFLA_STATS_* type) and the SETSTATS switch.</summary>
    public static readonly AttributeTable StatsRequests = new("stats-getset", "IFLA_STATS_")
    {
        [1] = new("get_filters", Nested)
        {
            Nested = new AttributeTable("stats-filters", "IFLA_STATS_")
            {
                [1] = new("link_64", U32), [2] = new("link_xstats", U32), [3] = new("link_xstats_slave", U32),
                [4] = new("link_offload_xstats", U32) { Flags = new FlagTable("offload-xstats-mask") { { 1, "cpu_hit" }, { 2, "hw_s_info" }, { 4, "l3_stats" } } },
                [5] = new("af_spec", U32),
            },
        },
        [2] = new("set_offload_xstats_l3_stats", U8),
    };
    public static readonly AttributeTable Stats = new("stats", "IFLA_STATS_")
    {
        Requests = StatsRequests,
        [1] = new("link_64", Struct) { Struct = LinkTables.Stats64 }, [2] = new("link_xstats", Nested) { Nested = LinkXstats },
        [3] = new("link_xstats_slave", Nested) { Nested = LinkXstats }, [4] = new("link_offload_xstats", Nested) { Nested = OffloadXstats },
        [5] = new("af_spec", Nested) { Nested = StatsAfSpec },
    };

    // ---- bridge multicast database (MDBA_*)
    public static readonly FlagTable MdbFlags = new("mdb-flags") { { 1, "offload" }, { 2, "fast_leave" }, { 4, "star_excl" }, { 8, "blocked" }, { 16, "offload_failed" } };
    /// <summary>struct br_mdb_entry. The group address is a union (IPv4, IPv6 or MAC by proto), kept as its 16 bytes.</summary>
    public static readonly StructSpec MdbEntry = new("br_mdb_entry", 28)
    {
        { "ifindex", 0, U32 }, { "state", 4, U8, new EnumTable("mdb-state") { [0] = "temp", [1] = "permanent" } }, { "flags", 5, U8, null, MdbFlags },
        { "vid", 6, U16 }, { "addr", 8, Binary, null, null, 16 }, { "proto", 24, U16, LinkKinds.EtherType, null, 0, true },
    };
    public static readonly AttributeTable MdbSrcAttr = new("mdb-srcattr", "MDBA_MDB_SRCATTR_") { [1] = new("address", IpAddress), [2] = new("timer", U32) };
    public static readonly AttributeTable MdbSrcList = new("mdb-srclist", "MDBA_MDB_SRCLIST_") { [1] = new("entry", Nested) { Nested = MdbSrcAttr } };
    public static readonly AttributeTable MdbEntryAttrs = new("mdb-eattr", "MDBA_MDB_EATTR_")
    {
        [1] = new("timer", U32), [2] = new("src_list", Nested) { Nested = MdbSrcList },
        [3] = new("group_mode", U8) { Enum = new EnumTable("mcast-mode") { [0] = "exclude", [1] = "include" } }, [4] = new("source", IpAddress),
        [5] = new("rtprot", U8) { Enum = RouteEnums.Protocol },
    };
    /// <summary>MDBA_MDB_ENTRY_INFO: a br_mdb_entry followed by MDBA_MDB_EATTR_* attributes.</summary>
    public static readonly AttributeTable MdbEntryInfo = new("mdb-entry", "MDBA_MDB_ENTRY_") { [1] = new("info", Nested) { Struct = MdbEntry, Nested = MdbEntryAttrs } };
    public static readonly AttributeTable MdbEntries = new("mdb-mdb", "MDBA_MDB_") { [1] = new("entry", Nested) { Nested = MdbEntryInfo } };
    public static readonly AttributeTable MdbRouterPortAttrs = new("mdb-router-pattr", "MDBA_ROUTER_PATTR_")
    {
        [1] = new("timer", U32), [2] = new("type", U8) { Enum = new EnumTable("mdb-rtr-type") { [0] = "disabled", [1] = "temp_query", [2] = "permanent", [3] = "temp" } },
        [3] = new("inet_timer", U32), [4] = new("inet6_timer", U32), [5] = new("vid", U16),
    };
    /// <summary>MDBA_ROUTER_PORT: the port's ifindex (u32) followed by MDBA_ROUTER_PATTR_* attributes.</summary>
    public static readonly AttributeTable MdbRouter = new("mdb-router", "MDBA_ROUTER_")
    {
        [1] = new("port", Nested) { Struct = new StructSpec("mdb_router_port", 4) { { "ifindex", 0, U32 } }, Nested = MdbRouterPortAttrs },
    };
    public static readonly AttributeTable MdbSetAttrs = new("mdbe-attr", "MDBE_ATTR_") { [1] = new("source", IpAddress) };
    /// <summary>What RTM_NEWMDB/DELMDB (and GETMDB gets) carry: MDBA_SET_ENTRY, a br_mdb_entry, and its attributes.</summary>
    public static readonly AttributeTable MdbRequests = new("mdb-set", "MDBA_SET_")
    {
        [1] = new("entry", Struct) { Struct = MdbEntry }, [2] = new("entry_attrs", Nested) { Nested = MdbSetAttrs },
    };
    public static readonly AttributeTable Mdb = new("mdb", "MDBA_")
    {
        Requests = MdbRequests,
        [1] = new("mdb", Nested) { Nested = MdbEntries }, [2] = new("router", Nested) { Nested = MdbRouter },
    };

    // ---- IPv6 address labels, RA prefixes
    public static readonly AttributeTable AddrLabel = new("addrlabel", "IFAL_") { [1] = new("address", IpAddress), [2] = new("label", U32) };
    public static readonly AttributeTable Prefix = new("prefix", "PREFIX_")
    {
        [1] = new("address", IpAddress), [2] = new("cacheinfo", Struct) { Struct = Enums.Sequential("prefix_cacheinfo", U32, "preferred_time", "valid_time") },
    };

    // ---- bridge VLAN database (RTM_*VLAN: BRIDGE_VLANDB_*)
    public static readonly AttributeTable VlanDbStats = new("vlandb-stats", "BRIDGE_VLANDB_STATS_")
    {
        [1] = new("rx_bytes", U64), [2] = new("rx_packets", U64), [3] = new("tx_bytes", U64), [4] = new("tx_packets", U64), [5] = new("pad", Binary),
    };
    public static readonly AttributeTable VlanDbTunnel = new("vlandb-tinfo", "BRIDGE_VLANDB_TINFO_") { [1] = new("id", U32), [2] = new("cmd", U32) };
    public static readonly AttributeTable VlanDbEntry = new("vlandb-entry", "BRIDGE_VLANDB_ENTRY_")
    {
        [1] = new("info", Struct) { Struct = LinkKinds.BridgeVlanInfo }, [2] = new("range", U16), [3] = new("state", U8) { Enum = LinkKinds.BridgePortState },
        [4] = new("tunnel_info", Nested) { Nested = VlanDbTunnel }, [5] = new("stats", Nested) { Nested = VlanDbStats }, [6] = new("mcast_router", U8),
        [7] = new("mcast_n_groups", U32), [8] = new("mcast_max_groups", U32), [9] = new("neigh_suppress", U8),
    };
    public static readonly AttributeTable VlanDbGlobal = new("vlandb-gopts", "BRIDGE_VLANDB_GOPTS_")
    {
        [1] = new("id", U16), [2] = new("range", U16), [3] = new("mcast_snooping", U8), [4] = new("mcast_igmp_version", U8),
        [5] = new("mcast_mld_version", U8), [6] = new("mcast_last_member_cnt", U32), [7] = new("mcast_startup_query_cnt", U32),
        [8] = new("mcast_last_member_intvl", U64), [9] = new("pad", Binary), [10] = new("mcast_membership_intvl", U64),
        [11] = new("mcast_querier_intvl", U64), [12] = new("mcast_query_intvl", U64), [13] = new("mcast_query_response_intvl", U64),
        [14] = new("mcast_startup_query_intvl", U64), [15] = new("mcast_querier", U8), [16] = new("mcast_router_ports", Nested) { Nested = MdbRouter },
        [17] = new("mcast_querier_state", Nested) { Nested = LinkKinds.BridgeQuerier }, [18] = new("msti", U16),
    };
    /// <summary>What RTM_GETVLAN dumps carry: BRIDGE_VLANDB_DUMP_FLAGS (type 1, like BRIDGE_VLANDB_ENTRY).</summary>
    public static readonly AttributeTable VlanDbDump = new("vlandb-dump", "BRIDGE_VLANDB_DUMP_")
    {
        [1] = new("flags", U32) { Flags = new FlagTable("vlandb-dumpf") { { 1, "stats" }, { 2, "global" } } },
    };
    public static readonly AttributeTable BridgeVlan = new("bridge-vlan", "BRIDGE_VLANDB_")
    {
        GetRequests = VlanDbDump,
        [1] = new("entry", Nested) { Nested = VlanDbEntry }, [2] = new("global_options", Nested) { Nested = VlanDbGlobal },
    };

    // ---- VXLAN VNI filtering (RTM_*TUNNEL: VXLAN_VNIFILTER_*)
    public static readonly AttributeTable VniStats = new("vni-stats", "VNIFILTER_ENTRY_STATS_")
    {
        [1] = new("rx_bytes", U64), [2] = new("rx_pkts", U64), [3] = new("rx_drops", U64), [4] = new("rx_errors", U64), [5] = new("tx_bytes", U64),
        [6] = new("tx_pkts", U64), [7] = new("tx_drops", U64), [8] = new("tx_errors", U64), [9] = new("pad", Binary),
    };
    public static readonly AttributeTable VniEntry = new("vni-entry", "VXLAN_VNIFILTER_ENTRY_")
    {
        [1] = new("start", U32), [2] = new("end", U32), [3] = new("group", IPv4), [4] = new("group6", IPv6), [5] = new("stats", Nested) { Nested = VniStats },
    };
    public static readonly AttributeTable Tunnel = new("tunnel", "VXLAN_VNIFILTER_") { [1] = new("entry", Nested) { Nested = VniEntry } };
}
