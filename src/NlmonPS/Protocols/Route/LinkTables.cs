using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Route;

/// <summary>Link attributes (linux/if_link.h). Per-kind IFLA_INFO_DATA sets live in <see cref="LinkKinds"/>.</summary>
internal static class LinkTables
{
    private static readonly string[] StatNames =
    {
        "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors", "rx_dropped", "tx_dropped",
        "multicast", "collisions", "rx_length_errors", "rx_over_errors", "rx_crc_errors", "rx_frame_errors",
        "rx_fifo_errors", "rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
        "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed", "rx_nohandler", "rx_otherhost_dropped",
    };

    /// <summary>struct rtnl_link_stats64 (grew over time: 23, 24, then 25 counters).</summary>
    public static readonly StructSpec Stats64 = Resize(Enums.Sequential("rtnl_link_stats64", U64, StatNames), 23 * 8);
    /// <summary>struct rtnl_link_stats (32-bit counters).</summary>
    public static readonly StructSpec Stats32 = Resize(Enums.Sequential("rtnl_link_stats", U32, StatNames), 23 * 4);

    private static StructSpec Resize(StructSpec spec, int minSize)
    {
        var copy = new StructSpec(spec.Name, spec.Size) { MinSize = minSize };
        copy.AddRange(spec);
        return copy;
    }

    public static readonly StructSpec Map = new("rtnl_link_ifmap", 32)
    {
        { "mem_start", 0, U64 }, { "mem_end", 8, U64 }, { "base_addr", 16, U64 }, { "irq", 24, U16 }, { "dma", 26, U8 }, { "port", 27, U8 },
    };

    public static readonly AttributeTable LinkInfo = new("linkinfo", "IFLA_INFO_")
    {
        [1] = new("kind", ValueKind.String),
        [2] = new("data", Nested) { SelectorAttribute = 1, NestedByKind = LinkKinds.Data },
        [3] = new("xstats", Binary),
        [4] = new("slave_kind", ValueKind.String),
        [5] = new("slave_data", Nested) { SelectorAttribute = 4, NestedByKind = LinkKinds.SlaveData },
    };

    public static readonly AttributeTable Inet = new("ifla-inet", "IFLA_INET_")
    {
        [1] = new("conf", U32Array),
    };

    /// <summary>IFLA_INET6_FLAGS: IF_RA_* and IF_READY (the kernel's net/if_inet6.h; not in uapi).</summary>
    public static readonly FlagTable Inet6Flags = new("inet6-flags")
    {
        { 0x10, "rs_sent" }, { 0x20, "ra_rcvd" }, { 0x40, "ra_managed" }, { 0x80, "ra_otherconf" }, { 0x80000000, "ready" },
    };

    // IFLA_INET6_STATS and IFLA_INET6_ICMP6STATS: u64 counters indexed by the MIB enums of linux/snmp.h, the first
    // ("num") the number of counters sent, itself included. Both lists grow at the end; a shorter one (an older
    // kernel) is no fault. Named by the current header: index 5 was IPSTATS_MIB_OUTPKTS until 6.3, when it became
    // OUTREQUESTS (both count OutRequests) and OUTPKTS (OutTransmits) was added last.
    private static readonly string[] Ipv6StatNames =
    {
        "num", "inpkts", "inoctets", "indelivers", "outforwdatagrams", "outrequests", "outoctets", "inhdrerrors",
        "intoobigerrors", "innoroutes", "inaddrerrors", "inunknownprotos", "intruncatedpkts", "indiscards", "outdiscards",
        "outnoroutes", "reasmtimeout", "reasmreqds", "reasmoks", "reasmfails", "fragoks", "fragfails", "fragcreates",
        "inmcastpkts", "outmcastpkts", "inbcastpkts", "outbcastpkts", "inmcastoctets", "outmcastoctets", "inbcastoctets",
        "outbcastoctets", "csumerrors", "noectpkts", "ect1pkts", "ect0pkts", "cepkts", "reasm_overlaps", "outpkts",
    };

