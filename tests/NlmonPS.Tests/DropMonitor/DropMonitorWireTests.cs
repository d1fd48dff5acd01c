using System.Globalization;
using System.Net;
using System.Text;
using NlmonPS.DropMonitoring;
using NlmonPS.KernelClients;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.DropMonitoring;

/// <summary>The NET_DM client against the bytes the stock kernel sent (DropMonitorSamples): parsing, requests, decoding.</summary>
public class DropMonitorWireTests
{
    private static readonly GenericNetlinkFamily Family = GenericNetlinkFamily.Parse(DropMonitorSamples.NewFamily, ByteOrder.LittleEndian)!;

    private static DropAlertContext Context(Func<int, InterfaceInfo?>? interfaces = null) => new()
    {
        Symbols = () => KernelSymbols.Parse(Encoding.ASCII.GetBytes(DropMonitorSamples.Kallsyms)),
        Interfaces = interfaces ?? (i => i == 1 ? new InterfaceInfo(1, "lo", PacketDropPcapWriter.ArphrdLoopback) : null),
        ReceivedAt = DateTimeOffset.UnixEpoch.AddSeconds(1795440323),
        RecordNumber = 7,
        Interval = TimeSpan.FromSeconds(1.5),
    };

    [Fact]
    public void FamilyReplyGivesIdVersionOpsAndGroups()
    {
        Assert.Equal("NET_DM", Family.Name);
        Assert.Equal(DropMonitorSamples.FamilyId, Family.Id);
        Assert.Equal(2u, Family.Version);
        Assert.Equal(0u, Family.HeaderSize);
        Assert.Equal(23u, Family.MaxAttribute);
        Assert.Equal(1u, Family.MulticastGroups["events"]);
        Assert.Equal(new uint[] { 2, 3, 4, 6, 8 }, Family.Operations.Keys.Order());
        Assert.Equal(Genl.GENL_ADMIN_PERM, Family.Operations[NetDm.NET_DM_CMD_START] & Genl.GENL_ADMIN_PERM);
        Assert.Equal(0u, Family.Operations[NetDm.NET_DM_CMD_CONFIG_GET] & Genl.GENL_ADMIN_PERM);
    }

