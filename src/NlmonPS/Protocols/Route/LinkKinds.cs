using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Route;

/// <summary>
/// Per-kind link data: IFLA_INFO_DATA and IFLA_INFO_SLAVE_DATA sets chosen by IFLA_INFO_KIND / IFLA_INFO_SLAVE_KIND
/// (linux/if_link.h, if_tunnel.h, veth.h). A kind missing here still decodes, with numbered raw attributes; kinds
/// without data (dummy, nlmon, ifb, wireguard) need no entry.
/// </summary>
internal static class LinkKinds
{
    private static EnumTable Names(string name, params string[] values)
    {
        var table = new EnumTable(name);
        for (int i = 0; i < values.Length; i++) table[(ulong)i] = values[i];
        return table;
    }

    /// <summary>ETH_P_* values that link attributes carry (vlan protocol, bridge vlan protocol, mdb entries).</summary>
    public static readonly EnumTable EtherType = new("ethertype")
    {
        [0x0800] = "ipv4", [0x0806] = "arp", [0x86dd] = "ipv6", [0x8100] = "802.1Q", [0x88a8] = "802.1ad", [0x8847] = "mpls_uc", [0x6558] = "teb",
    };

    // ---- vlan
    public static readonly FlagTable VlanFlags = new("vlan-flags")
    {
        { 0x1, "reorder_hdr" }, { 0x2, "gvrp" }, { 0x4, "loose_binding" }, { 0x8, "mvrp" }, { 0x10, "bridge_binding" },
    };
    public static readonly AttributeTable VlanQos = new("vlan-qos", "IFLA_VLAN_QOS_")
    {
        [1] = new("mapping", Struct) { Struct = Enums.Sequential("ifla_vlan_qos_mapping", U32, "from", "to") },
    };
    public static readonly AttributeTable Vlan = new("vlan", "IFLA_VLAN_")
    {
        [1] = new("id", U16),
        [2] = new("flags", Struct) { Struct = new StructSpec("ifla_vlan_flags", 8) { { "flags", 0, U32, null, VlanFlags }, { "mask", 4, U32, null, VlanFlags } } },
        [3] = new("egress_qos", Nested) { Nested = VlanQos },
        [4] = new("ingress_qos", Nested) { Nested = VlanQos },
        [5] = new("protocol", U16) { NetworkOrder = true, Enum = EtherType },
    };

    // ---- vxlan
    public static readonly AttributeTable Vxlan = new("vxlan", "IFLA_VXLAN_")
    {
        [1] = new("id", U32), [2] = new("group", IPv4), [3] = new("link", U32), [4] = new("local", IPv4), [5] = new("ttl", U8),
        [6] = new("tos", U8), [7] = new("learning", U8), [8] = new("ageing", U32), [9] = new("limit", U32),
        [10] = new("port_range", Struct) { Struct = new StructSpec("ifla_vxlan_port_range", 4) { { "low", 0, U16, null, null, 0, true }, { "high", 2, U16, null, null, 0, true } } },
        [11] = new("proxy", U8), [12] = new("rsc", U8), [13] = new("l2miss", U8), [14] = new("l3miss", U8),
        [15] = new("port", U16) { NetworkOrder = true }, [16] = new("group6", IPv6), [17] = new("local6", IPv6),
        [18] = new("udp_csum", U8), [19] = new("udp_zero_csum6_tx", U8), [20] = new("udp_zero_csum6_rx", U8),
        [21] = new("remcsum_tx", U8), [22] = new("remcsum_rx", U8), [23] = new("gbp", Flag), [24] = new("remcsum_nopartial", Flag),
        [25] = new("collect_metadata", U8), [26] = new("label", U32) { NetworkOrder = true }, [27] = new("gpe", Flag),
        [28] = new("ttl_inherit", Flag), [29] = new("df", U8) { Enum = Names("vxlan-df", "unset", "set", "inherit") },
        [30] = new("vnifilter", U8), [31] = new("localbypass", U8), [32] = new("label_policy", U32),
        [33] = new("reserved_bits", Binary), [34] = new("mc_route", U8),
    };

