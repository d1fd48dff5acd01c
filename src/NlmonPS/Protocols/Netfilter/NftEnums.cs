using NlmonPS.Decoding;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>Enumerations of nf_tables.h, with values named as nft prints them where it prints them.</summary>
internal static class NftEnums
{
    public static readonly EnumTable Messages = NfEnums.Names("nf-tables-msg-types",
        "NFT_MSG_NEWTABLE", "NFT_MSG_GETTABLE", "NFT_MSG_DELTABLE", "NFT_MSG_NEWCHAIN", "NFT_MSG_GETCHAIN", "NFT_MSG_DELCHAIN",
        "NFT_MSG_NEWRULE", "NFT_MSG_GETRULE", "NFT_MSG_DELRULE", "NFT_MSG_NEWSET", "NFT_MSG_GETSET", "NFT_MSG_DELSET",
        "NFT_MSG_NEWSETELEM", "NFT_MSG_GETSETELEM", "NFT_MSG_DELSETELEM", "NFT_MSG_NEWGEN", "NFT_MSG_GETGEN", "NFT_MSG_TRACE",
        "NFT_MSG_NEWOBJ", "NFT_MSG_GETOBJ", "NFT_MSG_DELOBJ", "NFT_MSG_GETOBJ_RESET", "NFT_MSG_NEWFLOWTABLE",
        "NFT_MSG_GETFLOWTABLE", "NFT_MSG_DELFLOWTABLE",
        // Linux 6.3 and later (newer than the Debian 12 headers).
        "NFT_MSG_GETRULE_RESET", "NFT_MSG_DESTROYTABLE", "NFT_MSG_DESTROYCHAIN", "NFT_MSG_DESTROYRULE", "NFT_MSG_DESTROYSET",
        "NFT_MSG_DESTROYSETELEM", "NFT_MSG_DESTROYOBJ", "NFT_MSG_DESTROYFLOWTABLE", "NFT_MSG_GETSETELEM_RESET");

    /// <summary>enum nft_registers: the four 16-byte registers and the sixteen 4-byte views of them.</summary>
    public static readonly EnumTable Registers = BuildRegisters();

    private static EnumTable BuildRegisters()
    {
        var t = new EnumTable("nft-registers") { [0] = "NFT_REG_VERDICT", [1] = "NFT_REG_1", [2] = "NFT_REG_2", [3] = "NFT_REG_3", [4] = "NFT_REG_4" };
        for (int i = 0; i < 16; i++) t[(ulong)(8 + i)] = $"NFT_REG32_{i:00}";
        return t;
    }

    public static readonly FlagTable TableFlags = new("nft-table-flags") { { 0x1, "dormant" }, { 0x2, "owner" }, { 0x4, "persist" } };
    public static readonly FlagTable ChainFlags = new("nft-chain-flags") { { 0x1, "base" }, { 0x2, "hw_offload" }, { 0x4, "binding" } };
    public static readonly EnumTable ChainPolicy = new("nft-chain-policy") { [0] = "drop", [1] = "accept" };

    public static readonly FlagTable SetFlags = new("nft-set-flags")
    {
        { 0x1, "anonymous" }, { 0x2, "constant" }, { 0x4, "interval" }, { 0x8, "map" }, { 0x10, "timeout" },
        { 0x20, "dynamic" }, { 0x40, "object" }, { 0x80, "concat" }, { 0x100, "expr" },
    };
    public static readonly EnumTable SetPolicy = new("nft-set-policies") { [0] = "performance", [1] = "memory" };
    public static readonly FlagTable SetElemFlags = new("nft-set-elem-flags") { { 0x1, "interval_end" }, { 0x2, "catchall" } };

    /// <summary>NFT_OBJECT_*: NFTA_OBJ_TYPE, NFTA_SET_OBJ_TYPE, NFTA_OBJREF_IMM_TYPE.</summary>
    public static readonly EnumTable ObjectType = NfEnums.Names("nft-object-type",
        "unspec", "counter", "quota", "ct helper", "limit", "connlimit", "tunnel", "ct timeout", "secmark", "ct expectation", "synproxy");

