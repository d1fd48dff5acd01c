using NlmonPS.Decoding;
using static NlmonPS.Protocols.Netfilter.NfAttr;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>
/// nf_tables (nf_tables.h, nf_tables_compat.h): tables, chains, rules with their expressions, sets and elements,
/// stateful objects, flowtables, generations and traces. Every integer is big-endian.
/// </summary>
internal static class NftTables
{
    private static AttributeSpec Reg(string name) => Be32(name, NftEnums.Registers);

    /// <summary>
    /// A list of NFTA_LIST_ELEM entries. The kernel numbers every entry 1, libnftnl numbers set elements 1, 2, 3...:
    /// the kernel ignores the type, so the entries decode as an array whatever their numbers.
    /// </summary>
    private static AttributeSpec List(string name, AttributeTable entry) => new(name, ValueKind.NestedArray) { Nested = entry };

    // Declared empty first: expressions nest expressions (dynset, set element expressions). Filled in the static
    // constructor, once every per-expression table exists.
    public static readonly AttributeTable Expr = new("nft-expr", "NFTA_EXPR_");

    public static readonly AttributeTable Verdict = new("nft-verdict", "NFTA_VERDICT_")
    {
        [1] = Bes32("code", NfEnums.Verdict), [2] = Str("chain"), [3] = Be32("chain_id"),
    };

    /// <summary>struct nft_data: a value (raw bytes, as loaded in a register) or a verdict.</summary>
    public static readonly AttributeTable Data = new("nft-data", "NFTA_DATA_")
    {
        [1] = Bin("value"), [2] = Nest("verdict", Verdict),
    };

    public static readonly AttributeTable Counter = new("nft-counter", "NFTA_COUNTER_")
    {
        [1] = Be64("bytes"), [2] = Be64("packets"), [3] = Pad(),
    };

    public static readonly AttributeTable Devices = new("nft-devices", "NFTA_DEVICE_")
    {
        [1] = Str("name"),
        [2] = Str("prefix"), // newer than the Debian 12 headers: a wildcard device name prefix
    };

    public static readonly AttributeTable Hook = new("nft-hook", "NFTA_HOOK_")
    {
        [1] = Be32("hooknum", NfEnums.InetHook), [2] = Bes32("priority"), [3] = Str("dev"), [4] = Nest("devs", Devices),
    };

    // ---- expressions (NFTA_EXPR_DATA by NFTA_EXPR_NAME) ----

    public static readonly AttributeTable Immediate = new("nft-immediate", "NFTA_IMMEDIATE_") { [1] = Reg("dreg"), [2] = Nest("data", Data) };

    public static readonly AttributeTable Cmp = new("nft-cmp", "NFTA_CMP_")
    {
        [1] = Reg("sreg"), [2] = Be32("op", NftEnums.CmpOp), [3] = Nest("data", Data),
    };

    public static readonly AttributeTable Range = new("nft-range", "NFTA_RANGE_")
    {
        [1] = Reg("sreg"), [2] = Be32("op", NftEnums.RangeOp), [3] = Nest("from_data", Data), [4] = Nest("to_data", Data),
    };

    public static readonly AttributeTable Bitwise = new("nft-bitwise", "NFTA_BITWISE_")
    {
        [1] = Reg("sreg"), [2] = Reg("dreg"), [3] = Be32("len"), [4] = Nest("mask", Data), [5] = Nest("xor", Data),
        [6] = Be32("op", NftEnums.BitwiseOp), [7] = Nest("data", Data),
        [8] = Reg("sreg2"), // newer than the Debian 12 headers
    };

    public static readonly AttributeTable Byteorder = new("nft-byteorder", "NFTA_BYTEORDER_")
    {
        [1] = Reg("sreg"), [2] = Reg("dreg"), [3] = Be32("op", NftEnums.ByteorderOp), [4] = Be32("len"), [5] = Be32("size"),
    };

    public static readonly AttributeTable Lookup = new("nft-lookup", "NFTA_LOOKUP_")
    {
        [1] = Str("set"), [2] = Reg("sreg"), [3] = Reg("dreg"), [4] = Be32("set_id"), [5] = Be32("flags", null, NftEnums.LookupFlags),
    };