    // ---- bridge (IFLA_BR_*) and bridge ports (IFLA_BRPORT_*, also IFLA_PROTINFO of AF_BRIDGE messages)
    public static readonly StructSpec BridgeId = new("ifla_bridge_id", 8)
    {
        { "prio", 0, U16, null, null, 0, true }, { "addr", 2, HardwareAddress, null, null, 6 },
    };
    public static readonly AttributeTable BridgeQuerier = new("bridge-querier", "BRIDGE_QUERIER_")
    {
        [1] = new("ip_address", IPv4), [2] = new("ip_port", U32), [3] = new("ip_other_timer", U64), [4] = new("pad", Binary),
        [5] = new("ipv6_address", IPv6), [6] = new("ipv6_port", U32), [7] = new("ipv6_other_timer", U64),
    };
    public static readonly FlagTable BridgeBoolOpts = new("br-boolopt") { { 1, "no_ll_learn" }, { 2, "mcast_vlan_snooping" }, { 4, "mst_enable" } };
    public static readonly AttributeTable Bridge = new("bridge", "IFLA_BR_")
    {
        [1] = new("forward_delay", U32), [2] = new("hello_time", U32), [3] = new("max_age", U32), [4] = new("ageing_time", U32),
        [5] = new("stp_state", U32), [6] = new("priority", U16), [7] = new("vlan_filtering", U8),
        [8] = new("vlan_protocol", U16) { NetworkOrder = true, Enum = EtherType }, [9] = new("group_fwd_mask", U16),
        [10] = new("root_id", Struct) { Struct = BridgeId }, [11] = new("bridge_id", Struct) { Struct = BridgeId },
        [12] = new("root_port", U16), [13] = new("root_path_cost", U32), [14] = new("topology_change", U8),
        [15] = new("topology_change_detected", U8), [16] = new("hello_timer", U64), [17] = new("tcn_timer", U64),
        [18] = new("topology_change_timer", U64), [19] = new("gc_timer", U64), [20] = new("group_addr", HardwareAddress),
        [21] = new("fdb_flush", Flag), [22] = new("mcast_router", U8), [23] = new("mcast_snooping", U8),
        [24] = new("mcast_query_use_ifaddr", U8), [25] = new("mcast_querier", U8), [26] = new("mcast_hash_elasticity", U32),
        [27] = new("mcast_hash_max", U32), [28] = new("mcast_last_member_cnt", U32), [29] = new("mcast_startup_query_cnt", U32),
        [30] = new("mcast_last_member_intvl", U64), [31] = new("mcast_membership_intvl", U64), [32] = new("mcast_querier_intvl", U64),
        [33] = new("mcast_query_intvl", U64), [34] = new("mcast_query_response_intvl", U64), [35] = new("mcast_startup_query_intvl", U64),
        [36] = new("nf_call_iptables", U8), [37] = new("nf_call_ip6tables", U8), [38] = new("nf_call_arptables", U8),
        [39] = new("vlan_default_pvid", U16), [40] = new("pad", Binary), [41] = new("vlan_stats_enabled", U8),
        [42] = new("mcast_stats_enabled", U8), [43] = new("mcast_igmp_version", U8), [44] = new("mcast_mld_version", U8),
        [45] = new("vlan_stats_per_port", U8),
        [46] = new("multi_boolopt", Struct) { Struct = new StructSpec("br_boolopt_multi", 8) { { "optval", 0, U32, null, BridgeBoolOpts }, { "optmask", 4, U32, null, BridgeBoolOpts } } },
        [47] = new("mcast_querier_state", Nested) { Nested = BridgeQuerier },
        [48] = new("fdb_n_learned", U32), [49] = new("fdb_max_learned", U32),
    };

    public static readonly EnumTable BridgePortState = Names("br-state", "disabled", "listening", "learning", "forwarding", "blocking");
    public static readonly AttributeTable BridgePort = new("brport", "IFLA_BRPORT_")
    {
        [1] = new("state", U8) { Enum = BridgePortState }, [2] = new("priority", U16), [3] = new("cost", U32), [4] = new("mode", U8),
        [5] = new("guard", U8), [6] = new("protect", U8), [7] = new("fast_leave", U8), [8] = new("learning", U8),
        [9] = new("unicast_flood", U8), [10] = new("proxyarp", U8), [11] = new("learning_sync", U8), [12] = new("proxyarp_wifi", U8),
        [13] = new("root_id", Struct) { Struct = BridgeId }, [14] = new("bridge_id", Struct) { Struct = BridgeId },
        [15] = new("designated_port", U16), [16] = new("designated_cost", U16), [17] = new("id", U16), [18] = new("no", U16),
        [19] = new("topology_change_ack", U8), [20] = new("config_pending", U8), [21] = new("message_age_timer", U64),
        [22] = new("forward_delay_timer", U64), [23] = new("hold_timer", U64), [24] = new("flush", Flag),
        [25] = new("multicast_router", U8), [26] = new("pad", Binary), [27] = new("mcast_flood", U8), [28] = new("mcast_to_ucast", U8),
        [29] = new("vlan_tunnel", U8), [30] = new("bcast_flood", U8), [31] = new("group_fwd_mask", U16), [32] = new("neigh_suppress", U8),
        [33] = new("isolated", U8), [34] = new("backup_port", U32), [35] = new("mrp_ring_open", U8), [36] = new("mrp_in_open", U8),
        [37] = new("mcast_eht_hosts_limit", U32), [38] = new("mcast_eht_hosts_cnt", U32), [39] = new("locked", U8), [40] = new("mab", U8),
        [41] = new("mcast_n_groups", U32), [42] = new("mcast_max_groups", U32), [43] = new("neigh_vlan_suppress", U8),
        [44] = new("backup_nhid", U32),
    };