    /// <summary>The nft datatypes of NFTA_SET_KEY_TYPE / DATA_TYPE (nftables' enum datatypes; concatenations shift by 6 bits).</summary>
    public static readonly EnumTable DataType = NfEnums.Names("nft-datatype",
        "invalid", "verdict", "nf_proto", "bitmask", "integer", "string", "ll_addr", "ipv4_addr", "ipv6_addr", "ether_addr",
        "ether_type", "arp_op", "inet_proto", "inet_service", "icmp_type", "tcp_flag", "dccp_pkttype", "mh_type", "time",
        "mark", "iface_index", "iface_type", "realm", "classid", "uid", "gid", "ct_state", "ct_dir", "ct_status",
        "icmpv6_type", "ct_label", "pkt_type", "icmp_code", "icmpv6_code", "icmpx_code", "devgroup", "dscp", "ecn", "fib_addrtype",
        "boolean", "ct_event", "ifname", "igmp_type", "time", "hour", "day", "cgroupsv2");

    public static readonly EnumTable CmpOp = NfEnums.Names("nft-cmp-ops", "eq", "neq", "lt", "lte", "gt", "gte");
    public static readonly EnumTable RangeOp = NfEnums.Names("nft-range-ops", "eq", "neq");
    public static readonly EnumTable BitwiseOp = NfEnums.Names("nft-bitwise-ops", "mask_xor", "lshift", "rshift", "and", "or", "xor");
    public static readonly EnumTable ByteorderOp = NfEnums.Names("nft-byteorder-ops", "ntoh", "hton");
    public static readonly FlagTable LookupFlags = new("nft-lookup-flags") { { 0x1, "inv" } };
    public static readonly EnumTable DynsetOp = NfEnums.Names("nft-dynset-ops", "add", "update", "delete");
    public static readonly FlagTable DynsetFlags = new("nft-dynset-flags") { { 0x1, "inv" }, { 0x2, "expr" } };
    public static readonly EnumTable PayloadBase = NfEnums.Names("nft-payload-bases", "link", "network", "transport", "inner", "tunnel");
    public static readonly EnumTable PayloadCsumType = NfEnums.Names("nft-payload-csum-types", "none", "inet", "sctp");
    public static readonly FlagTable PayloadCsumFlags = new("nft-payload-csum-flags") { { 0x1, "l4csum_pseudohdr" } };
    public static readonly EnumTable ExthdrOp = NfEnums.Names("nft-exthdr-op", "ipv6", "tcpopt", "ipv4", "sctp", "dccp");
    public static readonly FlagTable ExthdrFlags = new("nft-exthdr-flags") { { 0x1, "present" } };

    /// <summary>enum nft_meta_keys, in nft's words (NFT_META_BRI_IIFNAME is "ibrname", NFT_META_SECPATH "ipsec").</summary>
    public static readonly EnumTable MetaKey = NfEnums.Names("nft-meta-keys",
        "length", "protocol", "priority", "mark", "iif", "oif", "iifname", "oifname", "iiftype", "oiftype", "skuid", "skgid",
        "nftrace", "rtclassid", "secmark", "nfproto", "l4proto", "ibrname", "obrname", "pkttype", "cpu", "iifgroup",
        "oifgroup", "cgroup", "random", "ipsec", "iifkind", "oifkind", "ibrpvid", "ibrvproto", "time", "day", "hour",
        "sdif", "sdifname", "broute", "", "ibrhwaddr");

    public static readonly EnumTable RtKey = NfEnums.Names("nft-rt-keys", "classid", "nexthop", "nexthop6", "mtu", "ipsec");

    /// <summary>enum nft_ct_keys, in nft's words.</summary>
    public static readonly EnumTable CtKey = NfEnums.Names("nft-ct-keys",
        "state", "direction", "status", "mark", "secmark", "expiration", "helper", "l3proto", "saddr", "daddr", "protocol",
        "proto-src", "proto-dst", "label", "packets", "bytes", "avgpkt", "zone", "event", "ip saddr", "ip daddr",
        "ip6 saddr", "ip6 daddr", "id");
    public static readonly EnumTable CtDirection = NfEnums.Names("ip-conntrack-dir", "original", "reply");