    public static readonly AttributeTable Dynset = new("nft-dynset", "NFTA_DYNSET_")
    {
        [1] = Str("set_name"), [2] = Be32("set_id"), [3] = Be32("op", NftEnums.DynsetOp), [4] = Reg("sreg_key"),
        [5] = Reg("sreg_data"), [6] = Be64("timeout"), [7] = Nest("expr", Expr), [8] = Pad(),
        [9] = Be32("flags", null, NftEnums.DynsetFlags), [10] = List("expressions", Expr),
    };

    public static readonly AttributeTable Payload = new("nft-payload", "NFTA_PAYLOAD_")
    {
        [1] = Reg("dreg"), [2] = Be32("base", NftEnums.PayloadBase), [3] = Be32("offset"), [4] = Be32("len"), [5] = Reg("sreg"),
        [6] = Be32("csum_type", NftEnums.PayloadCsumType), [7] = Be32("csum_offset"), [8] = Be32("csum_flags", null, NftEnums.PayloadCsumFlags),
    };

    public static readonly AttributeTable Exthdr = new("nft-exthdr", "NFTA_EXTHDR_")
    {
        [1] = Reg("dreg"), [2] = U8("type"), [3] = Be32("offset"), [4] = Be32("len"), [5] = Be32("flags", null, NftEnums.ExthdrFlags),
        [6] = Be32("op", NftEnums.ExthdrOp), [7] = Reg("sreg"),
    };

    public static readonly AttributeTable Meta = new("nft-meta", "NFTA_META_")
    {
        [1] = Reg("dreg"), [2] = Be32("key", NftEnums.MetaKey), [3] = Reg("sreg"),
    };

    public static readonly AttributeTable Rt = new("nft-rt", "NFTA_RT_") { [1] = Reg("dreg"), [2] = Be32("key", NftEnums.RtKey) };

    public static readonly AttributeTable Socket = new("nft-socket", "NFTA_SOCKET_")
    {
        [1] = Be32("key", NftEnums.SocketKey), [2] = Reg("dreg"), [3] = Be32("level"),
    };

    public static readonly AttributeTable Ct = new("nft-ct", "NFTA_CT_")
    {
        [1] = Reg("dreg"), [2] = Be32("key", NftEnums.CtKey), [3] = U8("direction", NftEnums.CtDirection), [4] = Reg("sreg"),
    };

    public static readonly AttributeTable FlowOffload = new("nft-flow", "NFTA_FLOW_") { [1] = Str("table_name") };

    public static readonly AttributeTable Limit = new("nft-limit", "NFTA_LIMIT_")
    {
        [1] = Be64("rate"), [2] = Be64("unit"), [3] = Be32("burst"), [4] = Be32("type", NftEnums.LimitType),
        [5] = Be32("flags", null, NftEnums.LimitFlags), [6] = Pad(),
    };

    public static readonly AttributeTable Connlimit = new("nft-connlimit", "NFTA_CONNLIMIT_")
    {
        [1] = Be32("count"), [2] = Be32("flags", null, NftEnums.ConnlimitFlags),
    };

    public static readonly AttributeTable Last = new("nft-last", "NFTA_LAST_") { [1] = Be32("set"), [2] = Be64("msecs"), [3] = Pad() };

    public static readonly AttributeTable Log = new("nft-log", "NFTA_LOG_")
    {
        [1] = Be16("group"), [2] = Str("prefix"), [3] = Be32("snaplen"), [4] = Be16("qthreshold"),
        [5] = Be32("level", NftEnums.LogLevel), [6] = Be32("flags", null, NftEnums.LogFlags),
    };

    public static readonly AttributeTable Queue = new("nft-queue", "NFTA_QUEUE_")
    {
        [1] = Be16("num"), [2] = Be16("total"), [3] = Be16("flags", null, NftEnums.QueueFlags), [4] = Reg("sreg_qnum"),
    };

    public static readonly AttributeTable Quota = new("nft-quota", "NFTA_QUOTA_")
    {
        [1] = Be64("bytes"), [2] = Be32("flags", null, NftEnums.QuotaFlags), [3] = Pad(), [4] = Be64("consumed"),
    };

    public static readonly AttributeTable Reject = new("nft-reject", "NFTA_REJECT_")
    {
        [1] = Be32("type", NftEnums.RejectType), [2] = U8("icmp_code"),
    };

    public static readonly AttributeTable Nat = new("nft-nat", "NFTA_NAT_")
    {
        [1] = Be32("type", NftEnums.NatType), [2] = Be32("family", NfEnums.NfProto), [3] = Reg("reg_addr_min"), [4] = Reg("reg_addr_max"),
        [5] = Reg("reg_proto_min"), [6] = Reg("reg_proto_max"), [7] = Be32("flags", null, NftEnums.NatFlags),
    };

