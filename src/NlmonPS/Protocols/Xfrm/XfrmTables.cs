using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Xfrm;

/// <summary>Enumerations of linux/xfrm.h and the IP protocol numbers its selectors and ids use.</summary>
internal static class XfrmEnums
{
    /// <summary>IPPROTO_* (linux/in.h, linux/in6.h), as `ip xfrm` names them.</summary>
    public static readonly EnumTable IpProtocol = new("ipproto")
    {
        [0] = "any", [1] = "icmp", [2] = "igmp", [4] = "ipip", [6] = "tcp", [17] = "udp", [33] = "dccp", [41] = "ipv6",
        [43] = "route2", [47] = "gre", [50] = "esp", [51] = "ah", [58] = "ipv6-icmp", [60] = "hao", [103] = "pim",
        [108] = "comp", [132] = "sctp", [135] = "mh", [136] = "udplite", [137] = "mpls", [255] = "raw", [262] = "mptcp",
    };

    public static readonly EnumTable Mode = new("xfrm-mode")
    {
        [0] = "transport", [1] = "tunnel", [2] = "ro", [3] = "in_trigger", [4] = "beet",
    };

    /// <summary>XFRM_STATE_* (xfrm_usersa_info.flags), as `ip xfrm state` prints them.</summary>
    public static readonly FlagTable StateFlags = new("xfrm-state-flags")
    {
        { 1, "noecn" }, { 2, "decap-dscp" }, { 4, "nopmtudisc" }, { 8, "wildrecv" }, { 16, "icmp" }, { 32, "af-unspec" },
        { 64, "align4" }, { 128, "esn" },
    };

    /// <summary>XFRM_SA_XFLAG_* (XFRMA_SA_EXTRA_FLAGS).</summary>
    public static readonly FlagTable ExtraFlags = new("xfrm-sa-xflags") { { 1, "dont-encap-dscp" }, { 2, "oseq-may-wrap" } };

    public static readonly EnumTable PolicyDirection = new("xfrm-policy-dir") { [0] = "in", [1] = "out", [2] = "fwd" };
    public static readonly EnumTable PolicyAction = new("xfrm-policy-action") { [0] = "allow", [1] = "block" };
    public static readonly FlagTable PolicyFlags = new("xfrm-policy-flags") { { 1, "localok" }, { 2, "icmp" } };
    public static readonly EnumTable Share = new("xfrm-share") { [0] = "any", [1] = "session", [2] = "user", [3] = "unique" };
    public static readonly EnumTable PolicyType = new("xfrm-policy-type") { [0] = "main", [1] = "sub", [255] = "any" };
    public static readonly EnumTable DefaultAction = new("xfrm-userpolicy") { [0] = "unspec", [1] = "block", [2] = "accept" };
    public static readonly EnumTable SaDirection = new("xfrm-sa-dir") { [1] = "in", [2] = "out" };

    /// <summary>XFRM_AE_* (xfrm_aevent_id.flags).</summary>
    public static readonly FlagTable AeFlags = new("xfrm-ae-flags")
    {
        { 1, "rthr" }, { 2, "rval" }, { 4, "lval" }, { 8, "ethr" }, { 16, "cr" }, { 32, "ce" }, { 64, "cu" },
    };

    /// <summary>UDP_ENCAP_* (linux/udp.h) and TCP_ENCAP_ESPINTCP, for XFRMA_ENCAP.</summary>
    public static readonly EnumTable EncapType = new("xfrm-encap-type")
    {
        [1] = "espinudp-nonike", [2] = "espinudp", [3] = "l2tpinudp", [4] = "gtp0", [5] = "gtp1u", [6] = "rxrpc", [7] = "espintcp",
    };

    /// <summary>XFRM_OFFLOAD_* (xfrm_user_offload.flags).</summary>
    public static readonly FlagTable OffloadFlags = new("xfrm-offload-flags") { { 1, "ipv6" }, { 2, "inbound" }, { 4, "packet" } };
}

/// <summary>The structs of linux/xfrm.h (x86-64 layout, the same on every 64-bit architecture).</summary>
internal static class XfrmStructs
{
    private static FieldSpec Address(string name, int offset, string familyField) =>
        new(name, offset, IpAddress, 16) { FamilyField = familyField };

