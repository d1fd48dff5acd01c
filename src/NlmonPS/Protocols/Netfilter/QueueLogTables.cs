using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;
using static NlmonPS.Protocols.Netfilter.NfAttr;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>nfnetlink_queue (nfnetlink_queue.h): packets handed to user space for a verdict. res_id is the queue number.</summary>
internal static class QueueTables
{
    public static readonly EnumTable Messages = NfEnums.Names("nfqnl-msg-types",
        "NFQNL_MSG_PACKET", "NFQNL_MSG_VERDICT", "NFQNL_MSG_CONFIG", "NFQNL_MSG_VERDICT_BATCH");

    /// <summary>struct nfqnl_msg_packet_hdr (packed, 7 bytes).</summary>
    public static readonly StructSpec PacketHdr = new("nfqnl_msg_packet_hdr", 7)
    {
        { "packet_id", 0, U32, null, null, 0, true }, { "hw_protocol", 4, U16, NfEnums.EtherType, null, 0, true },
        { "hook", 6, ValueKind.U8, NfEnums.InetHook },
    };

    /// <summary>struct nfqnl_msg_verdict_hdr: the verdict's low byte is NF_*, the high 16 bits a queue for NF_QUEUE.</summary>
    public static readonly StructSpec VerdictHdr = new("nfqnl_msg_verdict_hdr", 8)
    {
        { "verdict", 0, U32, NfEnums.Verdict, null, 0, true }, { "id", 4, U32, null, null, 0, true },
    };

    /// <summary>struct nfqnl_msg_packet_hw / nfulnl_msg_packet_hw: the address is hw_addrlen bytes of hw_addr[8].</summary>
    public static readonly StructSpec PacketHw = new("nfqnl_msg_packet_hw", 12)
    {
        { "hw_addrlen", 0, U16, null, null, 0, true }, { "hw_addr", 4, HardwareAddress, null, null, 8 },
    };

    /// <summary>struct nfqnl_msg_packet_timestamp / nfulnl_msg_packet_timestamp.</summary>
    public static readonly StructSpec PacketTimestamp = new("nfqnl_msg_packet_timestamp", 16)
    {
        { "sec", 0, U64, null, null, 0, true }, { "usec", 8, U64, null, null, 0, true },
    };

    public static readonly EnumTable ConfigCommand = NfEnums.Names("nfqnl-msg-config-cmds", "none", "bind", "unbind", "pf_bind", "pf_unbind");

    public static readonly StructSpec ConfigCmd = new("nfqnl_msg_config_cmd", 4)
    {
        { "command", 0, ValueKind.U8, ConfigCommand }, { "pf", 2, U16, Enums.AddressFamily, null, 0, true },
    };

    public static readonly EnumTable CopyMode = NfEnums.Names("nfqnl-config-mode", "none", "meta", "packet");

    /// <summary>struct nfqnl_msg_config_params (packed, 5 bytes).</summary>
    public static readonly StructSpec ConfigParams = new("nfqnl_msg_config_params", 5)
    {
        { "copy_range", 0, U32, null, null, 0, true }, { "copy_mode", 4, ValueKind.U8, CopyMode },
    };

    public static readonly FlagTable ConfigFlags = new("nfqa-cfg-flags")
    {
        { 0x1, "fail-open" }, { 0x2, "conntrack" }, { 0x4, "gso" }, { 0x8, "uid-gid" }, { 0x10, "secctx" },
    };

    public static readonly FlagTable SkbInfo = new("nfqa-skb-info") { { 0x1, "csumnotready" }, { 0x2, "gso" }, { 0x4, "csum-notverified" } };

    public static readonly AttributeTable Vlan = new("nfqa-vlan", "NFQA_VLAN_")
    {
        [1] = Be16("proto", NfEnums.EtherType), [2] = Be16("tci"),
    };