    public static readonly AttributeTable Tproxy = new("nft-tproxy", "NFTA_TPROXY_")
    {
        [1] = Be32("family", NfEnums.NfProto), [2] = Reg("reg_addr"), [3] = Reg("reg_port"),
    };

    public static readonly AttributeTable Masq = new("nft-masq", "NFTA_MASQ_")
    {
        [1] = Be32("flags", null, NftEnums.NatFlags), [2] = Reg("reg_proto_min"), [3] = Reg("reg_proto_max"),
    };

    public static readonly AttributeTable Redir = new("nft-redir", "NFTA_REDIR_")
    {
        [1] = Reg("reg_proto_min"), [2] = Reg("reg_proto_max"), [3] = Be32("flags", null, NftEnums.NatFlags),
    };

    public static readonly AttributeTable Dup = new("nft-dup", "NFTA_DUP_") { [1] = Reg("sreg_addr"), [2] = Reg("sreg_dev") };

    public static readonly AttributeTable Fwd = new("nft-fwd", "NFTA_FWD_")
    {
        [1] = Reg("sreg_dev"), [2] = Reg("sreg_addr"), [3] = Be32("nfproto", NfEnums.NfProto),
    };

    public static readonly AttributeTable Objref = new("nft-objref", "NFTA_OBJREF_")
    {
        [1] = Be32("imm_type", NftEnums.ObjectType), [2] = Str("imm_name"), [3] = Reg("set_sreg"), [4] = Str("set_name"), [5] = Be32("set_id"),
    };

    public static readonly AttributeTable Fib = new("nft-fib", "NFTA_FIB_")
    {
        [1] = Reg("dreg"), [2] = Be32("result", NftEnums.FibResult), [3] = Be32("flags", null, NftEnums.FibFlags),
    };

    public static readonly AttributeTable Osf = new("nft-osf", "NFTA_OSF_")
    {
        [1] = Reg("dreg"), [2] = U8("ttl"), [3] = Be32("flags", null, NftEnums.OsfFlags),
    };

    public static readonly AttributeTable Synproxy = new("nft-synproxy", "NFTA_SYNPROXY_")
    {
        [1] = Be16("mss"), [2] = U8("wscale"), [3] = Be32("flags", null, NftEnums.SynproxyFlags),
    };

    public static readonly AttributeTable Xfrm = new("nft-xfrm", "NFTA_XFRM_")
    {
        [1] = Reg("dreg"), [2] = Be32("key", NftEnums.XfrmKey), [3] = U8("dir", NftEnums.CtDirection), [4] = Be32("spnum"),
    };

    public static readonly AttributeTable Numgen = new("nft-ng", "NFTA_NG_")
    {
        [1] = Reg("dreg"), [2] = Be32("modulus"), [3] = Be32("type", NftEnums.NumgenType), [4] = Be32("offset"),
        [5] = Str("set_name"), [6] = Be32("set_id"),
    };

    public static readonly AttributeTable Hash = new("nft-hash", "NFTA_HASH_")
    {
        [1] = Reg("sreg"), [2] = Reg("dreg"), [3] = Be32("len"), [4] = Be32("modulus"), [5] = Be32("seed"), [6] = Be32("offset"),
        [7] = Be32("type", NftEnums.HashType), [8] = Str("set_name"), [9] = Be32("set_id"),
    };

    public static readonly AttributeTable Tunnel = new("nft-tunnel", "NFTA_TUNNEL_")
    {
        [1] = Be32("key", NftEnums.TunnelKey), [2] = Reg("dreg"), [3] = Be32("mode", NftEnums.TunnelMode),
    };

    /// <summary>xtables matches and targets run by nft_compat (iptables-nft): the xt_*_info struct stays raw.</summary>
    public static readonly AttributeTable Match = new("nft-match", "NFTA_MATCH_") { [1] = Str("name"), [2] = Be32("rev"), [3] = Bin("info") };
    public static readonly AttributeTable Target = new("nft-target", "NFTA_TARGET_") { [1] = Str("name"), [2] = Be32("rev"), [3] = Bin("info") };

    public static readonly AttributeTable NoAttributes = new("nft-none");