    public static readonly EnumTable SocketKey = NfEnums.Names("nft-socket-keys", "transparent", "mark", "wildcard", "cgroupv2");
    public static readonly EnumTable LimitType = NfEnums.Names("nft-limit-type", "pkts", "bytes");
    public static readonly FlagTable LimitFlags = new("nft-limit-flags") { { 0x1, "inv" } };
    public static readonly FlagTable ConnlimitFlags = new("nft-connlimit-flags") { { 0x1, "inv" } };
    public static readonly FlagTable QuotaFlags = new("nft-quota-flags") { { 0x1, "inv" }, { 0x2, "depleted" } };
    public static readonly EnumTable LogLevel = NfEnums.Names("nft-log-level",
        "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug", "audit");

    /// <summary>NF_LOG_* (linux/netfilter/nf_log.h).</summary>
    public static readonly FlagTable LogFlags = new("nf-log-flags")
    {
        { 0x01, "tcpseq" }, { 0x02, "tcpopt" }, { 0x04, "ipopt" }, { 0x08, "uid" }, { 0x10, "nflog" }, { 0x20, "macdecode" },
    };
    public static readonly FlagTable QueueFlags = new("nft-queue-flags") { { 0x1, "bypass" }, { 0x2, "fanout" } };
    public static readonly EnumTable RejectType = NfEnums.Names("nft-reject-types", "icmp", "tcp reset", "icmpx");
    public static readonly EnumTable NatType = NfEnums.Names("nft-nat-types", "snat", "dnat");

    /// <summary>NF_NAT_RANGE_* (linux/netfilter/nf_nat.h): nat, masq and redir flags.</summary>
    public static readonly FlagTable NatFlags = new("nf-nat-range-flags")
    {
        { 0x01, "map_ips" }, { 0x02, "proto_specified" }, { 0x04, "random" }, { 0x08, "persistent" },
        { 0x10, "fully-random" }, { 0x20, "proto_offset" }, { 0x40, "netmap" },
    };

    public static readonly EnumTable FibResult = NfEnums.Names("nft-fib-result", "unspec", "oif", "oifname", "type");
    public static readonly FlagTable FibFlags = new("nft-fib-flags")
    {
        { 0x01, "saddr" }, { 0x02, "daddr" }, { 0x04, "mark" }, { 0x08, "iif" }, { 0x10, "oif" }, { 0x20, "present" },
    };
    public static readonly EnumTable NumgenType = NfEnums.Names("nft-ng-types", "inc", "random");
    public static readonly EnumTable HashType = NfEnums.Names("nft-hash-types", "jhash", "symhash");
    public static readonly EnumTable XfrmKey = NfEnums.Names("nft-xfrm-keys", "unspec", "daddr", "daddr6", "saddr", "saddr6", "reqid", "spi");
    public static readonly EnumTable TunnelKey = NfEnums.Names("nft-tunnel-keys", "path", "id");
    public static readonly EnumTable TunnelMode = NfEnums.Names("nft-tunnel-mode", "none", "rx", "tx");
    public static readonly FlagTable TunnelFlags = new("nft-tunnel-flags") { { 0x1, "zero_csum_tx" }, { 0x2, "dont_fragment" }, { 0x4, "seq_number" } };
    public static readonly EnumTable TraceType = NfEnums.Names("nft-trace-types", "unspec", "policy", "return", "rule");
    public static readonly FlagTable RuleCompatFlags = new("nft-rule-compat-flags") { { 0x1, "unused" }, { 0x2, "inv" } };
    public static readonly FlagTable FlowtableFlags = new("nft-flowtable-flags") { { 0x1, "hw_offload" }, { 0x2, "counter" } };
    public static readonly FlagTable OsfFlags = new("nft-osf-flags") { { 0x1, "version" } };
    public static readonly FlagTable SynproxyFlags = new("nf-synproxy-flags")
    {
        { 0x1, "mss" }, { 0x2, "wscale" }, { 0x4, "sack-perm" }, { 0x8, "timestamp" }, { 0x10, "ecn" },
    };
}