    // ---- bond and bond slaves
    /// <summary>Bond ARP/NS targets: a nest of addresses numbered by position.</summary>
    private static AttributeTable Targets(string name, ValueKind kind)
    {
        var table = new AttributeTable(name);
        for (int i = 0; i < 16; i++) table[i] = new AttributeSpec("target", kind);
        return table;
    }
    public static readonly AttributeTable BondAdInfo = new("bond-ad-info", "IFLA_BOND_AD_INFO_")
    {
        [1] = new("aggregator", U16), [2] = new("num_ports", U16), [3] = new("actor_key", U16), [4] = new("partner_key", U16),
        [5] = new("partner_mac", HardwareAddress),
    };
    public static readonly AttributeTable Bond = new("bond", "IFLA_BOND_")
    {
        [1] = new("mode", U8) { Enum = Names("bond-mode", "balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb") },
        [2] = new("active_slave", U32), [3] = new("miimon", U32), [4] = new("updelay", U32), [5] = new("downdelay", U32),
        [6] = new("use_carrier", U8), [7] = new("arp_interval", U32), [8] = new("arp_ip_target", Nested) { Nested = Targets("bond-arp-targets", IPv4) },
        [9] = new("arp_validate", U32) { Enum = Names("bond-arp-validate", "none", "active", "backup", "all", "filter", "filter_active", "filter_backup") },
        [10] = new("arp_all_targets", U32) { Enum = Names("bond-arp-all-targets", "any", "all") }, [11] = new("primary", U32),
        [12] = new("primary_reselect", U8) { Enum = Names("bond-primary-reselect", "always", "better", "failure") },
        [13] = new("fail_over_mac", U8) { Enum = Names("bond-fail-over-mac", "none", "active", "follow") },
        [14] = new("xmit_hash_policy", U8) { Enum = Names("bond-xmit-hash-policy", "layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4", "vlan+srcmac") },
        [15] = new("resend_igmp", U32), [16] = new("num_peer_notif", U8), [17] = new("all_slaves_active", U8), [18] = new("min_links", U32),
        [19] = new("lp_interval", U32), [20] = new("packets_per_slave", U32),
        [21] = new("ad_lacp_rate", U8) { Enum = Names("bond-lacp-rate", "slow", "fast") },
        [22] = new("ad_select", U8) { Enum = Names("bond-ad-select", "stable", "bandwidth", "count") },
        [23] = new("ad_info", Nested) { Nested = BondAdInfo }, [24] = new("ad_actor_sys_prio", U16), [25] = new("ad_user_port_key", U16),
        [26] = new("ad_actor_system", HardwareAddress), [27] = new("tlb_dynamic_lb", U8), [28] = new("peer_notif_delay", U32),
        [29] = new("ad_lacp_active", U8), [30] = new("missed_max", U8), [31] = new("ns_ip6_target", Nested) { Nested = Targets("bond-ns-targets", IPv6) },
        [32] = new("coupled_control", U8), [33] = new("broadcast_neigh", U8),
    };
    public static readonly AttributeTable BondSlave = new("bond-slave", "IFLA_BOND_SLAVE_")
    {
        [1] = new("state", U8) { Enum = Names("bond-slave-state", "active", "backup") },
        [2] = new("mii_status", U8) { Enum = Names("bond-mii-status", "up", "fail", "down", "back") },
        [3] = new("link_failure_count", U32), [4] = new("perm_hwaddr", HardwareAddress), [5] = new("queue_id", U16),
        [6] = new("ad_aggregator_id", U16), [7] = new("ad_actor_oper_port_state", U8), [8] = new("ad_partner_oper_port_state", U16),
        [9] = new("prio", S32), [10] = new("actor_port_prio", U16), [11] = new("ad_churn_actor_state", U8), [12] = new("ad_churn_partner_state", U8),
    };