    /// <summary>NFTA_EXPR_DATA's set by NFTA_EXPR_NAME (the kernel's nft_expr_type names).</summary>
    public static readonly IReadOnlyDictionary<string, AttributeTable> ExprData = new Dictionary<string, AttributeTable>
    {
        ["immediate"] = Immediate, ["cmp"] = Cmp, ["range"] = Range, ["bitwise"] = Bitwise, ["byteorder"] = Byteorder,
        ["lookup"] = Lookup, ["dynset"] = Dynset, ["payload"] = Payload, ["exthdr"] = Exthdr, ["meta"] = Meta, ["rt"] = Rt,
        ["socket"] = Socket, ["ct"] = Ct, ["flow_offload"] = FlowOffload, ["limit"] = Limit, ["connlimit"] = Connlimit,
        ["counter"] = Counter, ["last"] = Last, ["log"] = Log, ["queue"] = Queue, ["quota"] = Quota, ["reject"] = Reject,
        ["nat"] = Nat, ["tproxy"] = Tproxy, ["masq"] = Masq, ["redir"] = Redir, ["dup"] = Dup, ["fwd"] = Fwd,
        ["objref"] = Objref, ["fib"] = Fib, ["osf"] = Osf, ["synproxy"] = Synproxy, ["xfrm"] = Xfrm, ["numgen"] = Numgen,
        ["hash"] = Hash, ["tunnel"] = Tunnel, ["match"] = Match, ["target"] = Target, ["notrack"] = NoAttributes,
    };

    // ---- objects ----

    public static readonly AttributeTable Table = new("nft-table", "NFTA_TABLE_")
    {
        [1] = Str("name"), [2] = Be32("flags", null, NftEnums.TableFlags), [3] = Be32("use"), [4] = Be64("handle"), [5] = Pad(),
        [6] = Bin("userdata"), [7] = Be32("owner"),
    };

    public static readonly AttributeTable Chain = new("nft-chain", "NFTA_CHAIN_")
    {
        [1] = Str("table"), [2] = Be64("handle"), [3] = Str("name"), [4] = Nest("hook", Hook), [5] = Be32("policy", NftEnums.ChainPolicy),
        [6] = Be32("use"), [7] = Str("type"), [8] = Nest("counters", Counter), [9] = Pad(),
        [10] = Be32("flags", null, NftEnums.ChainFlags), [11] = Be32("id"), [12] = Bin("userdata"),
    };

    public static readonly AttributeTable RuleCompat = new("nft-rule-compat", "NFTA_RULE_COMPAT_")
    {
        [1] = Be32("proto", NfEnums.IpProto), [2] = Be32("flags", null, NftEnums.RuleCompatFlags),
    };

    public static readonly AttributeTable Rule = new("nft-rule", "NFTA_RULE_")
    {
        [1] = Str("table"), [2] = Str("chain"), [3] = Be64("handle"), [4] = List("expressions", Expr),
        [5] = Nest("compat", RuleCompat), [6] = Be64("position"), [7] = Bin("userdata"), [8] = Pad(), [9] = Be32("id"),
        [10] = Be32("position_id"), [11] = Be32("chain_id"),
    };

    public static readonly AttributeTable SetField = new("nft-set-field", "NFTA_SET_FIELD_") { [1] = Be32("len") };

    public static readonly AttributeTable SetDesc = new("nft-set-desc", "NFTA_SET_DESC_")
    {
        [1] = Be32("size"), [2] = List("concat", SetField),
    };

    /// <summary>Set data types: the nft datatypes, and NFT_DATA_VERDICT for verdict maps.</summary>
    public static readonly EnumTable SetDataType = BuildSetDataType();

    private static EnumTable BuildSetDataType()
    {
        var t = new EnumTable("nft-set-data-type");
        foreach (var (k, v) in NftEnums.DataType) t[k] = v;
        t[0xffffff00] = "verdict";
        return t;
    }

    public static readonly AttributeTable Set = new("nft-set", "NFTA_SET_")
    {
        [1] = Str("table"), [2] = Str("name"), [3] = Be32("flags", null, NftEnums.SetFlags), [4] = Be32("key_type", NftEnums.DataType),
        [5] = Be32("key_len"), [6] = Be32("data_type", SetDataType), [7] = Be32("data_len"), [8] = Be32("policy", NftEnums.SetPolicy),
        [9] = Nest("desc", SetDesc), [10] = Be32("id"), [11] = Be64("timeout"), [12] = Be32("gc_interval"), [13] = Bin("userdata"),
        [14] = Pad(), [15] = Be32("obj_type", NftEnums.ObjectType), [16] = Be64("handle"), [17] = Nest("expr", Expr),
        [18] = List("expressions", Expr),
        [19] = Str("type"), [20] = Be32("count"), // newer than the Debian 12 headers: backend, element count
    };