    private static FieldSpec Port(string name, int offset) => new(name, offset, U16) { NetworkOrder = true };

    public static readonly StructSpec Selector = new("xfrm_selector", 56)
    {
        Address("daddr", 0, "family"), Address("saddr", 16, "family"), Port("dport", 32), Port("dport_mask", 34),
        Port("sport", 36), Port("sport_mask", 38),
        { "family", 40, U16, Enums.AddressFamily }, { "prefixlen_d", 42, U8 }, { "prefixlen_s", 43, U8 },
        { "proto", 44, U8, XfrmEnums.IpProtocol }, { "ifindex", 48, S32 }, { "user", 52, U32 },
    };

    public static readonly StructSpec LifetimeConfig = new("xfrm_lifetime_cfg", 64)
    {
        { "soft_byte_limit", 0, U64 }, { "hard_byte_limit", 8, U64 }, { "soft_packet_limit", 16, U64 },
        { "hard_packet_limit", 24, U64 }, { "soft_add_expires_seconds", 32, U64 }, { "hard_add_expires_seconds", 40, U64 },
        { "soft_use_expires_seconds", 48, U64 }, { "hard_use_expires_seconds", 56, U64 },
    };

    public static readonly StructSpec LifetimeCurrent = Enums.Sequential("xfrm_lifetime_cur", U64, "bytes", "packets", "add_time", "use_time");
    public static readonly StructSpec Stats = Enums.Sequential("xfrm_stats", U32, "replay_window", "replay", "integrity_failed");

    /// <summary>struct xfrm_usersa_info. Its xfrm_id (daddr, spi, proto) is flattened so the addresses can follow "family".</summary>
    public static readonly StructSpec UsersaInfo = new("xfrm_usersa_info", 224)
    {
        new FieldSpec("sel", 0, Struct, 56) { Struct = Selector },
        Address("daddr", 56, "family"), new FieldSpec("spi", 72, U32) { NetworkOrder = true },
        { "proto", 76, U8, XfrmEnums.IpProtocol },
        Address("saddr", 80, "family"),
        new FieldSpec("lft", 96, Struct, 64) { Struct = LifetimeConfig },
        new FieldSpec("curlft", 160, Struct, 32) { Struct = LifetimeCurrent },
        new FieldSpec("stats", 192, Struct, 12) { Struct = Stats },
        { "seq", 204, U32 }, { "reqid", 208, U32 }, { "family", 212, U16, Enums.AddressFamily },
        { "mode", 214, U8, XfrmEnums.Mode }, { "replay_window", 215, U8 }, { "flags", 216, U8, null, XfrmEnums.StateFlags },
    };

    public static readonly StructSpec UsersaId = new("xfrm_usersa_id", 24)
    {
        Address("daddr", 0, "family"), new FieldSpec("spi", 16, U32) { NetworkOrder = true },
        { "family", 20, U16, Enums.AddressFamily }, { "proto", 22, U8, XfrmEnums.IpProtocol },
    };

    public static readonly StructSpec UserpolicyInfo = new("xfrm_userpolicy_info", 168)
    {
        new FieldSpec("sel", 0, Struct, 56) { Struct = Selector },
        new FieldSpec("lft", 56, Struct, 64) { Struct = LifetimeConfig },
        new FieldSpec("curlft", 120, Struct, 32) { Struct = LifetimeCurrent },
        { "priority", 152, U32 }, { "index", 156, U32 }, { "dir", 160, U8, XfrmEnums.PolicyDirection },
        { "action", 161, U8, XfrmEnums.PolicyAction }, { "flags", 162, U8, null, XfrmEnums.PolicyFlags },
        { "share", 163, U8, XfrmEnums.Share },
    };

    public static readonly StructSpec UserpolicyId = new("xfrm_userpolicy_id", 64)
    {
        new FieldSpec("sel", 0, Struct, 56) { Struct = Selector }, { "index", 56, U32 }, { "dir", 60, U8, XfrmEnums.PolicyDirection },
    };

