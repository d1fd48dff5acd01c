using NlmonPS.Decoding;
using static NlmonPS.Protocols.Netfilter.NfAttr;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>
/// ipset (ipset/ip_set.h). Integers carry NLA_F_NET_BYTEORDER on the wire, and IPSET_ATTR_DATA holds either the
/// create-time attributes (create, header, list) or the add/del/test ones (IPSET_ATTR_ADT entries): the numbers past
/// IPSET_ATTR_CADT_MAX mean different things in the two, so they are two sets.
/// </summary>
internal static class IpsetTables
{
    /// <summary>
    /// enum ipset_errno (ip_set.h): the errors only ipset sends, above the errno range. Codes from
    /// IPSET_ERR_TYPE_SPECIFIC (4352) up mean different things per set type (hash, bitmap, list).
    /// </summary>
    public static readonly EnumTable Errors = WithTypeSpecific(NfEnums.Names("ipset-errno", 4096,
        "IPSET_ERR_PRIVATE", "IPSET_ERR_PROTOCOL", "IPSET_ERR_FIND_TYPE", "IPSET_ERR_MAX_SETS", "IPSET_ERR_BUSY",
        "IPSET_ERR_EXIST_SETNAME2", "IPSET_ERR_TYPE_MISMATCH", "IPSET_ERR_EXIST", "IPSET_ERR_INVALID_CIDR",
        "IPSET_ERR_INVALID_NETMASK", "IPSET_ERR_INVALID_FAMILY", "IPSET_ERR_TIMEOUT", "IPSET_ERR_REFERENCED",
        "IPSET_ERR_IPADDR_IPV4", "IPSET_ERR_IPADDR_IPV6", "IPSET_ERR_COUNTER", "IPSET_ERR_COMMENT",
        "IPSET_ERR_INVALID_MARKMASK", "IPSET_ERR_SKBINFO"));

    private static EnumTable WithTypeSpecific(EnumTable table)
    {
        table[4352] = "IPSET_ERR_TYPE_SPECIFIC";
        return table;
    }

    /// <summary>The name of an ipset error (or a type-specific one, as IPSET_ERR_TYPE_SPECIFIC+n), null below 4096.</summary>
    public static string? ErrorName(int errno) =>
        errno < 4096 ? null
        : Errors.TryGetValue((ulong)errno, out var name) ? name
        : errno > 4352 ? $"IPSET_ERR_TYPE_SPECIFIC+{errno - 4352}" : null;

    public static readonly EnumTable Messages = NfEnums.Names("ipset-cmd",
        "IPSET_CMD_NONE", "IPSET_CMD_PROTOCOL", "IPSET_CMD_CREATE", "IPSET_CMD_DESTROY", "IPSET_CMD_FLUSH", "IPSET_CMD_RENAME",
        "IPSET_CMD_SWAP", "IPSET_CMD_LIST", "IPSET_CMD_SAVE", "IPSET_CMD_ADD", "IPSET_CMD_DEL", "IPSET_CMD_TEST",
        "IPSET_CMD_HEADER", "IPSET_CMD_TYPE", "IPSET_CMD_GET_BYNAME", "IPSET_CMD_GET_BYINDEX");

    public static readonly AttributeTable IpAddr = new("ipset-ipaddr", "IPSET_ATTR_IPADDR_") { [1] = Ip4("ipv4"), [2] = Ip6("ipv6") };

    /// <summary>enum ipset_cadt_flags.</summary>
    public static readonly FlagTable CadtFlags = new("ipset-cadt-flags")
    {
        { 0x1, "before" }, { 0x2, "physdev" }, { 0x4, "nomatch" }, { 0x8, "counters" }, { 0x10, "comment" },
        { 0x20, "forceadd" }, { 0x40, "skbinfo" }, { 0x80, "wildcard" },
    };

    /// <summary>enum ipset_cmd_flags.</summary>
    public static readonly FlagTable CmdFlags = new("ipset-cmd-flags")
    {
        { 0x1, "exist" }, { 0x2, "list_setname" }, { 0x4, "list_header" }, { 0x8, "skip_counter_update" },
        { 0x10, "skip_subcounter_update" }, { 0x20, "match_counters" }, { 0x80, "return_nomatch" },
        { 0x100, "map_skbmark" }, { 0x200, "map_skbprio" }, { 0x400, "map_skbqueue" },
    };