    public static readonly AttributeTable SetElem = new("nft-set-elem", "NFTA_SET_ELEM_")
    {
        [1] = Nest("key", Data), [2] = Nest("data", Data), [3] = Be32("flags", null, NftEnums.SetElemFlags), [4] = Be64("timeout"),
        [5] = Be64("expiration"), [6] = Bin("userdata"), [7] = Nest("expr", Expr), [8] = Pad(), [9] = Str("objref"),
        [10] = Nest("key_end", Data), [11] = List("expressions", Expr),
    };


    public static readonly AttributeTable SetElemList = new("nft-set-elem-list", "NFTA_SET_ELEM_LIST_")
    {
        [1] = Str("table"), [2] = Str("set"), [3] = List("elements", SetElem), [4] = Be32("set_id"),
    };

    public static readonly AttributeTable Gen = new("nft-gen", "NFTA_GEN_")
    {
        [1] = Be32("id"), [2] = Be32("proc_pid"), [3] = Str("proc_name"),
    };

    public static readonly AttributeTable Trace = new("nft-trace", "NFTA_TRACE_")
    {
        [1] = Str("table"), [2] = Str("chain"), [3] = Be64("rule_handle"), [4] = Be32("type", NftEnums.TraceType),
        [5] = Nest("verdict", Verdict), [6] = Be32("id"), [7] = Bin("ll_header"), [8] = Bin("network_header"),
        [9] = Bin("transport_header"), [10] = Be32("iif"), [11] = Be16("iiftype", Enums.Arphrd), [12] = Be32("oif"),
        [13] = Be16("oiftype", Enums.Arphrd), [14] = Be32("mark"), [15] = Be32("nfproto", NfEnums.NfProto),
        [16] = Be32("policy", NfEnums.Verdict), [17] = Pad(),
        // newer than the Debian 12 headers: the packet's conntrack
        [18] = Be32("ct_id"), [19] = U8("ct_direction", NftEnums.CtDirection), [20] = Be32("ct_status", null, NfEnums.ConntrackStatus),
        [21] = Be32("ct_state"),
    };

    public static readonly AttributeTable FlowtableHook = new("nft-flowtable-hook", "NFTA_FLOWTABLE_HOOK_")
    {
        [1] = Be32("num", NfEnums.InetHook), [2] = Bes32("priority"), [3] = Nest("devs", Devices),
    };

    public static readonly AttributeTable Flowtable = new("nft-flowtable", "NFTA_FLOWTABLE_")
    {
        [1] = Str("table"), [2] = Str("name"), [3] = Nest("hook", FlowtableHook), [4] = Be32("use"), [5] = Be64("handle"), [6] = Pad(),
        [7] = Be32("flags", null, NftEnums.FlowtableFlags),
    };

    // Stateful objects (NFTA_OBJ_DATA by NFTA_OBJ_TYPE).

    public static readonly AttributeTable CtHelperObj = new("nft-ct-helper", "NFTA_CT_HELPER_")
    {
        [1] = Str("name"), [2] = Be16("l3proto", NfEnums.NfProto), [3] = U8("l4proto", NfEnums.IpProto),
    };

    /// <summary>The timeout policy (NFTA_CT_TIMEOUT_DATA) is a CTA_TIMEOUT_* set chosen by l4proto: kept raw here.</summary>
    public static readonly AttributeTable CtTimeoutObj = new("nft-ct-timeout", "NFTA_CT_TIMEOUT_")
    {
        [1] = Be16("l3proto", NfEnums.NfProto), [2] = U8("l4proto", NfEnums.IpProto), [3] = Bin("data"),
    };

    public static readonly AttributeTable CtExpectObj = new("nft-ct-expect", "NFTA_CT_EXPECT_")
    {
        [1] = Be16("l3proto", NfEnums.NfProto), [2] = U8("l4proto", NfEnums.IpProto), [3] = Be16("dport"), [4] = Be32("timeout"), [5] = U8("size"),
    };

    public static readonly AttributeTable Secmark = new("nft-secmark", "NFTA_SECMARK_") { [1] = Str("ctx") };

