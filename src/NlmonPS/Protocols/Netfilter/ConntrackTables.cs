using NlmonPS.Decoding;
using static NlmonPS.Protocols.Netfilter.NfAttr;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>ctnetlink (nfnetlink_conntrack.h): conntrack entries, expectations, statistics.</summary>
internal static class ConntrackTables
{
    public static readonly EnumTable Messages = NfEnums.Names("cntl-msg-types",
        "IPCTNL_MSG_CT_NEW", "IPCTNL_MSG_CT_GET", "IPCTNL_MSG_CT_DELETE", "IPCTNL_MSG_CT_GET_CTRZERO",
        "IPCTNL_MSG_CT_GET_STATS_CPU", "IPCTNL_MSG_CT_GET_STATS", "IPCTNL_MSG_CT_GET_DYING", "IPCTNL_MSG_CT_GET_UNCONFIRMED");

    public static readonly EnumTable ExpectMessages = NfEnums.Names("ctnl-exp-msg-types",
        "IPCTNL_MSG_EXP_NEW", "IPCTNL_MSG_EXP_GET", "IPCTNL_MSG_EXP_DELETE", "IPCTNL_MSG_EXP_GET_STATS_CPU");

    public static readonly AttributeTable Ip = new("ct-ip", "CTA_IP_")
    {
        [1] = Ip4("v4_src"), [2] = Ip4("v4_dst"), [3] = Ip6("v6_src"), [4] = Ip6("v6_dst"),
    };

    public static readonly AttributeTable Proto = new("ct-proto", "CTA_PROTO_")
    {
        [1] = U8("num", NfEnums.IpProto), [2] = Be16("src_port"), [3] = Be16("dst_port"),
        [4] = Be16("icmp_id"), [5] = U8("icmp_type"), [6] = U8("icmp_code"),
        [7] = Be16("icmpv6_id"), [8] = U8("icmpv6_type"), [9] = U8("icmpv6_code"),
    };

    public static readonly AttributeTable Tuple = new("ct-tuple", "CTA_TUPLE_")
    {
        [1] = Nest("ip", Ip), [2] = Nest("proto", Proto), [3] = Be16("zone"),
    };

    /// <summary>struct nf_ct_tcp_flags: the flags and which of them to change.</summary>
    public static readonly StructSpec TcpFlagsStruct = new("nf_ct_tcp_flags", 2)
    {
        { "flags", 0, ValueKind.U8, null, NfEnums.TcpFlags }, { "mask", 1, ValueKind.U8, null, NfEnums.TcpFlags },
    };

    public static readonly AttributeTable ProtoInfoTcp = new("ct-protoinfo-tcp", "CTA_PROTOINFO_TCP_")
    {
        [1] = U8("state", NfEnums.TcpState), [2] = U8("wscale_original"), [3] = U8("wscale_reply"),
        [4] = Struct("flags_original", TcpFlagsStruct), [5] = Struct("flags_reply", TcpFlagsStruct),
    };

    public static readonly AttributeTable ProtoInfoDccp = new("ct-protoinfo-dccp", "CTA_PROTOINFO_DCCP_")
    {
        [1] = U8("state", NfEnums.DccpState), [2] = U8("role"), [3] = Be64("handshake_seq"), [4] = Pad(),
    };

    public static readonly AttributeTable ProtoInfoSctp = new("ct-protoinfo-sctp", "CTA_PROTOINFO_SCTP_")
    {
        [1] = U8("state", NfEnums.SctpState), [2] = Be32("vtag_original"), [3] = Be32("vtag_reply"),
    };

    public static readonly AttributeTable ProtoInfo = new("ct-protoinfo", "CTA_PROTOINFO_")
    {
        [1] = Nest("tcp", ProtoInfoTcp), [2] = Nest("dccp", ProtoInfoDccp), [3] = Nest("sctp", ProtoInfoSctp),
    };

    // CTA_COUNTERS32_PACKETS/BYTES (3, 4) are old and unused: the kernel never sends them.
    public static readonly AttributeTable Counters = new("ct-counters", "CTA_COUNTERS_")
    {
        [1] = Be64("packets"), [2] = Be64("bytes"), [5] = Pad(),
    };

    public static readonly AttributeTable Timestamp = new("ct-timestamp", "CTA_TIMESTAMP_")
    {
        [1] = Be64("start"), [2] = Be64("stop"), [3] = Pad(),
    };

    public static readonly AttributeTable ProtoNat = new("ct-protonat", "CTA_PROTONAT_")
    {
        [1] = Be16("port_min"), [2] = Be16("port_max"),
    };

    public static readonly AttributeTable Nat = new("ct-nat", "CTA_NAT_")
    {
        [1] = Ip4("v4_minip"), [2] = Ip4("v4_maxip"), [3] = Nest("proto", ProtoNat), [4] = Ip6("v6_minip"), [5] = Ip6("v6_maxip"),
    };