    // ---- macvlan / macvtap, ipvlan / ipvtap
    public static readonly EnumTable MacvlanMode = new("macvlan-mode") { [1] = "private", [2] = "vepa", [4] = "bridge", [8] = "passthru", [16] = "source" };
    public static readonly AttributeTable MacvlanMacs = new("macvlan-macaddr", "IFLA_MACVLAN_") { [4] = new("macaddr", HardwareAddress) };
    public static readonly AttributeTable Macvlan = new("macvlan", "IFLA_MACVLAN_")
    {
        [1] = new("mode", U32) { Enum = MacvlanMode }, [2] = new("flags", U16) { Flags = new FlagTable("macvlan-flags") { { 1, "nopromisc" }, { 2, "nodst" } } },
        [3] = new("macaddr_mode", U32) { Enum = Names("macvlan-macaddr-mode", "add", "del", "flush", "set") }, [4] = new("macaddr", HardwareAddress),
        [5] = new("macaddr_data", Nested) { Nested = MacvlanMacs }, [6] = new("macaddr_count", U32), [7] = new("bc_queue_len", U32),
        [8] = new("bc_queue_len_used", U32), [9] = new("bc_cutoff", S32),
    };
    public static readonly AttributeTable Ipvlan = new("ipvlan", "IFLA_IPVLAN_")
    {
        [1] = new("mode", U16) { Enum = Names("ipvlan-mode", "l2", "l3", "l3s") },
        [2] = new("flags", U16) { Flags = new FlagTable("ipvlan-flags") { { 1, "private" }, { 2, "vepa" } } },
    };

    // ---- IP tunnels: gre family (IFLA_GRE_*), ipip/sit/ip6tnl (IFLA_IPTUN_*), vti (IFLA_VTI_*)
    public static readonly FlagTable GreFlags = new("gre-flags")
    {
        { 0x8000, "csum" }, { 0x4000, "routing" }, { 0x2000, "key" }, { 0x1000, "seq" }, { 0x0800, "strict" }, { 0x0080, "ack" },
    };
    public static readonly EnumTable TunnelEncap = Names("tunnel-encap", "none", "fou", "gue", "mpls");
    public static readonly AttributeTable Gre = new("gre", "IFLA_GRE_")
    {
        [1] = new("link", U32), [2] = new("iflags", U16) { NetworkOrder = true, Flags = GreFlags }, [3] = new("oflags", U16) { NetworkOrder = true, Flags = GreFlags },
        [4] = new("ikey", U32) { NetworkOrder = true }, [5] = new("okey", U32) { NetworkOrder = true }, [6] = new("local", IpAddress),
        [7] = new("remote", IpAddress), [8] = new("ttl", U8), [9] = new("tos", U8), [10] = new("pmtudisc", U8), [11] = new("encap_limit", U8),
        [12] = new("flowinfo", U32) { NetworkOrder = true }, [13] = new("flags", U32), [14] = new("encap_type", U16) { Enum = TunnelEncap },
        [15] = new("encap_flags", U16), [16] = new("encap_sport", U16) { NetworkOrder = true }, [17] = new("encap_dport", U16) { NetworkOrder = true },
        [18] = new("collect_metadata", Flag), [19] = new("ignore_df", U8), [20] = new("fwmark", U32), [21] = new("erspan_index", U32),
        [22] = new("erspan_ver", U8), [23] = new("erspan_dir", U8), [24] = new("erspan_hwid", U16),
    };
    /// <summary>IFLA_IPTUN_FLAGS is a u32 for ip6tnl but sit's __be16 i_flags: one table per width.</summary>
    private static AttributeTable IpTunnel(string name, AttributeSpec flags) => new(name, "IFLA_IPTUN_")
    {
        [1] = new("link", U32), [2] = new("local", IpAddress), [3] = new("remote", IpAddress), [4] = new("ttl", U8), [5] = new("tos", U8),
        [6] = new("encap_limit", U8), [7] = new("flowinfo", U32) { NetworkOrder = true }, [8] = flags, [9] = new("proto", U8),
        [10] = new("pmtudisc", U8), [11] = new("6rd_prefix", IPv6), [12] = new("6rd_relay_prefix", IPv4), [13] = new("6rd_prefixlen", U16),
        [14] = new("6rd_relay_prefixlen", U16), [15] = new("encap_type", U16) { Enum = TunnelEncap }, [16] = new("encap_flags", U16),
        [17] = new("encap_sport", U16) { NetworkOrder = true }, [18] = new("encap_dport", U16) { NetworkOrder = true },
        [19] = new("collect_metadata", Flag), [20] = new("fwmark", U32),
    };
    public static readonly AttributeTable IpTunnel32 = IpTunnel("iptun", new AttributeSpec("flags", U32));
    public static readonly AttributeTable IpTunnelSit = IpTunnel("iptun-sit", new AttributeSpec("flags", U16));
    public static readonly AttributeTable Vti = new("vti", "IFLA_VTI_")
    {
        [1] = new("link", U32), [2] = new("ikey", U32) { NetworkOrder = true }, [3] = new("okey", U32) { NetworkOrder = true },
        [4] = new("local", IpAddress), [5] = new("remote", IpAddress), [6] = new("fwmark", U32),
    };

