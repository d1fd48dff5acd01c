using System.Net;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Built messages for what this machine's kernel cannot produce (vlan, bond, mpls encap, inet6 protinfo) and for
/// the engine paths route decoding added: numeric and per-family selectors, struct records, request-only sets.
/// </summary>
public class RouteDecodingTests
{
    private static NetlinkMessage Decode(MessageBuilder b, NetlinkDirection direction = NetlinkDirection.FromKernel) =>
        new NetlinkDecoder().Decode(new NetlinkRecord(b.ToArray(), NetlinkProtocol.Route) { Direction = direction }).Single();

    private static byte[] IfInfo(byte family = 0, int index = 0)
    {
        var h = new byte[16];
        h[0] = family;
        BitConverter.TryWriteBytes(h.AsSpan(4), index);
        return h;
    }

    private static byte[] Be16(ushort v) => new[] { (byte)(v >> 8), (byte)v };

    [Theory]
    [InlineData("")]
    [InlineData("0a")]
    [InlineData("02:00:5e:ab:cd:ef")]
    [InlineData("80:00:00:48:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0a:bc:de")] // InfiniBand: 20 bytes
    public void HardwareAddressesReadAsColonSeparatedHex(string text)
    {
        var bytes = text.Length == 0 ? Array.Empty<byte>() : text.Split(':').Select(h => Convert.ToByte(h, 16)).ToArray();
        var m = Decode(new MessageBuilder(16, 0).AddBytes(IfInfo(index: 3)).AddAttribute(1, bytes));
        Assert.Null(m.MalformedReason);
        Assert.Equal(text, m.Attributes["address"]);
    }

    [Fact]
    public void ArraysOfNumbersReadAsTheirValuesInViews()
    {
        // af_spec's inet conf is a u32 array: a view showed "System.UInt32[]".
        Assert.Equal("[1, 0, 4294967295]", NetlinkFields.Format(new uint[] { 1, 0, uint.MaxValue }));
        Assert.Equal("[18446744073709551615]", NetlinkFields.Format(new ulong[] { ulong.MaxValue }));
        Assert.Equal("[]", NetlinkFields.Format(Array.Empty<uint>()));
    }

    [Theory]
    [InlineData(200, 201)]   // small types: the bit map
    [InlineData(600, 601)]   // types past the bit map
    public void ARepeatedNameIsOneKeyWithEveryValue(ushort unknown, ushort other)
    {
        var m = Decode(new MessageBuilder(16, 0).AddBytes(IfInfo(index: 3)).AddString(3, "d0")
            .AddU32(unknown, 1).AddU32(other, 2).AddU32(unknown, 3).AddU32(4, 1500).AddU32(4, 9000));
        Assert.Null(m.MalformedReason);
        var read = new List<(string, object?)>();
        foreach (System.Collections.DictionaryEntry e in (System.Collections.IDictionary)m.Attributes) read.Add(((string)e.Key, e.Value));
        Assert.Equal(new[] { "ifname", $"unknown_{unknown}", $"unknown_{other}", "mtu" }, read.Select(r => r.Item1));
        Assert.Equal(2, ((object?[])read[1].Item2!).Length);
        Assert.Equal(new object[] { 1500u, 9000u }, (object?[])read[3].Item2!);
        Assert.Equal(5, m.Header.Count);
        Assert.Equal(3, m.Header["index"]);
    }

    [Fact]
    public void VlanDataDecodes()
    {
        var b = new MessageBuilder(16, 0).AddBytes(IfInfo(index: 7)).AddString(3, "eth0.100")
            .BeginNest(18).AddString(1, "vlan").BeginNest(2)
                .AddU16(1, 100)
                .AddAttribute(2, new byte[] { 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff })
                .BeginNest(3).AddAttribute(1, new byte[] { 2, 0, 0, 0, 5, 0, 0, 0 }).EndNest()
                .AddAttribute(5, Be16(0x88a8))
            .EndNest().EndNest();
        var m = Decode(b);
        Assert.Null(m.MalformedReason);
        var data = (NetlinkFields)((NetlinkFields)m.Attributes["linkinfo"]!)["data"]!;
        Assert.Equal((ushort)100, data["id"]);
        Assert.Equal("802.1ad", data["protocol"]);
        Assert.Equal(new[] { "reorder_hdr" }, ((NetlinkFields)data["flags"]!)["flags"]);
        var map = (NetlinkFields)((NetlinkFields)data["egress_qos"]!)["mapping"]!;
        Assert.Equal(2u, map["from"]);
        Assert.Equal(5u, map["to"]);
        Assert.Equal("7: eth0.100: <> type vlan", m.Summary);
    }