    private static void Cadt(AttributeTable t)
    {
        // Attributes 1..IPSET_ATTR_CADT_MAX are common to create and add/del/test data.
        t[1] = Nest("ip", IpAddr);
        t[2] = Nest("ip_to", IpAddr);
        t[3] = U8("cidr");
        t[4] = Be16("port");
        t[5] = Be16("port_to");
        t[6] = Be32("timeout");
        t[7] = U8("proto", NfEnums.IpProto);
        t[8] = Be32("cadt_flags", null, CadtFlags);
        t[9] = Be32("cadt_lineno");
        t[10] = Be32("mark");
        t[11] = Be32("markmask");
    }

    public static readonly AttributeTable CreateData = BuildCreate();

    private static AttributeTable BuildCreate()
    {
        var t = new AttributeTable("ipset-create-data", "IPSET_ATTR_");
        Cadt(t);
        t[17] = Be32("initval");
        t[18] = Be32("hashsize");
        t[19] = Be32("maxelem");
        t[20] = U8("netmask");
        t[21] = U8("bucketsize");
        t[22] = U8("resize");
        t[23] = Be32("size");
        t[24] = Be32("elements");
        t[25] = Be32("references");
        t[26] = Be32("memsize");
        return t;
    }

    public static readonly AttributeTable AdtData = BuildAdt();

    private static AttributeTable BuildAdt()
    {
        var t = new AttributeTable("ipset-adt-data", "IPSET_ATTR_");
        Cadt(t);
        t[17] = new AttributeSpec("ether", ValueKind.HardwareAddress);
        t[18] = Str("name");
        t[19] = Str("nameref");
        t[20] = Nest("ip2", IpAddr);
        t[21] = U8("cidr2");
        t[22] = Nest("ip2_to", IpAddr);
        t[23] = Str("iface");
        t[24] = Be64("bytes");
        t[25] = Be64("packets");
        t[26] = Str("comment");
        t[27] = Be64("skbmark");
        t[28] = Be32("skbprio");
        t[29] = Be16("skbqueue");
        t[30] = Pad();
        return t;
    }

    /// <summary>IPSET_ATTR_ADT: a list of IPSET_ATTR_DATA entries, one per element.</summary>
    public static readonly AttributeTable AdtList = new("ipset-adt", "IPSET_ATTR_") { [7] = Nest("data", AdtData) };

    /// <summary>The command-level set for create/list/header/type and their replies.</summary>
    public static readonly AttributeTable Command = new("ipset-cmd-create", "IPSET_ATTR_")
    {
        [1] = U8("protocol"), [2] = Str("setname"), [3] = Str("typename"), [4] = U8("revision"), [5] = U8("family", NfEnums.NfProto),
        [6] = Be32("flags", null, CmdFlags), [7] = Nest("data", CreateData), [8] = Nest("adt", AdtList), [9] = Be32("lineno"),
        [10] = U8("protocol_min"), [11] = Be16("index"),
    };

    /// <summary>add/del/test: IPSET_ATTR_DATA holds one element.</summary>
    public static readonly AttributeTable AddDelTest = Command.With("ipset-cmd-adt", (7, Nest("data", AdtData)));

    /// <summary>rename/swap: attribute 3 is the second set's name (IPSET_ATTR_SETNAME2 = IPSET_ATTR_TYPENAME).</summary>
    public static readonly AttributeTable RenameSwap = Command.With("ipset-cmd-rename", (3, Str("setname2")));

    /// <summary>type: attribute 10 is the lowest revision of the type (IPSET_ATTR_REVISION_MIN = IPSET_ATTR_PROTOCOL_MIN).</summary>
    public static readonly AttributeTable Type = Command.With("ipset-cmd-type", (10, U8("revision_min")));

    /// <summary>The command set each IPSET_CMD_* uses.</summary>
    public static AttributeTable For(int cmd) => cmd switch
    {
        9 or 10 or 11 => AddDelTest,
        5 or 6 => RenameSwap,
        13 => Type,
        _ => Command,
    };
}