    // ---- the rest: vrf, geneve, macsec, xfrm interfaces, tun/tap, bareudp, hsr, ipoib
    public static readonly AttributeTable Vrf = new("vrf", "IFLA_VRF_") { [1] = new("table", U32) };
    public static readonly AttributeTable VrfPort = new("vrf-port", "IFLA_VRF_PORT_") { [1] = new("table", U32) };
    public static readonly AttributeTable Geneve = new("geneve", "IFLA_GENEVE_")
    {
        [1] = new("id", U32), [2] = new("remote", IPv4), [3] = new("ttl", U8), [4] = new("tos", U8), [5] = new("port", U16) { NetworkOrder = true },
        [6] = new("collect_metadata", Flag), [7] = new("remote6", IPv6), [8] = new("udp_csum", U8), [9] = new("udp_zero_csum6_tx", U8),
        [10] = new("udp_zero_csum6_rx", U8), [11] = new("label", U32) { NetworkOrder = true }, [12] = new("ttl_inherit", U8),
        [13] = new("df", U8) { Enum = Names("geneve-df", "unset", "set", "inherit") }, [14] = new("inner_proto_inherit", Flag),
    };
    public static readonly AttributeTable Macsec = new("macsec", "IFLA_MACSEC_")
    {
        [1] = new("sci", U64) { NetworkOrder = true }, [2] = new("port", U16) { NetworkOrder = true }, [3] = new("icv_len", U8),
        [4] = new("cipher_suite", U64) { Enum = new EnumTable("macsec-cipher") { [0x0080C20001000001] = "gcm-aes-128", [0x0080C20001000002] = "gcm-aes-256", [0x0080C20001000003] = "gcm-aes-xpn-128", [0x0080C20001000004] = "gcm-aes-xpn-256" } },
        [5] = new("window", U32), [6] = new("encoding_sa", U8), [7] = new("encrypt", U8), [8] = new("protect", U8), [9] = new("inc_sci", U8),
        [10] = new("es", U8), [11] = new("scb", U8), [12] = new("replay_protect", U8),
        [13] = new("validation", U8) { Enum = Names("macsec-validate", "disabled", "check", "strict") }, [14] = new("pad", Binary),
        [15] = new("offload", U8) { Enum = Names("macsec-offload", "off", "phy", "mac") },
    };
    public static readonly AttributeTable Xfrm = new("xfrm-link", "IFLA_XFRM_") { [1] = new("link", U32), [2] = new("if_id", U32), [3] = new("collect_metadata", Flag) };
    public static readonly AttributeTable Tun = new("tun", "IFLA_TUN_")
    {
        [1] = new("owner", U32), [2] = new("group", U32), [3] = new("type", U8) { Enum = new EnumTable("tun-type") { [1] = "tun", [2] = "tap" } },
        [4] = new("pi", U8), [5] = new("vnet_hdr", U8), [6] = new("persist", U8), [7] = new("multi_queue", U8), [8] = new("num_queues", U32),
        [9] = new("num_disabled_queues", U32),
    };
    public static readonly AttributeTable BareUdp = new("bareudp", "IFLA_BAREUDP_")
    {
        [1] = new("port", U16) { NetworkOrder = true }, [2] = new("ethertype", U16) { NetworkOrder = true, Enum = EtherType },
        [3] = new("srcport_min", U16), [4] = new("multiproto_mode", Flag),
    };
    public static readonly AttributeTable Hsr = new("hsr", "IFLA_HSR_")
    {
        [1] = new("slave1", U32), [2] = new("slave2", U32), [3] = new("multicast_spec", U8), [4] = new("supervision_addr", HardwareAddress),
        [5] = new("seq_nr", U16), [6] = new("version", U8), [7] = new("protocol", U8) { Enum = Names("hsr-protocol", "hsr", "prp") },
    };
    public static readonly AttributeTable Ipoib = new("ipoib", "IFLA_IPOIB_") { [1] = new("pkey", U16), [2] = new("mode", U16) { Enum = Names("ipoib-mode", "datagram", "connected") }, [3] = new("umcast", U16) };