    public static readonly AttributeTable SeqAdj = new("ct-seqadj", "CTA_SEQADJ_")
    {
        [1] = Be32("correction_pos"), [2] = Be32("offset_before"), [3] = Be32("offset_after"),
    };

    public static readonly AttributeTable Synproxy = new("ct-synproxy", "CTA_SYNPROXY_")
    {
        [1] = Be32("isn"), [2] = Be32("its"), [3] = Be32("tsoff"),
    };

    public static readonly AttributeTable Help = new("ct-help", "CTA_HELP_") { [1] = Str("name"), [2] = Bin("info") };

    public static readonly AttributeTable SecCtx = new("ct-secctx", "CTA_SECCTX_") { [1] = Str("name") };

    /// <summary>CTA_FILTER flags are host order (ctnetlink_parse_filter reads them with nla_get_u32).</summary>
    public static readonly AttributeTable Filter = new("ct-filter", "CTA_FILTER_") { [1] = Host32("orig_flags"), [2] = Host32("reply_flags") };

    /// <summary>enum ctattr_type: one conntrack entry (IPCTNL_MSG_CT_NEW/GET/DELETE), also nested in NFQA_CT/NFULA_CT.</summary>
    public static readonly AttributeTable Conntrack = new("ct-attrs", "CTA_")
    {
        [1] = Nest("tuple_orig", Tuple),
        [2] = Nest("tuple_reply", Tuple),
        [3] = Be32("status", null, NfEnums.ConntrackStatus),
        [4] = Nest("protoinfo", ProtoInfo),
        [5] = Nest("help", Help),
        [6] = Nest("nat_src", Nat),
        [7] = Be32("timeout"),
        [8] = Be32("mark"),
        [9] = Nest("counters_orig", Counters),
        [10] = Nest("counters_reply", Counters),
        [11] = Be32("use"),
        [12] = Be32("id"),
        [13] = Nest("nat_dst", Nat),
        [14] = Nest("tuple_master", Tuple),
        [15] = Nest("seq_adj_orig", SeqAdj),
        [16] = Nest("seq_adj_reply", SeqAdj),
        [17] = Be32("secmark"),
        [18] = Be16("zone"),
        [19] = Nest("secctx", SecCtx),
        [20] = Nest("timestamp", Timestamp),
        [21] = Be32("mark_mask"),
        [22] = Bin("labels"),
        [23] = Bin("labels_mask"),
        [24] = Nest("synproxy", Synproxy),
        [25] = Nest("filter", Filter),
        [26] = Be32("status_mask", null, NfEnums.ConntrackStatus),
        // Linux 6.14+: when the event was generated (newer than the uapi headers of Debian 12).
        [27] = Be64("timestamp_event"),
    };

    /// <summary>enum ctattr_stats_cpu: IPCTNL_MSG_CT_GET_STATS_CPU, one message per CPU (res_id = cpu).</summary>
    public static readonly AttributeTable StatsCpu = new("ct-stats-cpu", "CTA_STATS_")
    {
        [1] = Be32("searched"), [2] = Be32("found"), [3] = Be32("new"), [4] = Be32("invalid"), [5] = Be32("ignore"),
        [6] = Be32("delete"), [7] = Be32("delete_list"), [8] = Be32("insert"), [9] = Be32("insert_failed"),
        [10] = Be32("drop"), [11] = Be32("early_drop"), [12] = Be32("error"), [13] = Be32("search_restart"),
        [14] = Be32("clash_resolve"), [15] = Be32("chain_toolong"),
    };

    public static readonly AttributeTable StatsGlobal = new("ct-stats-global", "CTA_STATS_GLOBAL_")
    {
        [1] = Be32("entries"), [2] = Be32("max_entries"),
    };

    public static readonly AttributeTable ExpectStats = new("ct-stats-exp", "CTA_STATS_EXP_")
    {
        [1] = Be32("new"), [2] = Be32("create"), [3] = Be32("delete"),
    };

    public static readonly AttributeTable ExpectNat = new("ct-expect-nat", "CTA_EXPECT_NAT_")
    {
        [1] = Be32("dir"), [2] = Nest("tuple", Tuple),
    };

    /// <summary>enum ctattr_expect: one expectation (IPCTNL_MSG_EXP_*), also NFQA_EXP.</summary>
    public static readonly AttributeTable Expect = new("ct-expect", "CTA_EXPECT_")
    {
        [1] = Nest("master", Tuple),
        [2] = Nest("tuple", Tuple),
        [3] = Nest("mask", Tuple),
        [4] = Be32("timeout"),
        [5] = Be32("id"),
        [6] = Str("help_name"),
        [7] = Be16("zone"),
        [8] = Be32("flags", null, NfEnums.ExpectFlags),
        [9] = Be32("class"),
        [10] = Nest("nat", ExpectNat),
        [11] = Str("fn"),
    };
}