    /// <summary>IFLA_INET6_STATS: IPSTATS_MIB_* (37 counters before 6.3, 38 since).</summary>
    public static readonly StructSpec Ipv6Stats = Resize(Enums.Sequential("ipstats_mib", U64, Ipv6StatNames), 31 * 8);

    /// <summary>IFLA_INET6_ICMP6STATS: ICMP6_MIB_*.</summary>
    public static readonly StructSpec Icmp6Stats = Resize(
        Enums.Sequential("icmp6_mib", U64, "num", "inmsgs", "inerrors", "outmsgs", "outerrors", "csumerrors", "ratelimithost"), 5 * 8);

    public static readonly AttributeTable Inet6 = new("ifla-inet6", "IFLA_INET6_")
    {
        [1] = new("flags", U32) { Flags = Inet6Flags },
        [2] = new("conf", U32Array),
        [3] = new("stats", Struct) { Struct = Ipv6Stats },
        [4] = new("mcast", Binary),
        [5] = new("cacheinfo", Struct) { Struct = Enums.Sequential("ifla_cacheinfo", U32, "max_reasm_len", "tstamp", "reachable_time", "retrans_time") },
        [6] = new("icmp6stats", Struct) { Struct = Icmp6Stats },
        [7] = new("token", IPv6),
        [8] = new("addr_gen_mode", U8) { Enum = new EnumTable("in6-addr-gen-mode") { [0] = "eui64", [1] = "none", [2] = "stable_secret", [3] = "random" } },
        [9] = new("ra_mtu", U32),
    };

    /// <summary>IFLA_AF_SPEC: one nest per address family, typed by the AF number.</summary>
    public static readonly AttributeTable AfSpec = new("af-spec")
    {
        [2] = new("inet", Nested) { Nested = Inet },
        [7] = new("bridge", Nested) { Nested = LinkKinds.BridgeAfSpec },
        [10] = new("inet6", Nested) { Nested = Inet6 },
        [28] = new("mpls", Nested) { Nested = new AttributeTable("ifla-mpls") },
    };

    public static readonly AttributeTable Xdp = new("xdp", "IFLA_XDP_")
    {
        [1] = new("fd", S32), [2] = new("attached", U8) { Enum = new EnumTable("xdp-attached") { [0] = "none", [1] = "drv", [2] = "skb", [3] = "hw", [4] = "multi" } },
        [3] = new("flags", U32), [4] = new("prog_id", U32), [5] = new("drv_prog_id", U32), [6] = new("skb_prog_id", U32),
        [7] = new("hw_prog_id", U32), [8] = new("expected_fd", S32),
    };

    public static readonly AttributeTable PropList = new("link-prop", "IFLA_") { [53] = new("alt_ifname", ValueKind.String) };

    public static readonly AttributeTable ProtoDownReason = new("proto-down-reason", "IFLA_PROTO_DOWN_REASON_")
    {
        [1] = new("mask", U32), [2] = new("value", U32),
    };