    [Fact]
    public void PacketAlertGivesEveryField()
    {
        var d = DropAlertParser.ParsePacketAlert(DropMonitorSamples.PacketAlert, ByteOrder.LittleEndian, DropMonitorSamples.FamilyId, Context());
        Assert.Equal(DropOrigin.Software, d.Origin);
        Assert.Equal("__udp4_lib_rcv+0x9a2/0xc30", d.Location);
        Assert.Equal("__udp4_lib_rcv", d.Symbol);
        Assert.Equal(DropMonitorSamples.Pc, d.Pc);
        Assert.Equal("NO_SOCKET", d.Reason);
        Assert.Equal((1, "lo", (ushort?)772), (d.InterfaceIndex!.Value, d.InterfaceName, d.InterfaceType));
        Assert.Equal(DropMonitorSamples.TimestampNs, d.TimestampNs);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 13, 25, 22, TimeSpan.Zero).AddTicks(8626076), d.Timestamp);
        Assert.Equal((ushort)0x0800, d.Protocol);
        Assert.Equal("IPv4", d.ProtocolName);
        Assert.Equal((53, 53, false), (d.Length, d.OriginalLength, d.IsTruncated));
        Assert.Equal(14, d.NetworkOffset);
        Assert.Equal("Ethernet", d.LinkLayer);
        Assert.Equal(IPAddress.Loopback, d.SourceAddress);
        Assert.Equal(IPAddress.Loopback, d.DestinationAddress);
        Assert.Equal(("UDP", 44339, 9), (d.TransportProtocol, d.SourcePort!.Value, d.DestinationPort!.Value));
        Assert.Equal("UDP 127.0.0.1:44339 > 127.0.0.1:9 len 11", d.PacketSummary);
        Assert.IsType<PacketDotNet.IPv4Packet>(d.ParsedPacket);
        Assert.Contains("datagram 1\n", Encoding.ASCII.GetString(d.Packet), StringComparison.Ordinal);
        Assert.Null(d.HardwareTrapName);
        Assert.Equal(DropMonitorSamples.PacketAlert, d.Bytes);
        Assert.Equal(DropMonitorSamples.FamilyId, d.FamilyId);
        Assert.Contains("__udp4_lib_rcv+0x9a2/0xc30 (NO_SOCKET) dev lo IPv4 53/53", d.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PacketAlertKeepsItsMessageForExport()
    {
        var d = DropAlertParser.ParsePacketAlert(DropMonitorSamples.PacketAlert, ByteOrder.LittleEndian, DropMonitorSamples.FamilyId, Context());
        NlmonPS.Decoding.NetlinkMessage m = d;
        Assert.Same(d.Message, m);
        Assert.Equal(NetlinkProtocol.Generic, m.Protocol);
        Assert.Equal("NET_DM", m.Family);
        Assert.Equal(DropMonitorSamples.FamilyId, m.Type);
        Assert.Equal(DropMonitorSamples.PacketAlert, m.Bytes);
        Assert.Equal(7, m.RecordNumber);
        Assert.False(m.IsMalformed);
    }

    [Fact]
    public void AddressWithoutSymbolIsResolvedThroughKallsyms()
    {
        // The same alert without NET_DM_ATTR_SYMBOL (as older kernels and hardware-less paths may send it).
        var b = new MessageBuilder(DropMonitorSamples.FamilyId, 0).AddBytes(new byte[] { NetDm.NET_DM_CMD_PACKET_ALERT, 2, 0, 0 })
            .AddU16(NetDm.NET_DM_ATTR_ORIGIN, 0).AddU64(NetDm.NET_DM_ATTR_PC, DropMonitorSamples.Pc).ToArray();
        var d = DropAlertParser.ParsePacketAlert(b, Endian.Host, DropMonitorSamples.FamilyId, Context());
        Assert.Equal("__udp4_lib_rcv+0x9a2/0xc30", d.Location);
        Assert.Equal("__udp4_lib_rcv", d.Symbol);
        Assert.Null(d.InterfaceIndex);
        Assert.Empty(d.Packet);
    }

    [Fact]
    public void SummaryAlertGivesLocationsAndCounts()
    {
        var list = DropAlertParser.ParseSummaryAlert(DropMonitorSamples.SummaryAlert, ByteOrder.LittleEndian, DropMonitorSamples.FamilyId, Context());
        var s = Assert.Single(list);
        Assert.Equal((DropMonitorSamples.Pc, 5u), (s.Pc!.Value, s.Count));
        Assert.Equal("__udp4_lib_rcv+0x9a2/0xc30", s.Location);
        Assert.Equal("__udp4_lib_rcv", s.Symbol);
        Assert.Equal(TimeSpan.FromSeconds(1.5), s.Interval);
        Assert.Equal(DropOrigin.Software, s.Origin);
        Assert.Equal("NET_DM", s.Message.Family);
        Assert.Equal("5 drops at __udp4_lib_rcv+0x9a2/0xc30", s.ToString());
    }

    [Fact]
    public void HardwareSummaryEntriesAreRead()
    {
        var b = new MessageBuilder(DropMonitorSamples.FamilyId, 0).AddBytes(new byte[] { NetDm.NET_DM_CMD_ALERT, 2, 0, 0 })
            .BeginNest(NetDm.NET_DM_ATTR_HW_ENTRIES)
            .BeginNest(NetDm.NET_DM_ATTR_HW_ENTRY).AddString(NetDm.NET_DM_ATTR_HW_TRAP_NAME, "ingress_vlan_filter").AddU32(NetDm.NET_DM_ATTR_HW_TRAP_COUNT, 3).EndNest()
            .BeginNest(NetDm.NET_DM_ATTR_HW_ENTRY).AddString(NetDm.NET_DM_ATTR_HW_TRAP_NAME, "source_mac_is_multicast").AddU32(NetDm.NET_DM_ATTR_HW_TRAP_COUNT, 1).EndNest()
            .EndNest().ToArray();
        var list = DropAlertParser.ParseSummaryAlert(b, Endian.Host, DropMonitorSamples.FamilyId, Context());
        Assert.Equal(new[] { ("ingress_vlan_filter", 3u), ("source_mac_is_multicast", 1u) }, list.Select(s => (s.Location!, s.Count)));
        Assert.All(list, s => Assert.Equal(DropOrigin.Hardware, s.Origin));
    }

    [Fact]
    public void HardwarePacketAlertNamesTheTrapAndPort()
    {
        var frame = Convert.FromHexString("ffffffffffff02000000000108060001080006040001020000000001c0a80001000000000000c0a80002");
        var b = new MessageBuilder(DropMonitorSamples.FamilyId, 0).AddBytes(new byte[] { NetDm.NET_DM_CMD_PACKET_ALERT, 2, 0, 0 })
            .AddU16(NetDm.NET_DM_ATTR_ORIGIN, NetDm.NET_DM_ORIGIN_HW)
            .AddString(NetDm.NET_DM_ATTR_HW_TRAP_GROUP_NAME, "l2_drops").AddString(NetDm.NET_DM_ATTR_HW_TRAP_NAME, "ingress_vlan_filter")
            .BeginNest(NetDm.NET_DM_ATTR_IN_PORT).AddU32(NetDm.NET_DM_ATTR_PORT_NETDEV_IFINDEX, 9).AddString(NetDm.NET_DM_ATTR_PORT_NETDEV_NAME, "swp1").EndNest()
            .AddU64(NetDm.NET_DM_ATTR_TIMESTAMP, DropMonitorSamples.TimestampNs).AddU32(NetDm.NET_DM_ATTR_ORIG_LEN, (uint)frame.Length)
            .AddU16(NetDm.NET_DM_ATTR_PROTO, 0x0806).AddAttribute(NetDm.NET_DM_ATTR_FLOW_ACTION_COOKIE, new byte[] { 1, 2, 3 })
            .AddAttribute(NetDm.NET_DM_ATTR_PAYLOAD, frame).ToArray();
        var d = DropAlertParser.ParsePacketAlert(b, Endian.Host, DropMonitorSamples.FamilyId, Context(_ => null));
        Assert.Equal(DropOrigin.Hardware, d.Origin);
        Assert.Equal(("l2_drops", "ingress_vlan_filter", "l2_drops/ingress_vlan_filter"), (d.HardwareTrapGroup, d.HardwareTrapName, d.Location));
        Assert.Equal((9, "swp1"), (d.InterfaceIndex!.Value, d.InterfaceName));
        Assert.Equal(new byte[] { 1, 2, 3 }, d.FlowActionCookie);
        Assert.Equal("ARP who-has 192.168.0.2 tell 192.168.0.1", d.PacketSummary);
        Assert.Null(d.Pc);
    }

    [Fact]
    public void ConfigurationAndStatisticsReplies()
    {
        var c = DropMonitorClient.ParseConfiguration(DropMonitorSamples.ConfigNew, ByteOrder.LittleEndian);
        Assert.Equal((DropAlertMode.Packet, 64u, 100u), (c.AlertMode, c.TruncateLength, c.QueueLength));
        var s = DropMonitorClient.ParseStatistics(DropMonitorSamples.StatsNew, ByteOrder.LittleEndian);
        Assert.Equal((0UL, (ulong?)0UL), (s.SoftwareDropped, s.HardwareDropped));
    }

    [Fact]
    public void RequestsCarryWhatDropwatchSends()
    {
        // dropwatch's "set alertmode packet": the same attributes (it sends genl version 1, we send the family's 2).
        var ours = DropMonitorClient.ConfigRequest(Family, DropAlertMode.Packet, null, null).ToArray();
        Assert.Equal(DropMonitorSamples.ConfigAlertModePacket.Length, ours.Length);
        Assert.Equal(DropMonitorSamples.ConfigAlertModePacket[16], ours[16]);
        Assert.Equal(DropMonitorSamples.ConfigAlertModePacket[20..], ours[20..]);
        // START without flags is what dropwatch sends; with -Origin the flags are added.
        Assert.Equal(DropMonitorSamples.Start[20..], GenericNetlinkClient.NewRequest(Family, NetDm.NET_DM_CMD_START).ToArray()[20..]);
        var all = DropMonitorClient.TraceRequest(Family, NetDm.NET_DM_CMD_STOP, DropMonitorOrigin.All).ToArray();
        var attrs = GenericNetlinkClient.Attributes(all, Endian.Host);
        Assert.Equal(new ushort[] { NetDm.NET_DM_ATTR_SW_DROPS, NetDm.NET_DM_ATTR_HW_DROPS }, attrs.Select(a => a.Type));
        Assert.All(attrs, a => Assert.Equal(0, a.Payload.Length));
        var full = GenericNetlinkClient.Attributes(DropMonitorClient.ConfigRequest(Family, DropAlertMode.Summary, 128, 50).ToArray(), Endian.Host);
        Assert.Equal(new ushort[] { NetDm.NET_DM_ATTR_ALERT_MODE, NetDm.NET_DM_ATTR_TRUNC_LEN, NetDm.NET_DM_ATTR_QUEUE_LEN }, full.Select(a => a.Type));
    }

    [Theory]
    // lo: 14 zero bytes of Ethernet header, then IPv4.
    [InlineData("00000000000000000000000008004500001c000040004011000000000000000000000000000000000000000000", 0x0800, 42, 14)]
    // Locally generated, dropped before a device took it: starts at the IPv4 header.
    [InlineData("4500001c0000400040110000000000000000000000000000000000000000", 0x0800, 28, 0)]
    // IPv6 with a VLAN tag left in the frame.
    [InlineData("0102030405060a0b0c0d0e0f8100000586dd6000000000001140" + "00000000000000000000000000000001" + "00000000000000000000000000000001" + "0000000000000000", 0x86DD, 66, 18)]
    // Truncated to 20 bytes: still an Ethernet header carrying the protocol.
    [InlineData("0000000000000000000000000800450000", 0x0800, 1400, 14)]
    public void NetworkHeaderIsFound(string hex, int protocol, int originalLength, int expected)
    {
        Assert.Equal(expected, DroppedPacketDecoder.NetworkOffset(Convert.FromHexString(hex), (ushort)protocol, originalLength, hardware: false));
    }

    [Fact]
    public void TruncatedPacketsDecodeWhatIsThere()
    {
        var full = DropAlertParser.ParsePacketAlert(DropMonitorSamples.PacketAlert, ByteOrder.LittleEndian, DropMonitorSamples.FamilyId, Context()).Packet;
        foreach (int length in new[] { 0, 10, 14, 20, 34, 40, 42 })
        {
            var info = DroppedPacketDecoder.Decode(full[..length], 0x0800, 53, hardware: false);
            Assert.False(string.IsNullOrEmpty(info.Summary), $"summary at {length} bytes");
            if (length >= 34) Assert.Equal(IPAddress.Loopback, info.SourceAddress);
            if (length >= 42) Assert.Equal(9, info.DestinationPort);
        }
    }

    [Fact]
    public void APacketPacketDotNetHasNoParserForIsReadByHand()
    {
        // IPv4 carrying OSPFv3 (protocol 89, version byte 3): PacketDotNet throws NotImplementedException. The fuzz
        // of drop alerts found it escaping the parser.
        var packet = Convert.FromHexString("000000000000000000000000" + "0800"
            + "45000030000000004059" + "0000" + "0a000001" + "0a000002"
            + "03010010" + "01010101" + "00000000" + "0000" + "0000" + "00000000");
        var info = DroppedPacketDecoder.Decode(packet, 0x0800, packet.Length, hardware: false);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), info.SourceAddress);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), info.DestinationAddress);
        Assert.Null(info.Parsed);
        Assert.False(string.IsNullOrEmpty(info.Summary));
    }

    [Fact]
    public void EtherTypesByNameOrNumber()
    {
        Assert.True(EtherTypeNames.TryParse("ipv6", out var v6));
        Assert.Equal(0x86DD, v6);
        Assert.True(EtherTypeNames.TryParse("0x88cc", out var lldp));
        Assert.Equal("LLDP", EtherTypeNames.NameOf(lldp));
        Assert.True(EtherTypeNames.TryParse("2048", out var v4));
        Assert.Equal(0x0800, v4);
        Assert.False(EtherTypeNames.TryParse("nonsense", out _));
        Assert.Equal("0x88b6", EtherTypeNames.NameOf(0x88b6));
    }

    [Fact]
    public void FiltersMatchTheUserSpaceFields()
    {
        var d = DropAlertParser.ParsePacketAlert(DropMonitorSamples.PacketAlert, ByteOrder.LittleEndian, DropMonitorSamples.FamilyId, Context());
        Assert.True(new PacketDropFilter().Matches(d));
        Assert.True(new PacketDropFilter(interfaceName: new[] { "l*" }, symbol: new[] { "__udp4_lib_rcv" }, reason: new[] { "no_sock*" }, protocol: new[] { "IPv4" }).Matches(d));
        Assert.True(new PacketDropFilter(symbol: new[] { "__udp4_lib_rcv+0x9a2*" }).Matches(d));
        Assert.True(new PacketDropFilter(protocol: new[] { "udp" }).Matches(d));
        Assert.True(new PacketDropFilter(protocol: new[] { "0x0800" }).Matches(d));
        Assert.False(new PacketDropFilter(interfaceName: new[] { "eth*" }).Matches(d));
        Assert.False(new PacketDropFilter(interfaceName: new[] { "LO" }).Matches(d));
        Assert.False(new PacketDropFilter(symbol: new[] { "tcp_*" }).Matches(d));
        Assert.False(new PacketDropFilter(reason: new[] { "NETFILTER_DROP" }).Matches(d));
        Assert.False(new PacketDropFilter(protocol: new[] { "IPv6", "TCP" }).Matches(d));
        var e = Assert.Throws<DropMonitorException>(() => new PacketDropFilter(protocol: new[] { "carrier-pigeon" }));
        Assert.Contains("carrier-pigeon", e.Message, StringComparison.Ordinal);
        var s = Assert.Single(DropAlertParser.ParseSummaryAlert(DropMonitorSamples.SummaryAlert, ByteOrder.LittleEndian, DropMonitorSamples.FamilyId, Context()));
        Assert.True(new PacketDropFilter(symbol: new[] { "__udp*" }).Matches(s));
        Assert.False(new PacketDropFilter(symbol: new[] { "kfree_skb*" }).Matches(s));
    }

    [Fact]
    public void KallsymsResolvesAndSaysWhenHidden()
    {
        var table = KernelSymbols.Parse(Encoding.ASCII.GetBytes(DropMonitorSamples.Kallsyms));
        Assert.Null(table.Unavailable);
        Assert.Equal("__udp4_lib_rcv+0x9a2/0xc30", table.Resolve(DropMonitorSamples.Pc)!.Location);
        Assert.Equal("net_dm_packet_report+0x10/0x400 [drop_monitor]", table.Resolve(0xffffffffc05ba010)!.Location);
        Assert.Null(table.Resolve(0x1000));
        Assert.Equal(0xffffffff834bc140UL, table.AddressOf("__udp4_lib_rcv"));

        var hidden = KernelSymbols.Parse(Encoding.ASCII.GetBytes(System.Text.RegularExpressions.Regex.Replace(DropMonitorSamples.Kallsyms, "^[0-9a-f]{16}", "0000000000000000", System.Text.RegularExpressions.RegexOptions.Multiline)));
        Assert.Contains("kptr_restrict", hidden.Unavailable, StringComparison.Ordinal);
        Assert.Null(hidden.Resolve(DropMonitorSamples.Pc));
    }

    [Fact]
    public void RealKallsymsLoads()
    {
        var table = KernelSymbols.Shared();
        if (table.Unavailable is not null) Assert.Contains("kallsyms", table.Unavailable, StringComparison.Ordinal);
        else Assert.True(table.Count > 1000, $"{table.Count} text symbols");
        if (table.AddressOf("kfree_skb_reason") is { } a) Assert.Equal("kfree_skb_reason", table.Resolve(a + 1)!.Name);
    }

    [Fact]
    public void Sll2FrameCarriesProtocolDeviceAndPacket()
    {
        var d = DropAlertParser.ParsePacketAlert(DropMonitorSamples.PacketAlert, ByteOrder.LittleEndian, DropMonitorSamples.FamilyId, Context());
        var frame = PacketDropPcapWriter.Frame(d, out int original);
        Assert.Equal(20 + 39, frame.Length);
        Assert.Equal(20 + 39, original);
        Assert.Equal("0800" + "0000" + "00000001" + "0304" + "00" + "06" + "0000000000000000", Convert.ToHexString(frame[..20]));
        Assert.Equal(0x45, frame[20]);
    }

    [Fact]
    public void InterfaceNamesComeFromTheNamespaceAsked()
    {
        using (var here = InterfaceTable.Open(null))
        {
            var lo = here.Get(1);   // the first lookup loads the table
            Assert.Equal(("lo", (ushort)772), (lo?.Name, lo?.HardwareType ?? 0));
            Assert.Null(here.Get(987654));
            Assert.Equal(1, here.Find("lo")?.Index);
        }
        var name = $"nlmonps-dm-{Environment.ProcessId}";
        PrivateNetns.Sh($"ip netns add {name}");
        try
        {
            PrivateNetns.Sh($"ip -n {name} link add dm0 type veth peer name dm1");
            using var there = InterfaceTable.Open(name);
            Assert.Equal(name, there.NetNamespace);
            Assert.Equal(new[] { "dm0", "dm1", "lo" }, there.All.Select(i => i.Name).Order(StringComparer.Ordinal));
            Assert.Equal("dm0", there.Find("dm0")?.Name);
        }
        finally
        {
            PrivateNetns.Sh($"ip netns del {name}");
        }
        var missing = Assert.Throws<DropMonitorException>(() => InterfaceTable.Open("nlmonps-no-such-ns"));
        Assert.Equal("DropMonitorNotFound", missing.ErrorId);
    }
}