/// <summary>cttimeout (nfnetlink_cttimeout.h): named timeout policies; CTA_TIMEOUT_DATA's layout depends on l4proto.</summary>
internal static class CtTimeoutTables
{
    public static readonly EnumTable Messages = NfEnums.Names("ctnl-timeout-msg-types",
        "IPCTNL_MSG_TIMEOUT_NEW", "IPCTNL_MSG_TIMEOUT_GET", "IPCTNL_MSG_TIMEOUT_DELETE",
        "IPCTNL_MSG_TIMEOUT_DEFAULT_SET", "IPCTNL_MSG_TIMEOUT_DEFAULT_GET");

    private static AttributeTable Timeouts(string name, string prefix, params string[] states)
    {
        var table = new AttributeTable(name, prefix);
        for (int i = 0; i < states.Length; i++) table[i + 1] = Be32(states[i]);
        return table;
    }

    public static readonly AttributeTable Generic = Timeouts("ct-timeout-generic", "CTA_TIMEOUT_GENERIC_", "timeout");
    public static readonly AttributeTable Tcp = Timeouts("ct-timeout-tcp", "CTA_TIMEOUT_TCP_",
        "syn_sent", "syn_recv", "established", "fin_wait", "close_wait", "last_ack", "time_wait", "close", "syn_sent2", "retrans", "unack");
    public static readonly AttributeTable Udp = Timeouts("ct-timeout-udp", "CTA_TIMEOUT_UDP_", "unreplied", "replied");
    public static readonly AttributeTable UdpLite = Timeouts("ct-timeout-udplite", "CTA_TIMEOUT_UDPLITE_", "unreplied", "replied");
    public static readonly AttributeTable Icmp = Timeouts("ct-timeout-icmp", "CTA_TIMEOUT_ICMP_", "timeout");
    public static readonly AttributeTable Dccp = Timeouts("ct-timeout-dccp", "CTA_TIMEOUT_DCCP_",
        "request", "respond", "partopen", "open", "closereq", "closing", "timewait");
    public static readonly AttributeTable Sctp = Timeouts("ct-timeout-sctp", "CTA_TIMEOUT_SCTP_",
        "closed", "cookie_wait", "cookie_echoed", "established", "shutdown_sent", "shutdown_recd", "shutdown_ack_sent",
        "heartbeat_sent", "heartbeat_acked");
    public static readonly AttributeTable IcmpV6 = Timeouts("ct-timeout-icmpv6", "CTA_TIMEOUT_ICMPV6_", "timeout");
    public static readonly AttributeTable Gre = Timeouts("ct-timeout-gre", "CTA_TIMEOUT_GRE_", "unreplied", "replied");

    /// <summary>The CTA_TIMEOUT_DATA set by IPPROTO number (CTA_TIMEOUT_L4PROTO); anything else uses the generic one.</summary>
    public static readonly IReadOnlyDictionary<ulong, AttributeTable> DataByL4Proto = new Dictionary<ulong, AttributeTable>
    {
        [6] = Tcp, [17] = Udp, [136] = UdpLite, [1] = Icmp, [33] = Dccp, [132] = Sctp, [58] = IcmpV6, [47] = Gre,
    };

    public static readonly AttributeTable Timeout = new("ct-timeout", "CTA_TIMEOUT_")
    {
        [1] = Str("name"), [2] = Be16("l3proto", NfEnums.NfProto), [3] = U8("l4proto", NfEnums.IpProto),
        [4] = Nest("data", Generic), [5] = Be32("use"),
    };
}

/// <summary>cthelper (nfnetlink_cthelper.h): user-space conntrack helpers.</summary>
internal static class CtHelperTables
{
    public static readonly EnumTable Messages = NfEnums.Names("nfnl-cthelper-msg-types",
        "NFNL_MSG_CTHELPER_NEW", "NFNL_MSG_CTHELPER_GET", "NFNL_MSG_CTHELPER_DEL");

    public static readonly AttributeTable Tuple = new("nfcth-tuple", "NFCTH_TUPLE_")
    {
        [1] = Be16("l3protonum", NfEnums.NfProto), [2] = U8("l4protonum", NfEnums.IpProto),
    };

    public static readonly AttributeTable Policy = new("nfcth-policy", "NFCTH_POLICY_")
    {
        [1] = Str("name"), [2] = Be32("expect_max"), [3] = Be32("expect_timeout"),
    };

    public static readonly AttributeTable PolicySet = new("nfcth-policy-set", "NFCTH_POLICY_")
    {
        [1] = Be32("set_num"), [2] = Nest("set1", Policy), [3] = Nest("set2", Policy), [4] = Nest("set3", Policy), [5] = Nest("set4", Policy),
    };

    public static readonly AttributeTable Helper = new("nfcth", "NFCTH_")
    {
        [1] = Str("name"), [2] = Nest("tuple", Tuple), [3] = Be32("queue_num"), [4] = Nest("policy", PolicySet),
        [5] = Be32("priv_data_len"), [6] = Be32("status", new EnumTable("nfct-helper-status") { [0] = "disabled", [1] = "enabled" }),
    };
}