    // ---- SR-IOV virtual functions (IFLA_VFINFO_LIST) and port profiles (IFLA_VF_PORTS, IFLA_PORT_SELF)
    private static StructSpec VfStruct(string name, params string[] fields) => Enums.Sequential(name, U32, fields);
    public static readonly AttributeTable VfStats = new("vf-stats", "IFLA_VF_STATS_")
    {
        [0] = new("rx_packets", U64), [1] = new("tx_packets", U64), [2] = new("rx_bytes", U64), [3] = new("tx_bytes", U64),
        [4] = new("broadcast", U64), [5] = new("multicast", U64), [6] = new("pad", Binary), [7] = new("rx_dropped", U64), [8] = new("tx_dropped", U64),
    };
    public static readonly AttributeTable VfVlanList = new("vf-vlan-list", "IFLA_VF_VLAN_")
    {
        [1] = new("info", Struct) { Struct = new StructSpec("ifla_vf_vlan_info", 16) { { "vf", 0, U32 }, { "vlan", 4, U32 }, { "qos", 8, U32 }, { "vlan_proto", 12, U16, LinkKinds.EtherType, null, 0, true } } },
    };
    public static readonly StructSpec VfGuid = new("ifla_vf_guid", 16) { { "vf", 0, U32 }, { "guid", 8, U64 } };
    public static readonly AttributeTable Vf = new("vf", "IFLA_VF_")
    {
        [1] = new("mac", Struct) { Struct = new StructSpec("ifla_vf_mac", 36) { { "vf", 0, U32 }, { "mac", 4, HardwareAddress, null, null, 6 } } },
        [2] = new("vlan", Struct) { Struct = VfStruct("ifla_vf_vlan", "vf", "vlan", "qos") },
        [3] = new("tx_rate", Struct) { Struct = VfStruct("ifla_vf_tx_rate", "vf", "rate") },
        [4] = new("spoofchk", Struct) { Struct = VfStruct("ifla_vf_spoofchk", "vf", "setting") },
        [5] = new("link_state", Struct) { Struct = new StructSpec("ifla_vf_link_state", 8) { { "vf", 0, U32 }, { "link_state", 4, U32, new EnumTable("vf-link-state") { [0] = "auto", [1] = "enable", [2] = "disable" } } } },
        [6] = new("rate", Struct) { Struct = VfStruct("ifla_vf_rate", "vf", "min_tx_rate", "max_tx_rate") },
        [7] = new("rss_query_en", Struct) { Struct = VfStruct("ifla_vf_rss_query_en", "vf", "setting") },
        [8] = new("stats", Nested) { Nested = VfStats },
        [9] = new("trust", Struct) { Struct = VfStruct("ifla_vf_trust", "vf", "setting") },
        [10] = new("ib_node_guid", Struct) { Struct = VfGuid }, [11] = new("ib_port_guid", Struct) { Struct = VfGuid },
        [12] = new("vlan_list", Nested) { Nested = VfVlanList },
        [13] = new("broadcast", Struct) { Struct = new StructSpec("ifla_vf_broadcast", 32) { { "broadcast", 0, HardwareAddress, null, null, 6 } } },
    };
    public static readonly AttributeTable VfInfoList = new("vfinfo-list", "IFLA_VF_") { [1] = new("info", Nested) { Nested = Vf } };
    public static readonly AttributeTable Port = new("port", "IFLA_PORT_")
    {
        [1] = new("vf", U32), [2] = new("profile", ValueKind.String), [3] = new("vsi_type", Binary), [4] = new("instance_uuid", Binary),
        [5] = new("host_uuid", Binary), [6] = new("request", U8), [7] = new("response", U16),
    };
    public static readonly AttributeTable VfPorts = new("vf-ports", "IFLA_VF_") { [1] = new("port", Nested) { Nested = Port } };