    public static readonly StructSpec UserTemplate = new("xfrm_user_tmpl", 64)
    {
        Address("daddr", 0, "family"), new FieldSpec("spi", 16, U32) { NetworkOrder = true },
        { "proto", 20, U8, XfrmEnums.IpProtocol }, { "family", 24, U16, Enums.AddressFamily }, Address("saddr", 28, "family"),
        { "reqid", 44, U32 }, { "mode", 48, U8, XfrmEnums.Mode }, { "share", 49, U8, XfrmEnums.Share }, { "optional", 50, U8 },
        { "aalgos", 52, U32 }, { "ealgos", 56, U32 }, { "calgos", 60, U32 },
    };

    public static readonly StructSpec UserAcquire = new("xfrm_user_acquire", 280)
    {
        Address("daddr", 0, "sel.family"), new FieldSpec("spi", 16, U32) { NetworkOrder = true },
        { "proto", 20, U8, XfrmEnums.IpProtocol }, Address("saddr", 24, "sel.family"),
        new FieldSpec("sel", 40, Struct, 56) { Struct = Selector },
        new FieldSpec("policy", 96, Struct, 168) { Struct = UserpolicyInfo },
        { "aalgos", 264, U32 }, { "ealgos", 268, U32 }, { "calgos", 272, U32 }, { "seq", 276, U32 },
    };

    public static readonly StructSpec UserExpire = new("xfrm_user_expire", 232)
    {
        new FieldSpec("state", 0, Struct, 224) { Struct = UsersaInfo }, { "hard", 224, U8 },
    };

    public static readonly StructSpec UserPolexpire = new("xfrm_user_polexpire", 176)
    {
        new FieldSpec("pol", 0, Struct, 168) { Struct = UserpolicyInfo }, { "hard", 168, U8 },
    };

    public static readonly StructSpec UsersaFlush = new("xfrm_usersa_flush", 1) { { "proto", 0, U8, XfrmEnums.IpProtocol } };

    /// <summary>struct xfrm_aevent_id, its xfrm_usersa_id flattened.</summary>
    public static readonly StructSpec AeventId = new("xfrm_aevent_id", 48)
    {
        Address("daddr", 0, "family"), new FieldSpec("spi", 16, U32) { NetworkOrder = true },
        { "family", 20, U16, Enums.AddressFamily }, { "proto", 22, U8, XfrmEnums.IpProtocol },
        Address("saddr", 24, "family"), { "flags", 40, U32, null, XfrmEnums.AeFlags }, { "reqid", 44, U32 },
    };

    public static readonly StructSpec UserspiInfo = new("xfrm_userspi_info", 232)
    {
        new FieldSpec("info", 0, Struct, 224) { Struct = UsersaInfo }, { "min", 224, U32 }, { "max", 228, U32 },
    };

    public static readonly StructSpec UserReport = new("xfrm_user_report", 60)
    {
        { "proto", 0, U8, XfrmEnums.IpProtocol }, new FieldSpec("sel", 4, Struct, 56) { Struct = Selector },
    };

    /// <summary>struct xfrm_user_mapping: NAT-T (ESP in UDP over IPv4) port changes, so its addresses read as IPv4.</summary>
    public static readonly StructSpec UserMapping = new("xfrm_user_mapping", 64)
    {
        { "daddr", 0, IPv4 }, new FieldSpec("spi", 16, U32) { NetworkOrder = true }, { "proto", 20, U8, XfrmEnums.IpProtocol },
        { "reqid", 24, U32 }, { "old_saddr", 28, IPv4 }, { "new_saddr", 44, IPv4 }, Port("old_sport", 60), Port("new_sport", 62),
    };

    public static readonly StructSpec UserpolicyDefault = new("xfrm_userpolicy_default", 3)
    {
        { "in", 0, U8, XfrmEnums.DefaultAction }, { "fwd", 1, U8, XfrmEnums.DefaultAction }, { "out", 2, U8, XfrmEnums.DefaultAction },
    };

    /// <summary>The u32 flags word that heads GET/NEW SADINFO and SPDINFO.</summary>
    public static readonly StructSpec InfoFlags = new("u32", 4) { { "flags", 0, U32 } };