    public static readonly AttributeTable Packet = new("nfqa", "NFQA_")
    {
        [1] = Struct("packet_hdr", PacketHdr),
        [2] = Struct("verdict_hdr", VerdictHdr),
        [3] = Be32("mark"),
        [4] = Struct("timestamp", PacketTimestamp),
        [5] = Be32("ifindex_indev"),
        [6] = Be32("ifindex_outdev"),
        [7] = Be32("ifindex_physindev"),
        [8] = Be32("ifindex_physoutdev"),
        [9] = Struct("hwaddr", PacketHw),
        [10] = Bin("payload"),
        [11] = Nest("ct", ConntrackTables.Conntrack),
        [12] = Be32("ct_info", NfEnums.ConntrackInfo),
        [13] = Be32("cap_len"),
        [14] = Be32("skb_info", null, SkbInfo),
        [15] = Nest("exp", ConntrackTables.Expect),
        [16] = Be32("uid"),
        [17] = Be32("gid"),
        [18] = Str("secctx"),
        [19] = Nest("vlan", Vlan),
        [20] = Bin("l2hdr"),
        [21] = Be32("priority"),
    };

    public static readonly AttributeTable Config = new("nfqa-cfg", "NFQA_CFG_")
    {
        [1] = Struct("cmd", ConfigCmd), [2] = Struct("params", ConfigParams), [3] = Be32("queue_maxlen"),
        [4] = Be32("mask", null, ConfigFlags), [5] = Be32("flags", null, ConfigFlags),
    };
}

/// <summary>nfnetlink_log (nfnetlink_log.h), NFNL_SUBSYS_ULOG: logged packets (nft log group, NFLOG target). res_id is the group.</summary>
internal static class LogTables
{
    public static readonly EnumTable Messages = NfEnums.Names("nfulnl-msg-types", "NFULNL_MSG_PACKET", "NFULNL_MSG_CONFIG");

    public static readonly StructSpec PacketHdr = new("nfulnl_msg_packet_hdr", 4)
    {
        { "hw_protocol", 0, U16, NfEnums.EtherType, null, 0, true }, { "hook", 2, ValueKind.U8, NfEnums.InetHook },
    };

    public static readonly EnumTable ConfigCommand = NfEnums.Names("nfulnl-msg-config-cmds", "none", "bind", "unbind", "pf_bind", "pf_unbind");

    public static readonly StructSpec ConfigCmd = new("nfulnl_msg_config_cmd", 1) { { "command", 0, ValueKind.U8, ConfigCommand } };

    public static readonly EnumTable CopyMode = new("nfulnl-copy-mode") { [0] = "none", [1] = "meta", [2] = "packet" };

    public static readonly StructSpec ConfigMode = new("nfulnl_msg_config_mode", 6)
    {
        { "copy_range", 0, U32, null, null, 0, true }, { "copy_mode", 4, ValueKind.U8, CopyMode },
    };

    public static readonly FlagTable ConfigFlags = new("nfulnl-cfg-flags") { { 0x1, "seq" }, { 0x2, "seq_global" }, { 0x4, "conntrack" } };

    public static readonly AttributeTable Vlan = new("nfula-vlan", "NFULA_VLAN_")
    {
        [1] = Be16("proto", NfEnums.EtherType), [2] = Be16("tci"),
    };

    public static readonly AttributeTable Packet = new("nfula", "NFULA_")
    {
        [1] = Struct("packet_hdr", PacketHdr),
        [2] = Be32("mark"),
        [3] = Struct("timestamp", QueueTables.PacketTimestamp),
        [4] = Be32("ifindex_indev"),
        [5] = Be32("ifindex_outdev"),
        [6] = Be32("ifindex_physindev"),
        [7] = Be32("ifindex_physoutdev"),
        [8] = Struct("hwaddr", QueueTables.PacketHw),
        [9] = Bin("payload"),
        [10] = Str("prefix"),
        [11] = Be32("uid"),
        [12] = Be32("seq"),
        [13] = Be32("seq_global"),
        [14] = Be32("gid"),
        [15] = Be16("hwtype", Enums.Arphrd),
        [16] = Bin("hwheader"),
        [17] = Be16("hwlen"),
        [18] = Nest("ct", ConntrackTables.Conntrack),
        [19] = Be32("ct_info", NfEnums.ConntrackInfo),
        [20] = Nest("vlan", Vlan),
        [21] = Bin("l2hdr"),
    };

    public static readonly AttributeTable Config = new("nfula-cfg", "NFULA_CFG_")
    {
        [1] = Struct("cmd", ConfigCmd), [2] = Struct("mode", ConfigMode), [3] = Be32("nlbufsiz"), [4] = Be32("timeout"),
        [5] = Be32("qthresh"), [6] = Be16("flags", null, ConfigFlags),
    };
}