/// <summary>nfacct (nfnetlink_acct.h): named packet and byte counters.</summary>
internal static class AcctTables
{
    public static readonly EnumTable Messages = NfEnums.Names("nfnl-acct-msg-types",
        "NFNL_MSG_ACCT_NEW", "NFNL_MSG_ACCT_GET", "NFNL_MSG_ACCT_GET_CTRZERO", "NFNL_MSG_ACCT_DEL", "NFNL_MSG_ACCT_OVERQUOTA");

    public static readonly FlagTable Flags = new("nfnl-acct-flags") { { 0x1, "quota_pkts" }, { 0x2, "quota_bytes" }, { 0x4, "overquota" } };

    public static readonly AttributeTable Filter = new("nfacct-filter", "NFACCT_FILTER_")
    {
        [1] = Be32("mask", null, Flags), [2] = Be32("value", null, Flags),
    };

    public static readonly AttributeTable Acct = new("nfacct", "NFACCT_")
    {
        [1] = Str("name"), [2] = Be64("pkts"), [3] = Be64("bytes"), [4] = Be32("use"), [5] = Be32("flags", null, Flags),
        [6] = Be64("quota"), [7] = Nest("filter", Filter), [8] = Pad(),
    };
}

/// <summary>xt_osf / nfnetlink_osf (nfnetlink_osf.h): passive OS fingerprints loaded by nfnl_osf.</summary>
internal static class OsfTables
{
    public static readonly EnumTable Messages = NfEnums.Names("nf-osf-msg-types", "OSF_MSG_ADD", "OSF_MSG_REMOVE");

    public static readonly EnumTable WindowSize = NfEnums.Names("nf-osf-window-size-options", "plain", "mss", "mtu", "modulo");

    /// <summary>struct nf_osf_user_finger, in host byte order: window, ttl, df, size, options (opt[40] of 12 bytes), names.</summary>
    public static readonly StructSpec UserFinger = new("nf_osf_user_finger", 592)
    {
        { "wss_wc", 0, ValueKind.U32, WindowSize }, { "wss_val", 4, ValueKind.U32 }, { "ttl", 8, ValueKind.U8 }, { "df", 9, ValueKind.U8 },
        { "ss", 10, ValueKind.U16 }, { "mss", 12, ValueKind.U16 }, { "opt_num", 14, ValueKind.U16 },
        { "genre", 16, ValueKind.String, null, null, 32 }, { "version", 48, ValueKind.String, null, null, 32 },
        { "subtype", 80, ValueKind.String, null, null, 32 }, { "opt", 112, ValueKind.Binary, null, null, 480 },
    };

    public static readonly AttributeTable Attributes = new("nf-osf-attr", "OSF_ATTR_") { [1] = Struct("finger", UserFinger) };
}

/// <summary>nfnetlink_hook (nfnetlink_hook.h): which functions sit on a hook (nft list hooks).</summary>
internal static class HookTables
{
    public static readonly EnumTable Messages = NfEnums.Names("nfnl-hook-msg-types", "NFNL_MSG_HOOK_GET");

    public static readonly AttributeTable ChainDesc = new("nfnl-hook-chain-desc", "NFNLA_CHAIN_")
    {
        [1] = Str("table"), [2] = Be32("family", NfEnums.NfProto), [3] = Str("name"),
    };

    public static readonly AttributeTable ChainInfo = new("nfnl-hook-chain-info", "NFNLA_HOOK_INFO_")
    {
        [1] = Nest("desc", ChainDesc), [2] = Be32("type", new EnumTable("nfnl-hook-chaintype") { [1] = "nftables", [2] = "bpf" }),
    };

    public static readonly AttributeTable Hook = new("nfnl-hook", "NFNLA_HOOK_")
    {
        [1] = Be32("hooknum", NfEnums.InetHook), [2] = Bes32("priority"), [3] = Str("dev"), [4] = Str("function_name"),
        [5] = Str("module_name"), [6] = Nest("chain_info", ChainInfo),
    };
}

/// <summary>nfnetlink's own messages (NFNL_SUBSYS_NONE): the batch around nf_tables and ipset transactions.</summary>
internal static class BatchTables
{
    public static readonly AttributeTable Batch = new("nfnl-batch", "NFNL_BATCH_") { [1] = Be32("genid") };
}