    // Algorithms: the name, the key length in bits, then the key itself, which is a secret.
    public static readonly StructSpec Algo = new("xfrm_algo", 68)
    {
        new FieldSpec("alg_name", 0, ValueKind.String, 64), { "alg_key_len", 64, U32 }, new FieldSpec("alg_key", 68, Secret),
    };
    public static readonly StructSpec AlgoAuth = new("xfrm_algo_auth", 72)
    {
        new FieldSpec("alg_name", 0, ValueKind.String, 64), { "alg_key_len", 64, U32 }, { "alg_trunc_len", 68, U32 },
        new FieldSpec("alg_key", 72, Secret),
    };
    public static readonly StructSpec AlgoAead = new("xfrm_algo_aead", 72)
    {
        new FieldSpec("alg_name", 0, ValueKind.String, 64), { "alg_key_len", 64, U32 }, { "alg_icv_len", 68, U32 },
        new FieldSpec("alg_key", 72, Secret),
    };

    public static readonly StructSpec EncapTemplate = new("xfrm_encap_tmpl", 24)
    {
        { "encap_type", 0, U16, XfrmEnums.EncapType }, Port("encap_sport", 2), Port("encap_dport", 4),
        new FieldSpec("encap_oa", 8, IpAddress, 16),
    };

    public static readonly StructSpec SecurityContext = new("xfrm_user_sec_ctx", 8)
    {
        { "len", 0, U16 }, { "exttype", 2, U16 }, { "ctx_alg", 4, U8 }, { "ctx_doi", 5, U8 }, { "ctx_len", 6, U16 },
        new FieldSpec("ctx", 8, ValueKind.String),
    };

    public static readonly StructSpec ReplayState = Enums.Sequential("xfrm_replay_state", U32, "oseq", "seq", "bitmap");

    public static readonly StructSpec ReplayStateEsn = new("xfrm_replay_state_esn", 24)
    {
        { "bmp_len", 0, U32 }, { "oseq", 4, U32 }, { "seq", 8, U32 }, { "oseq_hi", 12, U32 }, { "seq_hi", 16, U32 },
        { "replay_window", 20, U32 }, new FieldSpec("bmp", 24, U32Array),
    };

    public static readonly StructSpec UserpolicyType = new("xfrm_userpolicy_type", 6)
    {
        { "type", 0, U8, XfrmEnums.PolicyType }, { "reserved1", 2, U16 }, { "reserved2", 4, U8 },
    };

    public static readonly StructSpec UserMigrate = new("xfrm_user_migrate", 76)
    {
        Address("old_daddr", 0, "old_family"), Address("old_saddr", 16, "old_family"),
        Address("new_daddr", 32, "new_family"), Address("new_saddr", 48, "new_family"),
        { "proto", 64, U8, XfrmEnums.IpProtocol }, { "mode", 65, U8, XfrmEnums.Mode }, { "reqid", 68, U32 },
        { "old_family", 72, U16, Enums.AddressFamily }, { "new_family", 74, U16, Enums.AddressFamily },
    };

    public static readonly StructSpec UserKmaddress = new("xfrm_user_kmaddress", 40)
    {
        Address("local", 0, "family"), Address("remote", 16, "family"), { "family", 36, U16, Enums.AddressFamily },
    };

    public static readonly StructSpec Mark = new("xfrm_mark", 8) { { "v", 0, U32 }, { "m", 4, U32 } };

    public static readonly StructSpec AddressFilter = new("xfrm_address_filter", 36)
    {
        Address("saddr", 0, "family"), Address("daddr", 16, "family"), { "family", 32, U16, Enums.AddressFamily },
        { "splen", 34, U8 }, { "dplen", 35, U8 },
    };

    public static readonly StructSpec UserOffload = new("xfrm_user_offload", 8)
    {
        { "ifindex", 0, S32 }, { "flags", 4, U8, null, XfrmEnums.OffloadFlags },
    };

    public static readonly StructSpec SadHashInfo = Enums.Sequential("xfrmu_sadhinfo", U32, "sadhcnt", "sadhmcnt");
    public static readonly StructSpec SpdInfo = Enums.Sequential("xfrmu_spdinfo", U32, "incnt", "outcnt", "fwdcnt", "inscnt", "outscnt", "fwdscnt");
    public static readonly StructSpec SpdHashInfo = Enums.Sequential("xfrmu_spdhinfo", U32, "spdhcnt", "spdhmcnt");
    public static readonly StructSpec SpdHashThreshold = Enums.Sequential("xfrmu_spdhthresh", U8, "lbits", "rbits");
}

/// <summary>The attribute sets of linux/xfrm.h.</summary>
internal static class XfrmTables
{
    private static AttributeSpec S(string name, StructSpec spec) => new(name, Struct) { Struct = spec };

