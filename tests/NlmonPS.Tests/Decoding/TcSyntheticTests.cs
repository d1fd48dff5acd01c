using System.Buffers.Binary;
using NlmonPS.Decoding;
using NlmonPS.Protocols.Route;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// What this machine's kernel cannot produce (fq_codel, matchall and flower dumps; a few corners), built by hand
/// in the kernel's layout; and tc's number formats.
/// </summary>
public sealed class TcSyntheticTests
{
    private static byte[] TcMsg(int ifindex, uint handle, uint parent, uint info)
    {
        var b = new byte[20];
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), ifindex);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), handle);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), parent);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), info);
        return b;
    }

    private static NetlinkMessage Decode(MessageBuilder builder) =>
        Assert.Single(new NetlinkDecoder().Decode(new NetlinkRecord(builder.ToArray(), NetlinkProtocol.Route)));

    private static byte[] U32s(params uint[] values)
    {
        var b = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(i * 4), values[i]);
        return b;
    }

    /// <summary>A mirred action entry as the kernel dumps it (tcf_action_dump_1).</summary>
    private static MessageBuilder Mirred(MessageBuilder b, ushort order, uint index, int eaction, uint ifindex, int verdict)
    {
        b.BeginNest(order).AddString(1, "mirred").BeginNest(2);
        var parms = new byte[28];
        BinaryPrimitives.WriteUInt32LittleEndian(parms, index);
        BinaryPrimitives.WriteInt32LittleEndian(parms.AsSpan(8), verdict);
        BinaryPrimitives.WriteInt32LittleEndian(parms.AsSpan(12), 1);
        BinaryPrimitives.WriteInt32LittleEndian(parms.AsSpan(16), 1);
        BinaryPrimitives.WriteInt32LittleEndian(parms.AsSpan(20), eaction);
        BinaryPrimitives.WriteUInt32LittleEndian(parms.AsSpan(24), ifindex);
        return b.AddAttribute(2, parms).EndNest().EndNest();
    }

    [Fact]
    public void NetemOptionsAreItsStructThenItsAttributes()
    {
        // tc qdisc add dev 3 root netem limit 1000 reorder 25% corrupt 1% rate 1mbit ecn, as the kernel dumps it:
        // struct tc_netem_qopt (gap 5 for reorder), then TCA_NETEM_REORDER, CORRUPT, RATE, ECN.
        uint Scaled(double percent) => (uint)(percent / 100 * uint.MaxValue);
        var b = new MessageBuilder(36, Nl.NLM_F_MULTI).AddBytes(TcMsg(3, 0x80010000, 0xffffffff, 2)).AddString(1, "netem")
            .AddAttribute(2, U32s(0, 1000, 0, 5, 0, 0)
                .Concat(Attr(3, U32s(Scaled(25), 0))).Concat(Attr(4, U32s(Scaled(1), 0))).Concat(Attr(6, U32s(125000, 0, 0, 0)))
                .Concat(Attr(7, U32s(1))).ToArray());
        var m = Decode(b);
        Assert.False(m.IsMalformed, m.MalformedReason);
        var o = Assert.IsType<NetlinkFields>(m.Attributes["options"]);
        Assert.Equal(1000u, o["limit"]);
        Assert.Equal(125000u, ((NetlinkFields)o["rate"]!)["rate"]);
        Assert.Equal(1u, o["ecn"]);
        Assert.Equal("qdisc netem 8001: dev 3 root refcnt 2 limit 1000 gap 5 reorder 25% corrupt 1% rate 1Mbit ecn", m.Summary);

        // tc ... netem loss gemodel 1% 10%: qopt.loss 0, the model in TCA_NETEM_LOSS (loss_model: loss is qopt's field).
        var ge = Attr(2, U32s(Scaled(1), Scaled(10), 0, 0));
        var lm = Decode(new MessageBuilder(36, Nl.NLM_F_MULTI).AddBytes(TcMsg(3, 0x80010000, 0xffffffff, 2)).AddString(1, "netem")
            .AddAttribute(2, U32s(0, 1000, 0, 0, 0, 0).Concat(Attr(5, ge)).ToArray()));
        var lo = Assert.IsType<NetlinkFields>(lm.Attributes["options"]);
        Assert.Equal(0u, lo["loss"]);
        Assert.IsType<NetlinkFields>(((NetlinkFields)lo["loss_model"]!)["ge"]);
        Assert.Equal("qdisc netem 8001: dev 3 root refcnt 2 limit 1000 loss gemodel 1% 10% 100% 100%", lm.Summary);

        static byte[] Attr(ushort type, byte[] value)
        {
            var a = new byte[4 + value.Length];
            BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)a.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(a.AsSpan(2), type);
            value.CopyTo(a, 4);
            return a;
        }
    }

    [Fact]
    public void FqStatisticsOf67AndLater()
    {
        // struct tc_fq_qd_stats grew from 104 to 152 bytes in 6.7: the fast path and the three bands' counters.
        var stats = new byte[152];
        BinaryPrimitives.WriteUInt64LittleEndian(stats.AsSpan(104), 77);
        BinaryPrimitives.WriteUInt32LittleEndian(stats.AsSpan(140), 5);
        var m = Decode(new MessageBuilder(36, Nl.NLM_F_MULTI).AddBytes(TcMsg(3, 0x80010000, 0xffffffff, 2)).AddString(1, "fq")
            .AddAttribute(4, stats));
        var x = Assert.IsType<NetlinkFields>(m.Attributes["xstats"]);
        Assert.Equal(77UL, x["fastpath_packets"]);
        Assert.Equal(5u, x["band_pkt_count1"]);
        Assert.False(x.ContainsKey("unknown_tail"));
        // A 6.6 kernel's 104 bytes: the same without the new fields, and no fault.
        var old = Decode(new MessageBuilder(36, Nl.NLM_F_MULTI).AddBytes(TcMsg(3, 0x80010000, 0xffffffff, 2)).AddString(1, "fq")
            .AddAttribute(4, stats[..104]));
        Assert.False(old.IsMalformed, old.MalformedReason);
        Assert.False(((NetlinkFields)old.Attributes["xstats"]!).ContainsKey("fastpath_packets"));
    }

    [Fact]
    public void FqCodelDumpWithItsStatistics()
    {
        var b = new MessageBuilder(36, Nl.NLM_F_MULTI).AddBytes(TcMsg(3, 0x80010000, 0xffffffff, 2)).AddString(1, "fq_codel")
            .BeginNest(2).AddU32(2, 10240).AddU32(5, 1024).AddU32(6, 1514).AddU32(1, 4999).AddU32(3, 99999)  /* what the kernel reports for 5ms and 100ms */.AddU32(9, 32 << 20)
            .AddU32(4, 1).AddU32(8, 64).EndNest()
            .AddAttribute(4, U32s(0, 1514, 3, 0, 7, 0, 1, 0, 4096, 0));
        var m = Decode(b);
        Assert.False(m.IsMalformed, m.MalformedReason);
        var x = Assert.IsType<NetlinkFields>(m.Attributes["xstats"]);
        Assert.Equal("qdisc", x["type"]);
        Assert.Equal(1514u, ((NetlinkFields)x["qdisc_stats"]!)["maxpacket"]);
        Assert.Equal(7u, ((NetlinkFields)x["qdisc_stats"]!)["new_flow_count"]);
        Assert.Equal(4096u, ((NetlinkFields)x["qdisc_stats"]!)["memory_usage"]);
        Assert.Equal("qdisc fq_codel 8001: dev 3 root refcnt 2 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms "
            + "memory_limit 32Mb ecn drop_batch 64 maxpacket 1514 drop_overlimit 3 new_flow_count 7 ecn_mark 0 new_flows_len 0 old_flows_len 1", m.Summary);
    }

    [Fact]
    public void MatchallFilterWithTwoActions()
    {
        var b = new MessageBuilder(44, Nl.NLM_F_MULTI).AddBytes(TcMsg(4, 1, 0xfffffff2, (1u << 16) | 0x0300)).AddString(1, "matchall")
            .AddU32(11, 0).BeginNest(2).AddU32(3, 8 /* not_in_hw */).AddAttribute(4, new byte[8]).BeginNest(2);
        Mirred(b, 1, 7, 2, 9, 3);
        Mirred(b, 2, 8, 1, 10, 4);
        b.EndNest().EndNest();
        var m = Decode(b);
        Assert.False(m.IsMalformed, m.MalformedReason);
        TcCoverageTests.AssertKnown(m.Attributes, "matchall");
        Assert.Equal("filter dev 4 ingress protocol all pref 1 matchall chain 0 handle 0x1 not_in_hw (rule hit 0) "
            + "action order 1: mirred (Egress Mirror to device 9) pipe index 7 ref 1 bind 1 "
            + "action order 2: mirred (Egress Redirect to device 10) stolen index 8 ref 1 bind 1", m.Summary);
    }

    [Fact]
    public void FlowerFilterKeysInTheirByteOrders()
    {
        var b = new MessageBuilder(44, Nl.NLM_F_MULTI).AddBytes(TcMsg(3, 1, 0xfffffff2, (49152u << 16) | 0x0008)).AddString(1, "flower")
            .AddU32(11, 0).BeginNest(2)
            .AddAttribute(8, new byte[] { 0x08, 0x00 })                       // eth_type, big-endian
            .AddU8(9, 17)                                                     // udp
            .AddAttribute(12, new byte[] { 10, 0, 0, 0 }).AddAttribute(13, new byte[] { 255, 0, 0, 0 })
            .AddAttribute(21, new byte[] { 0x00, 0x35 })                      // udp dst 53, big-endian
            .AddU16(23, 100)                                                  // vlan id: host order
            .AddAttribute(47, new byte[] { 0, 0, 0, 1 }).AddAttribute(48, new byte[] { 0, 0, 0, 1 })
            .AddU32(22, 8).EndNest();
        var m = Decode(b);
        var o = Assert.IsType<NetlinkFields>(m.Attributes["options"]);
        Assert.Equal("ip", o["key_eth_type"]);
        Assert.Equal("udp", o["key_ip_proto"]);
        Assert.Equal((ushort)53, o["key_udp_dst"]);
        Assert.Equal((ushort)100, o["key_vlan_id"]);
        Assert.Equal(new[] { "is_fragment" }, o["key_flags"]);
        Assert.Equal("filter dev 3 ingress protocol ip pref 49152 flower chain 0 handle 0x1 vlan_id 100 eth_type ipv4 ip_proto udp dst_ip 10.0.0.0/8 dst_port 53 not_in_hw", m.Summary);
    }

    [Fact]
    public void GotoChainVerdictAndBlocks()
    {
        var b = new MessageBuilder(44, Nl.NLM_F_MULTI).AddBytes(TcMsg(-1, 1, 5, (2u << 16) | 0x0300)).AddString(1, "matchall")
            .AddU32(11, 3).BeginNest(2).BeginNest(2);
        Mirred(b, 1, 1, 1, 2, 0x20000009);
        b.EndNest().EndNest();
        var m = Decode(b);
        Assert.Equal(0x20000009, ((NetlinkFields)((NetlinkFields)((NetlinkFields[])((NetlinkFields)m.Attributes["options"]!)["act"]!)[0]["options"]!)["parms"]!)["action"]);
        Assert.Equal("filter block 5 protocol all pref 2 matchall chain 3 handle 0x1 action order 1: mirred (Egress Redirect to device 2) goto chain 9 index 1 ref 1 bind 1", m.Summary);
    }

    [Fact]
    public void ActionFlushNotification()
    {
        var b = new MessageBuilder(49, Nl.NLM_F_ROOT).AddBytes(new byte[4]).AddU32(3, 2).BeginNest(1).BeginNest(1).AddString(1, "gact").EndNest().EndNest();
        var m = Decode(b);
        Assert.StartsWith("flushed total acts 2", m.Summary);
    }

    [Theory]
    [InlineData(0xffffffffu, "root")]
    [InlineData(0u, "none")]
    [InlineData(0x10010u, "1:10")]
    [InlineData(0xffff0000u, "ffff:")]
    [InlineData(0xfffffff1u, "ffff:fff1")]
    [InlineData(5u, ":5")]
    public void ClassIds(uint handle, string text) => Assert.Equal(text, TcFormat.ClassId(handle));

    [Theory]
    [InlineData(0x80000800u, "800::800")]
    [InlineData(0x00207800u, "2:7:800")]
    [InlineData(0x80000000u, "800:")]
    [InlineData(0u, "none")]
    public void U32Handles(uint handle, string text) => Assert.Equal(text, TcFormat.U32Handle(handle));

    [Theory]
    [InlineData(0xfffffff2u, "ingress")]
    [InlineData(0xfffffff3u, "egress")]
    [InlineData(0xffffffffu, "root")]
    [InlineData(0x10001u, "parent 1:1")]
    public void FilterParents(uint parent, string text) => Assert.Equal(text, TcFormat.Parent(parent));

    [Theory]
    [InlineData(125000ul, "1Mbit")]
    [InlineData(64000ul, "512Kbit")]
    [InlineData(125000000ul, "1Gbit")]
    [InlineData(12345ul, "98760bit")]
    [InlineData(1ul, "8bit")]
    public void Rates(ulong bytesPerSecond, string text) => Assert.Equal(text, TcFormat.Rate(bytesPerSecond));

    [Theory]
    [InlineData(32768ul, "32Kb")]
    [InlineData(1600ul, "1600b")]
    [InlineData(33554432ul, "32Mb")]
    [InlineData(100000ul, "100000b")]
    public void Sizes(ulong bytes, string text) => Assert.Equal(text, TcFormat.Size(bytes));

    [Theory]
    [InlineData(400000.0, "400ms")]
    [InlineData(5000.0, "5ms")]
    [InlineData(1500000.0, "1.5s")]
    [InlineData(10.0, "10us")]
    [InlineData(12345.0, "12.3ms")]
    public void Times(double usec, string text) => Assert.Equal(text, TcFormat.Time(usec));

    [Fact]
    public void Verdicts()
    {
        Assert.Equal("pass", TcFormat.Verdict("ok"));
        Assert.Equal("drop", TcFormat.Verdict("shot"));
        Assert.Equal("continue", TcFormat.Verdict("unspec"));
        Assert.Equal("pipe", TcFormat.Verdict("pipe"));
        Assert.Equal("goto chain 5", TcFormat.Verdict(0x20000005));
        Assert.Equal("jump 2", TcFormat.Verdict(0x10000002));
        Assert.Equal("", TcFormat.Verdict(null));
    }
}
