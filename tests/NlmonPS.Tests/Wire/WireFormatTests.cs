using System.Buffers.Binary;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Wire;

/// <summary>The wire format on bytes a real kernel produced (tests/fixtures/native/kernel-link-addr.pcap).</summary>
public class WireFormatTests
{
    private static List<NetlinkRecord> KernelRecords() => Fixtures.ReadNetlinkPcap(KernelFixtureRecorder.FixturePath).ToList();

    [Fact]
    public void DumpRepliesPackSeveralMessagesPerRecord()
    {
        var records = KernelRecords();
        var split = records.Select(r => NetlinkMessageSplitter.Split(r.Data, Endian.Host)).ToList();
        Assert.Contains(split, s => s.Count > 1);
        Assert.All(split.SelectMany(s => s), m => Assert.False(m.IsMalformed, m.MalformedReason));
        // Every message starts on a 4-byte boundary and the lengths chain through the record exactly.
        foreach (var (record, messages) in records.Zip(split))
        {
            Assert.All(messages, m => Assert.Equal(0, m.Offset % 4));
            var last = messages[^1];
            Assert.Equal(record.Data.Length, last.Offset + (int)last.Header.Length);
        }
    }

    [Fact]
    public void DoneCarriesItsErrorInt()
    {
        var done = Fixtures.Decode(KernelFixtureRecorder.FixturePath).First(m => m.Type == Nl.NLMSG_DONE);
        Assert.Equal("NLMSG_DONE", done.TypeName);
        Assert.Equal(0, done.Header["error"]);
        Assert.Equal(NetlinkDirection.FromKernel, done.Direction);
    }