    public static readonly AttributeTable TunnelKeyIp = new("nft-tunnel-key-ip", "NFTA_TUNNEL_KEY_IP_") { [1] = Ip4("src"), [2] = Ip4("dst") };
    public static readonly AttributeTable TunnelKeyIp6 = new("nft-tunnel-key-ip6", "NFTA_TUNNEL_KEY_IP6_")
    {
        [1] = Ip6("src"), [2] = Ip6("dst"), [3] = Be32("flowlabel"),
    };
    public static readonly AttributeTable TunnelVxlan = new("nft-tunnel-vxlan", "NFTA_TUNNEL_KEY_VXLAN_") { [1] = Be32("gbp") };
    public static readonly AttributeTable TunnelErspan = new("nft-tunnel-erspan", "NFTA_TUNNEL_KEY_ERSPAN_")
    {
        [1] = Be32("version"), [2] = Be32("v1_index"), [3] = U8("v2_hwid"), [4] = U8("v2_dir"),
    };
    public static readonly AttributeTable TunnelGeneve = new("nft-tunnel-geneve", "NFTA_TUNNEL_KEY_GENEVE_")
    {
        [1] = Be16("class"), [2] = U8("type"), [3] = Bin("data"),
    };
    public static readonly AttributeTable TunnelOpts = new("nft-tunnel-opts", "NFTA_TUNNEL_KEY_OPTS_")
    {
        [1] = Nest("vxlan", TunnelVxlan), [2] = Nest("erspan", TunnelErspan), [3] = Nest("geneve", TunnelGeneve),
    };
    public static readonly AttributeTable TunnelKeyObj = new("nft-tunnel-key", "NFTA_TUNNEL_KEY_")
    {
        [1] = Be32("id"), [2] = Nest("ip", TunnelKeyIp), [3] = Nest("ip6", TunnelKeyIp6), [4] = Be32("flags", null, NftEnums.TunnelFlags),
        [5] = U8("tos"), [6] = U8("ttl"), [7] = Be16("sport"), [8] = Be16("dport"), [9] = Nest("opts", TunnelOpts),
    };

    public static readonly AttributeTable Obj = new("nft-obj", "NFTA_OBJ_")
    {
        [1] = Str("table"), [2] = Str("name"), [3] = Be32("type", NftEnums.ObjectType), [4] = Bin("data"), [5] = Be32("use"),
        [6] = Be64("handle"), [7] = Pad(), [8] = Bin("userdata"),
    };

    /// <summary>The object set with its NFTA_OBJ_DATA for each NFT_OBJECT_* type (NetfilterSchema picks one by peeking at the type).</summary>
    public static readonly IReadOnlyDictionary<ulong, AttributeTable> ObjByType = new Dictionary<ulong, AttributeTable>
    {
        [1] = Obj.With("nft-obj-counter", (4, Nest("data", Counter))),
        [2] = Obj.With("nft-obj-quota", (4, Nest("data", Quota))),
        [3] = Obj.With("nft-obj-ct-helper", (4, Nest("data", CtHelperObj))),
        [4] = Obj.With("nft-obj-limit", (4, Nest("data", Limit))),
        [5] = Obj.With("nft-obj-connlimit", (4, Nest("data", Connlimit))),
        [6] = Obj.With("nft-obj-tunnel", (4, Nest("data", TunnelKeyObj))),
        [7] = Obj.With("nft-obj-ct-timeout", (4, Nest("data", CtTimeoutObj))),
        [8] = Obj.With("nft-obj-secmark", (4, Nest("data", Secmark))),
        [9] = Obj.With("nft-obj-ct-expect", (4, Nest("data", CtExpectObj))),
        [10] = Obj.With("nft-obj-synproxy", (4, Nest("data", Synproxy))),
    };

    // ---- nft_compat (NFNL_SUBSYS_NFT_COMPAT): does the kernel have this xtables match/target revision? ----

    public static readonly EnumTable CompatMessages = NfEnums.Names("nft-compat-msg-types", "NFNL_MSG_COMPAT_GET");

    public static readonly AttributeTable Compat = new("nft-compat", "NFTA_COMPAT_")
    {
        [1] = Str("name"), [2] = Be32("rev"), [3] = Be32("type", new EnumTable("nft-compat-type") { [0] = "match", [1] = "target" }),
    };

    static NftTables()
    {
        Expr[1] = Str("name");
        Expr[2] = new("data", ValueKind.Nested) { SelectorAttribute = 1, NestedByKind = ExprData };
    }
}
