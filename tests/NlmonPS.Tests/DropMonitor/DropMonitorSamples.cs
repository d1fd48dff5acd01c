namespace NlmonPS.Tests.DropMonitoring;

/// <summary>
/// NET_DM messages exactly as the stock kernel 6.1.0-56-amd64 sent them to dropwatch 1.5.4, copied byte for byte
/// from the rig's recording (branch rig, tests/fixtures/dropmon.pcap; frame numbers below; transcript in
/// dropmon.txt). Family id 0x23, little-endian.
/// </summary>
public static class DropMonitorSamples
{
    public const ushort FamilyId = 0x23;

    /// <summary>Frame 2: CTRL_CMD_NEWFAMILY for NET_DM (id 0x23, version 2, maxattr 23, ops 2 3 4 6 8, group events=1).</summary>
    public static readonly byte[] NewFamily = Convert.FromHexString(
        "c400000010000000bf3e046bfd044082010200000b0002004e45545f444d0000060001002300000008000300020000000800040000000000080005001700000068000600140001000800010002000000080002000b000000140002000800010003000000080002000b000000140003000800010004000000080002000b000000140004000800010006000000080002000a000000140005000800010008000000080002000a0000001c0007001800010008000200010000000b0001006576656e74730000");

    /// <summary>Frame 4: dropwatch's "set alertmode packet" (NET_DM_CMD_CONFIG, genl version 1).</summary>
    public static readonly byte[] ConfigAlertModePacket = Convert.FromHexString("1c000000230005000000000000000000020100000500010001000000");

    /// <summary>Frame 11: NET_DM_CMD_CONFIG_NEW: packet mode, trunc 64, queue 100.</summary>
    public static readonly byte[] ConfigNew = Convert.FromHexString(
        "2c0000002300000003000000fd0400b5070200000500010001000000080009004000000008000b0064000000");

    /// <summary>Frame 12: dropwatch's NET_DM_CMD_START (no origin flags: software drops).</summary>
    public static readonly byte[] Start = Convert.FromHexString("1400000023000500040000000000000003010000");

    /// <summary>
    /// Frame 14: NET_DM_CMD_PACKET_ALERT for a UDP datagram "datagram 1\n" from 127.0.0.1:44339 to the closed port
    /// 127.0.0.1:9: origin sw, pc 0xffffffff834bcae2, reason NO_SOCKET, symbol __udp4_lib_rcv+0x9a2/0xc30, in_port
    /// ifindex 1, timestamp 13:25:22.862607663 (2026-11-23), orig_len 53, proto 0x0800, payload 53 bytes from
    /// lo's 14-byte (zero) Ethernet header.
    /// </summary>
    public static readonly byte[] PacketAlert = Convert.FromHexString(
        "bc0000002300000000000000000000000502000006000e00000000000c000200e2ca4b83ffffffff0e0017004e4f5f534f434b45540000001f0003005f5f756470345f6c69625f7263762b30783961322f307863333000000c00048008000000010000000c0005002f6da30376afea1808000a00350000000600060000080000390007000000000000000000000000000800450000277bcc40004011c0f77f0000017f000001ad3300090013fe26646174616772616d20310a000000");

    /// <summary>Frame 22: NET_DM_CMD_STATS_NEW: software and hardware dropped 0.</summary>
    public static readonly byte[] StatsNew = Convert.FromHexString(
        "340000002300000006000000fd0400b50902000010000c800c000000000000000000000010000d800c0000000000000000000000");

    /// <summary>Frame 32: NET_DM_CMD_ALERT (summary): one drop point, pc 0xffffffff834bcae2, count 5, wrapped in an attribute of type 0.</summary>
    public static readonly byte[] SummaryAlert = Convert.FromHexString(
        "28000000230000000000000000000000010200001400000001000000e2ca4b83ffffffff05000000");

    public const ulong Pc = 0xffffffff834bcae2;
    public const ulong TimestampNs = 0x18eaaf7603a36d2f;

    /// <summary>A kallsyms excerpt around the drop location (addresses as KASLR placed them in that boot).</summary>
    public const string Kallsyms =
        "ffffffff834bc0f0 T udp_lib_get_port\n" +
        "ffffffff834bc140 T __udp4_lib_rcv\n" +
        "ffffffff834bcd70 t udp_queue_rcv_skb\n" +
        "ffffffff834bce00 T udp_v4_early_demux\n" +
        "ffffffffc05ba000 t net_dm_packet_report\t[drop_monitor]\n" +
        "ffffffffc05ba400 t net_dm_hw_report\t[drop_monitor]\n";
}