    [Theory]
    [InlineData(0u, "below the 16-byte header")]
    [InlineData(12u, "below the 16-byte header")]
    [InlineData(4096u, "runs past the end")]
    public void BadLengthsAreKeptAsMalformedWithTheOffset(uint badLength, string expected)
    {
        var good = new MessageBuilder(18, Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP).AddBytes(new byte[16]).ToArray();
        var bad = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bad, badLength);
        var buffer = good.Concat(bad).ToArray();
        var messages = NetlinkMessageSplitter.Split(buffer, ByteOrder.LittleEndian);
        Assert.Equal(2, messages.Count);
        Assert.False(messages[0].IsMalformed);
        Assert.True(messages[1].IsMalformed);
        Assert.Contains(expected, messages[1].MalformedReason);
        Assert.Contains($"offset {good.Length}", messages[1].MalformedReason);
    }

    [Fact]
    public void TrailingZeroPaddingIsNotAFault()
    {
        var m = new MessageBuilder(3, 0).AddBytes(new byte[4]).ToArray();
        var messages = NetlinkMessageSplitter.Split(m.Concat(new byte[8]).ToArray(), ByteOrder.LittleEndian);
        Assert.Single(messages);
        Assert.False(messages[0].IsMalformed);
    }

    [Fact]
    public void AttributeWalkerHandlesNestingFlagsAndOverruns()
    {
        var msg = new MessageBuilder(16, 0).AddBytes(new byte[16]).AddString(3, "d0")
            .BeginNest(18).AddString(1, "veth").EndNest().AddAttribute(7 | Nl.NLA_F_NET_BYTEORDER, new byte[] { 0, 80 }).ToArray();
        var attrs = new List<RawAttribute>();
        Assert.Null(AttributeWalker.Walk(msg.AsMemory(32), 32, ByteOrder.LittleEndian, attrs));
        Assert.Equal(new ushort[] { 3, 18, 7 }, attrs.Select(a => a.Type));
        Assert.True(attrs[1].IsNested);
        Assert.True(attrs[2].IsNetByteOrder);
        Assert.Equal(32, attrs[0].Offset);

        // An attribute that claims more bytes than remain stops the walk and names its offset.
        var broken = msg.ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(broken.AsSpan(32), 200);
        attrs.Clear();
        var reason = AttributeWalker.Walk(broken.AsMemory(32), 32, ByteOrder.LittleEndian, attrs);
        Assert.NotNull(reason);
        Assert.Contains("offset 32", reason);
        Assert.Empty(attrs);
    }

    [Fact]
    public void OverrunningAttributeMarksTheMessageButKeepsItsHeader()
    {
        var msg = new MessageBuilder(16, 0).AddBytes(new byte[16]).AddString(3, "eth0").AddU32(4, 1500).ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(msg.AsSpan(44), 100);   // the mtu attribute now overruns
        var m = new NetlinkDecoder().Decode(new NetlinkRecord(msg, NetlinkProtocol.Route)).Single();
        Assert.True(m.IsMalformed);
        Assert.Contains("offset 44", m.MalformedReason);
        Assert.Equal("eth0", m.Attributes["ifname"]);
        Assert.Equal("RTM_NEWLINK", m.TypeName);
    }

    [Fact]
    public void ByteOrderIsDetectedPerRecord()
    {
        var record = KernelRecords().First(r => NetlinkMessageSplitter.Split(r.Data, Endian.Host).Count > 1);
        Assert.Equal(ByteOrder.LittleEndian, NetlinkMessageSplitter.DetectByteOrder(record.Data.Span, ByteOrder.BigEndian));
        // The same messages as a big-endian host would have sent them: swap every nlmsghdr field.
        var swapped = record.Data.ToArray();
        foreach (var m in NetlinkMessageSplitter.Split(record.Data, ByteOrder.LittleEndian))
            m.Header.Write(swapped.AsSpan(m.Offset), ByteOrder.BigEndian);
        Assert.Equal(ByteOrder.BigEndian, NetlinkMessageSplitter.DetectByteOrder(swapped, ByteOrder.LittleEndian));
        var decoded = new NetlinkDecoder().Decode(new NetlinkRecord(swapped, NetlinkProtocol.Route));
        Assert.All(decoded, m => Assert.Equal(ByteOrder.BigEndian, m.ByteOrder));
        Assert.Equal(NetlinkMessageSplitter.Split(record.Data, ByteOrder.LittleEndian).Count, decoded.Count);
    }

    [Theory]
    [InlineData(18, Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP, new[] { "REQUEST", "DUMP" })]
    [InlineData(18, Nl.NLM_F_REQUEST | Nl.NLM_F_ROOT | Nl.NLM_F_ATOMIC, new[] { "REQUEST", "ROOT", "ATOMIC" })]
    [InlineData(16, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, new[] { "REQUEST", "ACK", "EXCL", "CREATE" })]
    [InlineData(24, Nl.NLM_F_REQUEST | Nl.NLM_F_REPLACE | Nl.NLM_F_APPEND, new[] { "REQUEST", "REPLACE", "APPEND" })]
    [InlineData(17, Nl.NLM_F_REQUEST | Nl.NLM_F_NONREC | Nl.NLM_F_BULK, new[] { "REQUEST", "NONREC", "BULK" })]
    [InlineData(2, Nl.NLM_F_CAPPED | Nl.NLM_F_ACK_TLVS, new[] { "CAPPED", "ACK_TLVS" })]
    [InlineData(16, Nl.NLM_F_MULTI | Nl.NLM_F_DUMP_INTR | Nl.NLM_F_DUMP_FILTERED, new[] { "MULTI", "DUMP_INTR", "DUMP_FILTERED" })]
    public void FlagsReadByTheirContext(ushort type, ushort flags, string[] expected)
    {
        var payload = type == 2 ? new byte[20] : new byte[16];
        var m = new NetlinkDecoder().Decode(new NetlinkRecord(new MessageBuilder(type, flags).AddBytes(payload).ToArray(), NetlinkProtocol.Route)).Single();
        Assert.Equal(expected, m.FlagNames);
    }
}