    public static readonly Dictionary<string, AttributeTable> Data = new(StringComparer.Ordinal)
    {
        // "veth" and "vxcan" are added by LinkTables: their peer is a whole link message (see LinkTables.Veth).
        ["vlan"] = Vlan, ["vxlan"] = Vxlan, ["bridge"] = Bridge, ["bond"] = Bond,
        ["macvlan"] = Macvlan, ["macvtap"] = Macvlan, ["ipvlan"] = Ipvlan, ["ipvtap"] = Ipvlan,
        ["gre"] = Gre, ["gretap"] = Gre, ["ip6gre"] = Gre, ["ip6gretap"] = Gre, ["erspan"] = Gre, ["ip6erspan"] = Gre,
        ["ipip"] = IpTunnel32, ["ip6tnl"] = IpTunnel32, ["sit"] = IpTunnelSit, ["vti"] = Vti, ["vti6"] = Vti,
        ["vrf"] = Vrf, ["geneve"] = Geneve, ["macsec"] = Macsec, ["xfrm"] = Xfrm, ["tun"] = Tun, ["bareudp"] = BareUdp,
        ["hsr"] = Hsr, ["ipoib"] = Ipoib,
    };

    public static readonly Dictionary<string, AttributeTable> SlaveData = new(StringComparer.Ordinal)
    {
        ["bridge"] = BridgePort, ["bond"] = BondSlave, ["vrf"] = VrfPort,
    };

    // ---- IFLA_AF_SPEC of AF_BRIDGE messages (bridge link/vlan): IFLA_BRIDGE_* directly, not per family.
    public static readonly FlagTable BridgeVlanFlags = new("bridge-vlan-info-flags")
    {
        { 0x1, "master" }, { 0x2, "pvid" }, { 0x4, "untagged" }, { 0x8, "range_begin" }, { 0x10, "range_end" }, { 0x20, "brentry" }, { 0x40, "only_opts" },
    };
    public static readonly StructSpec BridgeVlanInfo = new("bridge_vlan_info", 4) { { "flags", 0, U16, null, BridgeVlanFlags }, { "vid", 2, U16 } };
    public static readonly AttributeTable BridgeVlanTunnel = new("bridge-vlan-tunnel", "IFLA_BRIDGE_VLAN_TUNNEL_")
    {
        [1] = new("id", U32), [2] = new("vid", U16), [3] = new("flags", U16) { Flags = BridgeVlanFlags },
    };
    public static readonly AttributeTable BridgeMstEntry = new("bridge-mst-entry", "IFLA_BRIDGE_MST_ENTRY_") { [1] = new("msti", U16), [2] = new("state", U8) { Enum = BridgePortState } };
    public static readonly AttributeTable BridgeMst = new("bridge-mst", "IFLA_BRIDGE_MST_") { [1] = new("entry", Nested) { Nested = BridgeMstEntry } };
    public static readonly AttributeTable BridgeAfSpec = new("bridge-af-spec", "IFLA_BRIDGE_")
    {
        [0] = new("flags", U16) { Flags = new FlagTable("bridge-flags") { { 1, "master" }, { 2, "self" } } },
        [1] = new("mode", U16) { Enum = Names("bridge-mode", "veb", "vepa") },
        [2] = new("vlan_info", Struct) { Struct = BridgeVlanInfo },
        [3] = new("vlan_tunnel_info", Nested) { Nested = BridgeVlanTunnel },
        [4] = new("mrp", Nested), [5] = new("cfm", Nested),
        [6] = new("mst", Nested) { Nested = BridgeMst },
    };
}