    /// <summary>enum xfrm_attr_type_t (XFRMA_*).</summary>
    public static readonly AttributeTable Attributes = new("xfrm-attrs", "XFRMA_")
    {
        [1] = S("alg_auth", XfrmStructs.Algo),
        [2] = S("alg_crypt", XfrmStructs.Algo),
        [3] = S("alg_comp", XfrmStructs.Algo),
        [4] = S("encap", XfrmStructs.EncapTemplate),
        [5] = new("tmpl", Struct) { Struct = XfrmStructs.UserTemplate, StructArray = true },
        [6] = S("sa", XfrmStructs.UsersaInfo),
        [7] = S("policy", XfrmStructs.UserpolicyInfo),
        [8] = S("sec_ctx", XfrmStructs.SecurityContext),
        [9] = S("ltime_val", XfrmStructs.LifetimeCurrent),
        [10] = S("replay_val", XfrmStructs.ReplayState),
        [11] = new("replay_thresh", U32),
        [12] = new("etimer_thresh", U32),
        [13] = new("srcaddr", IpAddress),   // an xfrm_address_t: 16 bytes whatever the family
        [14] = new("coaddr", IpAddress),
        [15] = new("lastused", U64),
        [16] = S("policy_type", XfrmStructs.UserpolicyType),
        [17] = new("migrate", Struct) { Struct = XfrmStructs.UserMigrate, StructArray = true },
        [18] = S("alg_aead", XfrmStructs.AlgoAead),
        [19] = S("kmaddress", XfrmStructs.UserKmaddress),
        [20] = S("alg_auth_trunc", XfrmStructs.AlgoAuth),
        [21] = S("mark", XfrmStructs.Mark),
        [22] = new("tfcpad", U32),
        [23] = S("replay_esn_val", XfrmStructs.ReplayStateEsn),
        [24] = new("sa_extra_flags", U32) { Flags = XfrmEnums.ExtraFlags },
        [25] = new("proto", U8) { Enum = XfrmEnums.IpProtocol },
        [26] = S("address_filter", XfrmStructs.AddressFilter),
        [27] = new("pad", Binary),
        [28] = S("offload_dev", XfrmStructs.UserOffload),
        [29] = new("set_mark", U32),
        [30] = new("set_mark_mask", U32),
        [31] = new("if_id", U32),
        [32] = new("mtimer_thresh", U32),
        // Newer than Debian 12's headers (Linux 6.10 and later).
        [33] = new("sa_dir", U8) { Enum = XfrmEnums.SaDirection },
        [34] = new("nat_keepalive_interval", U32),
        [35] = new("sa_pcpu", U32),
    };

    /// <summary>
    /// The same set for messages whose family is AF_INET: XFRMA_SRCADDR and XFRMA_COADDR are 16-byte
    /// xfrm_address_t slots whatever the family, so an IPv4 message reads their first 4 bytes.
    /// </summary>
    public static readonly AttributeTable AttributesInet = InetVariant();

    private static AttributeTable InetVariant()
    {
        var table = new AttributeTable(Attributes.Name, Attributes.UapiPrefix);
        foreach (var (type, spec) in Attributes.Entries())
            table[type] = type is 13 or 14 ? spec with { Kind = IPv4 } : spec;
        return table;
    }

    /// <summary>enum xfrm_sadattr_type_t (XFRMA_SAD_*), for NEWSADINFO.</summary>
    public static readonly AttributeTable SadInfo = new("xfrm-sad-attrs", "XFRMA_SAD_")
    {
        [1] = new("cnt", U32), [2] = S("hinfo", XfrmStructs.SadHashInfo),
    };

    /// <summary>enum xfrm_spdattr_type_t (XFRMA_SPD_*), for NEWSPDINFO.</summary>
    public static readonly AttributeTable SpdInfo = new("xfrm-spd-attrs", "XFRMA_SPD_")
    {
        [1] = S("info", XfrmStructs.SpdInfo), [2] = S("hinfo", XfrmStructs.SpdHashInfo),
        [3] = S("ipv4_hthresh", XfrmStructs.SpdHashThreshold), [4] = S("ipv6_hthresh", XfrmStructs.SpdHashThreshold),
    };
}