    public static readonly AttributeTable Link = new("link", "IFLA_")
    {
        [1] = new("address", HardwareAddress),
        [2] = new("broadcast", HardwareAddress),
        [3] = new("ifname", ValueKind.String),
        [4] = new("mtu", U32),
        [5] = new("link", U32),
        [6] = new("qdisc", ValueKind.String),
        [7] = new("stats", Struct) { Struct = Stats32 },
        [8] = new("cost", U32),
        [9] = new("priority", U32),
        [10] = new("master", U32),
        [11] = new("wireless", Binary),
        // IFLA_PROTINFO and IFLA_AF_SPEC read by ifi_family: bridge port attributes for AF_BRIDGE, inet6 for AF_INET6.
        [12] = new("protinfo", Nested) { HeaderSelector = "family", NestedByKind = new Dictionary<string, AttributeTable> { ["bridge"] = LinkKinds.BridgePort, ["inet6"] = Inet6 } },
        [13] = new("txqlen", U32),
        [14] = new("map", Struct) { Struct = Map },
        [15] = new("weight", U32),
        [16] = new("operstate", U8) { Enum = Enums.OperState },
        [17] = new("linkmode", U8) { Enum = Enums.LinkMode },
        [18] = new("linkinfo", Nested) { Nested = LinkInfo },
        [19] = new("net_ns_pid", U32),
        [20] = new("ifalias", ValueKind.String),
        [21] = new("num_vf", U32),
        [22] = new("vfinfo_list", Nested) { Nested = VfInfoList },
        [23] = new("stats64", Struct) { Struct = Stats64 },
        [24] = new("vf_ports", Nested) { Nested = VfPorts },
        [25] = new("port_self", Nested) { Nested = Port },
        [26] = new("af_spec", Nested) { Nested = AfSpec, HeaderSelector = "family", NestedByKind = new Dictionary<string, AttributeTable> { ["bridge"] = LinkKinds.BridgeAfSpec } },
        [27] = new("group", U32),
        [28] = new("net_ns_fd", U32),
        [29] = new("ext_mask", U32) { Flags = new FlagTable("rtext-filter") { { 1, "vf" }, { 2, "brvlan" }, { 4, "brvlan_compressed" }, { 8, "skip_stats" }, { 16, "mrp" }, { 32, "cfm_config" }, { 64, "cfm_status" }, { 128, "mst" } } },
        [30] = new("promiscuity", U32),
        [31] = new("num_tx_queues", U32),
        [32] = new("num_rx_queues", U32),
        [33] = new("carrier", U8),
        [34] = new("phys_port_id", Binary),
        [35] = new("carrier_changes", U32),
        [36] = new("phys_switch_id", Binary),
        [37] = new("link_netnsid", S32),
        [38] = new("phys_port_name", ValueKind.String),
        [39] = new("proto_down", U8),
        [40] = new("gso_max_segs", U32),
        [41] = new("gso_max_size", U32),
        [42] = new("pad", Binary),
        [43] = new("xdp", Nested) { Nested = Xdp },
        [44] = new("event", U32) { Enum = new EnumTable("ifla-event") { [0] = "none", [1] = "reboot", [2] = "features", [3] = "bonding_failover", [4] = "notify_peers", [5] = "igmp_resend", [6] = "bonding_options" } },
        [45] = new("new_netnsid", S32),
        [46] = new("if_netnsid", S32),
        [47] = new("carrier_up_count", U32),
        [48] = new("carrier_down_count", U32),
        [49] = new("new_ifindex", S32),
        [50] = new("min_mtu", U32),
        [51] = new("max_mtu", U32),
        [52] = new("prop_list", Nested) { Nested = PropList },
        [53] = new("alt_ifname", ValueKind.String),
        [54] = new("perm_address", HardwareAddress),
        [55] = new("proto_down_reason", Nested) { Nested = ProtoDownReason },
        [56] = new("parent_dev_name", ValueKind.String),
        [57] = new("parent_dev_bus_name", ValueKind.String),
        [58] = new("gro_max_size", U32),
        [59] = new("tso_max_size", U32),
        [60] = new("tso_max_segs", U32),
        [61] = new("allmulti", U32),
        [62] = new("devlink_port", Binary),
        [63] = new("gso_ipv4_max_size", U32),
        [64] = new("gro_ipv4_max_size", U32),
        [65] = new("dpll_pin", Nested),
        [66] = new("max_pacing_offload_horizon", Uint),
        [67] = new("netns_immutable", U8),
        [68] = new("headroom", U16),
        [69] = new("tailroom", U16),
    };

    /// <summary>struct ifinfomsg, as RouteSchema.IfInfoMsg. A copy: referring to RouteSchema from here would start its
    /// static initialisation (which needs this class and RouteTables) from inside ours.</summary>
    public static readonly StructSpec IfInfoMsg = new("ifinfomsg", 16)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "type", 2, U16, Enums.Arphrd }, { "index", 4, S32 },
        { "flags", 8, U32, null, Enums.InterfaceFlags }, { "change", 12, U32 },
    };

    /// <summary>
    /// veth (and vxcan) data: IFLA_VETH_INFO_PEER holds an ifinfomsg followed by the peer's IFLA_* attributes, so its
    /// spec is a Nested with a Struct. It refers back to <see cref="Link"/>, so it is registered into
    /// <see cref="LinkKinds.Data"/> here, once Link exists, rather than declared there.
    /// </summary>
    public static readonly AttributeTable Veth = new("veth", "VETH_INFO_")
    {
        [1] = new("peer", Nested) { Struct = IfInfoMsg, Nested = Link },
    };

    static LinkTables()
    {
        LinkKinds.Data["veth"] = Veth;
        LinkKinds.Data["vxcan"] = Veth;
    }
}
