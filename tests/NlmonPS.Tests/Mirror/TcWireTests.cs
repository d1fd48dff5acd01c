using System.Buffers.Binary;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Mirror;

/// <summary>The requests the tc client builds and the replies it reads, byte for byte, without a kernel.</summary>
public class TcWireTests
{
    private static NetlinkMessage Decode(byte[] bytes) =>
        Assert.Single(new NetlinkDecoder().Decode(new NetlinkRecord(bytes, NetlinkProtocol.Route)));

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    [Fact]
    public void U32MirrorRequestCarriesWhatTcSends()
    {
        // What `tc filter add dev va egress protocol all prio 11 u32 match u32 0 0 action mirred egress mirror
        // dev vm continue` sends (strace, iproute2 6.1): tcm_parent ffff:fff3, tcm_info 0x000b0300, the
        // tc_mirred and tc_u32_sel structs below.
        var bytes = TcClient.MirrorFilterRequest(4, TcHook.Egress, 11, "u32", new[] { 5 }, PortMirrorCookie.Create(true)).ToArray();
        var header = NetlinkHeader.Read(bytes, ByteOrder.LittleEndian);
        Assert.Equal(Rtm.RTM_NEWTFILTER, header.Type);
        Assert.Equal(Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, header.Flags);
        var tcmsg = bytes.AsSpan(Nl.HeaderLength, Tc.TcMsgLength);
        Assert.Equal(4, BinaryPrimitives.ReadInt32LittleEndian(tcmsg[4..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(tcmsg[8..]));
        Assert.Equal(4294967283u, BinaryPrimitives.ReadUInt32LittleEndian(tcmsg[12..]));
        Assert.Equal(721664u, BinaryPrimitives.ReadUInt32LittleEndian(tcmsg[16..]));

        var tcParms = Hex("00000000 00000000 ffffffff 00000000 00000000 02000000 05000000");
        var tcSel = Hex("01000100 00000000 00000000 00000000 00000000 00000000 00000000 00000000");
        Assert.True(bytes.AsSpan().IndexOf(tcParms) > 0, "tc_mirred as tc sends it");
        Assert.True(bytes.AsSpan().IndexOf(tcSel) > 0, "tc_u32_sel as tc sends it");
        Assert.True(bytes.AsSpan().IndexOf("mirred\0"u8) > 0);

        // And it reads back: the request is an RTM_NEWTFILTER like a dump entry.
        var filter = TcClient.ParseFilter(Decode(bytes), TcHook.Egress)!;
        Assert.Equal(("u32", (ushort)11, (ushort)3, 4), (filter.Kind, filter.Priority, filter.Protocol, filter.IfIndex));
        var action = Assert.Single(filter.Actions);
        Assert.True(action.IsMirror);
        Assert.Equal((1, "mirred", Tc.TC_ACT_UNSPEC, Tc.TCA_EGRESS_MIRROR, 5), (action.Order, action.Kind, action.ControlAction, action.MirredAction, action.MirredIfIndex));
        Assert.True(PortMirrorCookie.TryParse(action.Cookie, out var owns));
        Assert.True(owns);
    }

    [Fact]
    public void MatchallRequestHasNoSelectorAndPipesAllButTheLastAction()
    {
        var bytes = TcClient.MirrorFilterRequest(2, TcHook.Ingress, 1000, "matchall", new[] { 7, 8, 9 }, PortMirrorCookie.Create(false)).ToArray();
        var tcmsg = bytes.AsSpan(Nl.HeaderLength, Tc.TcMsgLength);
        Assert.Equal(0xFFFFFFF2u, BinaryPrimitives.ReadUInt32LittleEndian(tcmsg[12..]));
        Assert.Equal((1000u << 16) | 0x0300, BinaryPrimitives.ReadUInt32LittleEndian(tcmsg[16..]));
        var filter = TcClient.ParseFilter(Decode(bytes), TcHook.Ingress)!;
        Assert.Equal("matchall", filter.Kind);
        Assert.Equal(new[] { 1, 2, 3 }, filter.Actions.Select(a => a.Order));
        Assert.Equal(new[] { 7, 8, 9 }, filter.Actions.Select(a => a.MirredIfIndex));
        Assert.Equal(new[] { Tc.TC_ACT_PIPE, Tc.TC_ACT_PIPE, Tc.TC_ACT_UNSPEC }, filter.Actions.Select(a => a.ControlAction));
        Assert.All(filter.Actions, a => Assert.True(PortMirrorCookie.TryParse(a.Cookie, out var owns) && !owns));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(TcClient.U32MatchEverything()));
    }

    [Fact]
    public void RequestsRefuseWhatTheKernelWould()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TcClient.MirrorFilterRequest(1, TcHook.Ingress, 1, "u32", Array.Empty<int>(), null));
        Assert.Throws<ArgumentOutOfRangeException>(() => TcClient.MirrorFilterRequest(1, TcHook.Ingress, 1, "u32", Enumerable.Range(1, 33).ToArray(), null));
        Assert.Throws<ArgumentOutOfRangeException>(() => TcClient.MirrorFilterRequest(1, TcHook.Ingress, 1, "u32", new[] { 2 }, new byte[17]));
        Assert.Throws<ArgumentException>(() => TcClient.MirrorFilterRequest(1, TcHook.Ingress, 1, "flower", new[] { 2 }, null));
    }

    [Fact]
    public void ActionStatisticsAndForeignActionListsAreRead()
    {
        // A flower filter (action list at TCA_FLOWER_ACT = 3, found by shape) with gact then mirred, and stats.
        var b = new MessageBuilder(Rtm.RTM_NEWTFILTER, Nl.NLM_F_MULTI)
            .AddBytes(TcClientTcMsg(3, 0x1, TcClient.HookParent(TcHook.Ingress), TcClient.FilterInfo(49152, 0x0800)))
            .AddString(Tc.TCA_KIND, "flower")
            .AddU32(Tc.TCA_CHAIN, 2)
            .BeginNest(Tc.TCA_OPTIONS)
            .AddU32(1, 0x10001) // TCA_FLOWER_CLASSID
            .BeginNest(3)
            .BeginNest(1).AddString(Tc.TCA_ACT_KIND, "gact").EndNest()
            .BeginNest(2).AddString(Tc.TCA_ACT_KIND, "mirred")
            .BeginNest(Tc.TCA_ACT_OPTIONS).AddAttribute(Tc.TCA_MIRRED_PARMS, TcClient.MirredParms(Tc.TC_ACT_PIPE, Tc.TCA_INGRESS_MIRROR, 6)).EndNest()
            .BeginNest(Tc.TCA_ACT_STATS).AddAttribute(Tc.TCA_STATS_BASIC, Basic(123456789012, 4242)).EndNest()
            .EndNest()
            .EndNest()
            .EndNest();
        var f = TcClient.ParseFilter(Decode(b.ToArray()), TcHook.Ingress)!;
        Assert.Equal((2u, (ushort)49152, (ushort)0x0800, 1u), (f.Chain, f.Priority, f.Protocol, f.Handle));
        Assert.Equal(new[] { "gact", "mirred" }, f.Actions.Select(a => a.Kind));
        var mirred = f.Actions[1];
        Assert.True(mirred.IsMirror);
        Assert.Equal((123456789012UL, 4242UL, 6), (mirred.Bytes, mirred.Packets, mirred.MirredIfIndex));
        Assert.Null(mirred.Cookie);
        Assert.False(f.Actions[0].IsMirror);
    }

    [Fact]
    public void ProtoHeadersAndU32HashTablesAreTold()
    {
        var header = new MessageBuilder(Rtm.RTM_NEWTFILTER, Nl.NLM_F_MULTI)
            .AddBytes(TcClientTcMsg(3, 0, TcClient.HookParent(TcHook.Egress), TcClient.FilterInfo(5, 3)))
            .AddString(Tc.TCA_KIND, "u32").AddU32(Tc.TCA_CHAIN, 0);
        var f = TcClient.ParseFilter(Decode(header.ToArray()), TcHook.Egress)!;
        Assert.True(f.IsProtoHeader);
        Assert.Empty(f.Actions);
        var table = new MessageBuilder(Rtm.RTM_NEWTFILTER, Nl.NLM_F_MULTI)
            .AddBytes(TcClientTcMsg(3, 0x80000000, TcClient.HookParent(TcHook.Egress), TcClient.FilterInfo(5, 3)))
            .AddString(Tc.TCA_KIND, "u32").BeginNest(Tc.TCA_OPTIONS).AddU32(Tc.TCA_U32_DIVISOR, 1).EndNest();
        var t = TcClient.ParseFilter(Decode(table.ToArray()), TcHook.Egress)!;
        Assert.True(t.IsU32HashTable);
        Assert.False(t.IsProtoHeader);
    }

    [Fact]
    public void QdiscsAndLinksAreRead()
    {
        var q = new MessageBuilder(Rtm.RTM_NEWQDISC, 0).AddBytes(TcClientTcMsg(9, Tc.ClsactHandle, Tc.TC_H_CLSACT, 0)).AddString(Tc.TCA_KIND, "clsact");
        var qdisc = TcClient.ParseQdisc(Decode(q.ToArray()))!;
        Assert.Equal(new TcQdisc(9, 0xFFFF0000, 0xFFFFFFF1, "clsact"), qdisc);
        Assert.True(qdisc.IsIngressOrClsact);
        Assert.False((qdisc with { Kind = "noqueue", Parent = 0xFFFFFFFF }).IsIngressOrClsact);

        var ifinfo = new byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(ifinfo.AsSpan(4), 12);
        var l = new MessageBuilder(Rtm.RTM_NEWLINK, 0).AddBytes(ifinfo).AddString(Rtm.IFLA_IFNAME, "va-peer")
            .BeginNest(Rtm.IFLA_LINKINFO).AddString(Rtm.IFLA_INFO_KIND, "veth").EndNest();
        Assert.Equal(new RtnetlinkLink(12, "va-peer", "veth"), RtnetlinkLinks.Parse(Decode(l.ToArray())));
    }

    [Fact]
    public void TheCookieMarksNlmonPSAndRemembersTheQdisc()
    {
        Assert.Equal("6e6c6d6f6e70730101", PortMirrorCookie.ToHex(PortMirrorCookie.Create(true)));
        Assert.Equal("6e6c6d6f6e70730100", PortMirrorCookie.ToHex(PortMirrorCookie.Create(false)));
        Assert.True(PortMirrorCookie.TryParse(PortMirrorCookie.Create(true), out var owns) && owns);
        Assert.True(PortMirrorCookie.TryParse("nlmonps"u8.ToArray(), out owns) && !owns);
        Assert.False(PortMirrorCookie.TryParse(null, out _));
        Assert.False(PortMirrorCookie.TryParse(Hex("deadbeef"), out _));
        Assert.False(PortMirrorCookie.TryParse("nlmon"u8.ToArray(), out _));
        Assert.True(PortMirrorCookie.Create(true).Length <= Tc.TC_COOKIE_MAX_SIZE);
    }

    private static byte[] Basic(ulong bytes, uint packets)
    {
        var b = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(b, bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), packets);
        return b;
    }

    private static byte[] TcClientTcMsg(int ifindex, uint handle, uint parent, uint info) => TcClient.TcMsg(ifindex, handle, parent, info);
}