    [Fact]
    public void BondDataAndSlaveDataDecode()
    {
        var b = new MessageBuilder(16, 0).AddBytes(IfInfo(index: 5)).AddString(3, "bond0")
            .BeginNest(18).AddString(1, "bond").BeginNest(2)
                .AddU8(1, 4).AddU32(3, 100)
                .BeginNest(8).AddAttribute(0, new byte[] { 10, 0, 0, 1 }).AddAttribute(1, new byte[] { 10, 0, 0, 2 }).EndNest()
                .BeginNest(23).AddU16(1, 2).AddU16(2, 1).AddAttribute(5, new byte[] { 2, 0, 0, 0, 0, 9 }).EndNest()
                .AddU8(14, 1)
            .EndNest()
            .AddString(4, "bridge").BeginNest(5).AddU8(1, 3).AddU16(2, 32).EndNest()
            .EndNest();
        var m = Decode(b);
        Assert.Null(m.MalformedReason);
        var info = (NetlinkFields)m.Attributes["linkinfo"]!;
        var data = (NetlinkFields)info["data"]!;
        Assert.Equal("802.3ad", data["mode"]);
        Assert.Equal("layer3+4", data["xmit_hash_policy"]);
        Assert.Equal(new object[] { IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2") }, (object[])((NetlinkFields)data["arp_ip_target"]!)["target"]!);
        Assert.Equal("02:00:00:00:00:09", ((NetlinkFields)data["ad_info"]!)["partner_mac"]);
        Assert.Equal("forwarding", ((NetlinkFields)info["slave_data"]!)["state"]);
    }

    [Fact]
    public void AnMplsRoutesDestinationIsItsLabel()
    {
        // `ip -f mpls route add 100 via inet 192.0.2.254 dev va` and `... add 101 as 300 via inet 198.51.100.254 dev d1`,
        // recorded through nlmon: RTA_DST and RTA_NEWDST are labels (4 bytes that would also read as an IPv4 address).
        var mpls = Fixtures.Decode(ModuleLoader.Fixture("route-route-neigh-rule.pcap"))
            .Where(m => m.TypeName == "RTM_NEWROUTE" && m.Direction == NetlinkDirection.ToKernel && Equals(m.Header["family"], "mpls")).ToList();
        Assert.Equal(2, mpls.Count);
        Assert.Equal(new uint[] { 100 }, mpls[0].Attributes["dst"]);
        Assert.Equal("add 100 via inet 192.0.2.254 dev va", mpls[0].Summary);
        Assert.Equal(new uint[] { 101 }, mpls[1].Attributes["dst"]);
        Assert.Equal(new uint[] { 300 }, mpls[1].Attributes["newdst"]);
        Assert.Equal("add 101 as to 300 via inet 198.51.100.254 dev d1", mpls[1].Summary);
        Assert.All(mpls, m => Assert.False(m.IsMalformed));
    }

    [Fact]
    public void BytesPastAKnownStructAreShownNotDropped()
    {
        // A newer kernel's rtnl_link_stats64 with a 26th counter: the 25 known, then the rest as unknown_tail.
        var stats = new byte[26 * 8];
        for (int i = 0; i < 26; i++) BitConverter.TryWriteBytes(stats.AsSpan(i * 8), (ulong)(i + 1));
        var b = new MessageBuilder(16, 0).AddBytes(new byte[16]).AddAttribute(23, stats);
        var m = Decode(b);
        Assert.False(m.IsMalformed);
        var s = (NetlinkFields)m.Attributes["stats64"]!;
        Assert.Equal(1UL, s["rx_packets"]);
        Assert.Equal(BitConverter.GetBytes(26UL), s["unknown_tail"]);
        Assert.Equal(26, s.Count);
        // Bytes past a struct whose size is no multiple of four are real too (nla_len counts no padding).
        var odd = (NetlinkFields)Decode(new MessageBuilder(16, 0).AddBytes(new byte[16]).AddAttribute(23, stats[..202])).Attributes["stats64"]!;
        Assert.Equal(stats[200..202], odd["unknown_tail"]);
        // Exactly the known size: no tail.
        var exact = (NetlinkFields)Decode(new MessageBuilder(16, 0).AddBytes(new byte[16]).AddAttribute(23, stats[..200])).Attributes["stats64"]!;
        Assert.Equal(25, exact.Count);
        Assert.False(exact.ContainsKey("unknown_tail"));
    }

    [Fact]
    public void MplsEncapIsChosenByTheNumericEncapType()
    {
        var rtmsg = new byte[12];
        rtmsg[0] = 2; rtmsg[1] = 24;
        var b = new MessageBuilder(24, 0).AddBytes(rtmsg)
            .AddAttribute(1, new byte[] { 10, 1, 2, 0 })
            .AddU16(21, 1)
            .BeginNest(22).AddAttribute(1, new byte[] { 0x00, 0x06, 0x40, 0x00, 0x00, 0x0c, 0x81, 0x00 }).EndNest()
            .AddAttribute(5, new byte[] { 10, 0, 0, 1 });
        var m = Decode(b);
        Assert.Null(m.MalformedReason);
        Assert.Equal(new uint[] { 100, 200 }, ((NetlinkFields)m.Attributes["encap"]!)["dst"]);   // the labels, as iproute2 prints them
        Assert.Equal("10.1.2.0/24 encap mpls 100/200 via 10.0.0.1", m.Summary);
    }

    [Fact]
    public void ProtinfoIsReadByFamily()
    {
        var inet6 = Decode(new MessageBuilder(16, 0).AddBytes(IfInfo(family: 10, index: 3))
            .BeginNest(12).AddU32(1, 0x80000000).AddAttribute(7, IPAddress.Parse("::1").GetAddressBytes()).EndNest());
        var p = (NetlinkFields)inet6.Attributes["protinfo"]!;
        Assert.Equal(new[] { "ready" }, p["flags"]);
        Assert.Equal(IPAddress.IPv6Loopback, p["token"]);

        var bridge = Decode(new MessageBuilder(16, 0).AddBytes(IfInfo(family: 7, index: 3))
            .BeginNest(12).AddU8(1, 3).EndNest()
            .BeginNest(26).AddU16(0, 2).AddAttribute(2, new byte[] { 6, 0, 10, 0 }).EndNest());
        Assert.Equal("forwarding", ((NetlinkFields)bridge.Attributes["protinfo"]!)["state"]);
        var afSpec = (NetlinkFields)bridge.Attributes["af_spec"]!;
        Assert.Equal(new[] { "self" }, afSpec["flags"]);
        var vlan = (NetlinkFields)afSpec["vlan_info"]!;
        Assert.Equal((ushort)10, vlan["vid"]);
        Assert.Equal(new[] { "pvid", "untagged" }, vlan["flags"]);
    }

    [Fact]
    public void VlanDumpRequestsCarryDumpFlagsNotEntries()
    {
        var brvlan = new byte[8];
        brvlan[0] = 7;
        var dump = Decode(new MessageBuilder(114, (ushort)(Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP)).AddBytes(brvlan).AddU32(1, 1), NetlinkDirection.ToKernel);
        Assert.Null(dump.MalformedReason);
        Assert.Equal(new[] { "stats" }, dump.Attributes["flags"]);

        var reply = Decode(new MessageBuilder(112, 0).AddBytes(brvlan).BeginNest(1).AddAttribute(1, new byte[] { 0, 0, 20, 0 }).EndNest());
        Assert.Equal((ushort)20, ((NetlinkFields)((NetlinkFields)reply.Attributes["entry"]!)["info"]!)["vid"]);
    }

    [Fact]
    public void BadMultipathLengthIsReportedNotThrown()
    {
        var rtmsg = new byte[12];
        rtmsg[0] = 2;
        var hop = new byte[] { 40, 0, 0, 0, 3, 0, 0, 0 }; // rtnh_len 40 but only 8 bytes there
        var m = Decode(new MessageBuilder(24, 0).AddBytes(rtmsg).AddAttribute(9, hop));
        Assert.True(m.IsMalformed);
        Assert.Contains("rtnexthop", m.MalformedReason);
        Assert.NotNull(m.Summary);
    }

    [Fact]
    public void NexthopGroupIsAnArrayOfStructs()
    {
        var nhmsg = new byte[8];
        var group = new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0 };
        var m = Decode(new MessageBuilder(104, 0).AddBytes(nhmsg).AddU32(1, 10).AddAttribute(2, group));
        Assert.Null(m.MalformedReason);
        Assert.Equal(2, ((NetlinkFields[])m.Attributes["group"]!).Length);
        Assert.Equal("id 10 group 1/2,3", m.Summary);
    }

    [Fact]
    public void TrailingZeroPaddingIsNotAMessage()
    {
        var request = new MessageBuilder(18, (ushort)(Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP)).AddBytes(new byte[16]).ToArray();
        var padded = request.Concat(new byte[64]).ToArray();
        var messages = new NetlinkDecoder().Decode(new NetlinkRecord(padded, NetlinkProtocol.Route));
        var m = Assert.Single(messages);
        Assert.False(m.IsMalformed);
        Assert.Equal("dump links", m.Summary);
    }
}
