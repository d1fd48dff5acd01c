using System.Globalization;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;
using static NlmonPS.Tests.Decoding.GenericTestKit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// NET_DM, the drop monitor. This machine's kernel has none, so the real traffic is the rig's dropwatch session
/// (Debian 6.1 through nlmon); the commands and shapes that session does not exercise are built here.
/// </summary>
public class DropMonitorTests
{
    private static string DropmonPath()
    {
        var path = Rig("dropmon.pcap");
        Assert.SkipWhen(!File.Exists(path), "rig fixture dropmon.pcap not present");
        return path;
    }

    [Fact]
    public void PacketAlertsReadAsDropwatchPrintedThem()
    {
        var path = DropmonPath();
        var text = Transcript(path);
        var alerts = Decode(path).Where(m => m.Command == "NET_DM_CMD_PACKET_ALERT").ToList();
        var printed = Regex.Matches(text, @"drop at: (\S+) \((0x[0-9a-f]+)\)\norigin: (\w+)\ninput port ifindex: (\d+)\ntimestamp: [^\n]*\nprotocol: (0x[0-9a-f]+)\nlength: (\d+)\noriginal length: (\d+)\ndrop reason: (\S+)");
        Assert.True(printed.Count >= 3);
        Assert.Equal(printed.Count, alerts.Count);
        for (int i = 0; i < alerts.Count; i++)
        {
            var a = alerts[i].Attributes;
            var p = printed[i].Groups;
            Assert.Equal(NetlinkDirection.FromKernel, alerts[i].Direction);
            Assert.Equal("NET_DM", alerts[i].Family);
            Assert.Equal(p[1].Value, a["symbol"]);
            Assert.Equal(ulong.Parse(p[2].Value[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture), a["pc"]);
            Assert.Equal(p[3].Value == "software" ? "sw" : "hw", a["origin"]);
            Assert.Equal(uint.Parse(p[4].Value, CultureInfo.InvariantCulture), ((NetlinkFields)a["in_port"]!)["netdev_ifindex"]);
            Assert.Equal("IPv4", a["proto"]);   // 0x800
            Assert.Equal(int.Parse(p[6].Value, CultureInfo.InvariantCulture), ((byte[])a["payload"]!).Length);
            Assert.Equal(uint.Parse(p[7].Value, CultureInfo.InvariantCulture), a["orig_len"]);
            Assert.Equal(p[8].Value, a["reason"]);
            Assert.IsType<ulong>(a["timestamp"]);
            Assert.Equal($"drop at {p[1].Value} ({p[2].Value}) reason {p[8].Value} ifindex {p[4].Value} proto IPv4 len {p[6].Value}/{p[7].Value}", alerts[i].Summary);
        }
    }

    [Fact]
    public void SummaryAlertIsTheLegacyDropPointArray()
    {
        var path = DropmonPath();
        var printed = Regex.Match(Transcript(path), @"(\d+) drops at \S+ \((0x[0-9a-f]+)\) \[software\]");
        Assert.True(printed.Success);
        var alert = Decode(path).Single(m => m.Command == "NET_DM_CMD_ALERT");
        Assert.Equal(1u, alert.Attributes["entries"]);
        var point = Assert.IsType<NetlinkFields[]>(alert.Attributes["points"]).Single();
        Assert.Equal(uint.Parse(printed.Groups[1].Value, CultureInfo.InvariantCulture), point["count"]);
        Assert.Equal(ulong.Parse(printed.Groups[2].Value[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture), point["pc"]);
        Assert.Equal($"{printed.Groups[1].Value} drops at {printed.Groups[2].Value}", alert.Summary);
        Assert.False(alert.IsMalformed);
    }

    [Fact]
    public void ConfigStartStopAndStatsFollowTheSession()
    {
        var messages = Decode(DropmonPath()).Where(m => m.Family == "NET_DM").ToList();
        var commands = messages.Select(m => m.Command).Distinct().ToList();
        foreach (var c in new[] { "NET_DM_CMD_CONFIG", "NET_DM_CMD_CONFIG_GET", "NET_DM_CMD_CONFIG_NEW", "NET_DM_CMD_START", "NET_DM_CMD_STOP", "NET_DM_CMD_STATS_GET", "NET_DM_CMD_STATS_NEW", "NET_DM_CMD_PACKET_ALERT", "NET_DM_CMD_ALERT" })
            Assert.Contains(c, commands);
        Assert.Contains(messages, m => m.Command == "NET_DM_CMD_CONFIG" && (string?)m.Attributes["alert_mode"] == "packet");
        Assert.Contains(messages, m => m.Command == "NET_DM_CMD_CONFIG" && m.Attributes["trunc_len"] is uint t && t == 64);
        // "Alert mode: Packet / Truncation length: 64 / Queue length: 100" as `show` printed it.
        var config = messages.First(m => m.Command == "NET_DM_CMD_CONFIG_NEW");
        Assert.Equal(("packet", (object?)64u, (object?)100u), ((string?)config.Attributes["alert_mode"], config.Attributes["trunc_len"], config.Attributes["queue_len"]));
        Assert.Equal("config alertmode packet trunc 64 queue 100", config.Summary);
        var stats = messages.First(m => m.Command == "NET_DM_CMD_STATS_NEW");
        Assert.Equal(0UL, ((NetlinkFields)stats.Attributes["stats"]!)["dropped"]);   // "Tail dropped: 0"
        Assert.Equal(0UL, ((NetlinkFields)stats.Attributes["hw_stats"]!)["dropped"]);
        Assert.StartsWith("start", messages.First(m => m.Command == "NET_DM_CMD_START").Summary);
    }

    private static NetlinkMessage Build(byte cmd, Action<MessageBuilder> body, bool request = false)
    {
        var decoder = new NetlinkDecoder(new DecodeOptions { GenericFamilies = new Dictionary<int, string> { [28] = "NET_DM" } });
        var b = new MessageBuilder(28, request ? Nl.NLM_F_REQUEST : (ushort)0).AddBytes(new byte[] { cmd, 2, 0, 0 });
        body(b);
        return Assert.Single(decoder.Decode(new NetlinkRecord(b.ToArray(), NetlinkProtocol.Generic)));
    }

    [Fact]
    public void HardwarePacketAlertAndHardwareSummaryDecode()
    {
        var alert = Build(5, b =>
        {
            b.AddU16(14, 1);                                    // origin hw
            b.AddString(15, "l2_drops");
            b.AddString(16, "ingress_vlan_filter");
            b.BeginNest(4).AddU32(0, 3).AddString(1, "swp1").EndNest();
            b.AddU16(6, 0x86DD);
            b.AddAttribute(7, new byte[60]);
            b.AddU32(10, 60);
            b.AddAttribute(22, new byte[] { 1, 2, 3, 4 });
            b.AddString(23, "VLAN_FILTER");
        });
        var a = alert.Attributes;
        Assert.Equal(("hw", "IPv6"), ((string?)a["origin"], (string?)a["proto"]));
        Assert.Equal("swp1", ((NetlinkFields)a["in_port"]!)["netdev_name"]);
        Assert.Equal("drop at l2_drops/ingress_vlan_filter reason VLAN_FILTER dev swp1 proto IPv6 len 60/60 [hardware]", alert.Summary);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, a["flow_action_cookie"]);

        var summary = Build(1, b =>
        {
            b.BeginNest(17);
            b.BeginNest(18).AddString(16, "ingress_vlan_filter").AddU32(19, 7).EndNest();
            b.BeginNest(18).AddString(16, "blackhole_route").AddU32(19, 2).EndNest();
            b.EndNest();
        });
        Assert.Empty(CoverageProblems(new[] { summary }));
        Assert.Equal("hw 7 drops at ingress_vlan_filter; 2 drops at blackhole_route", summary.Summary);
    }

    [Fact]
    public void LegacyAlertWithSeveralPointsAndEveryCommandName()
    {
        var body = new byte[4 + 2 * 12];
        BitConverter.TryWriteBytes(body.AsSpan(0), 2u);
        BitConverter.TryWriteBytes(body.AsSpan(4), 0xffffffff81000010UL);
        BitConverter.TryWriteBytes(body.AsSpan(12), 3u);
        BitConverter.TryWriteBytes(body.AsSpan(16), 0xffffffff81000020UL);
        BitConverter.TryWriteBytes(body.AsSpan(24), 1u);
        var alert = Build(1, b => b.AddAttribute(0, body));
        Assert.Equal("3 drops at 0xffffffff81000010; 1 drops at 0xffffffff81000020", alert.Summary);
        Assert.Empty(CoverageProblems(new[] { alert }));

        var names = new[] { "UNSPEC", "ALERT", "CONFIG", "START", "STOP", "PACKET_ALERT", "CONFIG_GET", "CONFIG_NEW", "STATS_GET", "STATS_NEW" };
        for (byte cmd = 0; cmd < names.Length; cmd++)
            Assert.Equal("NET_DM_CMD_" + names[cmd], Build(cmd, _ => { }, request: true).Command);
        var start = Build(3, b => b.AddFlag(20).AddFlag(21), request: true);
        Assert.Equal("start sw hw", start.Summary);
    }

    [Fact]
    public void TruncatedAndCorruptedAlertsNeverThrow()
    {
        var raw = Fixtures.ReadNetlinkPcap(DropmonPath()).ToList();
        foreach (var record in raw)
        {
            var bytes = record.Data.ToArray();
            for (int cut = 16; cut < bytes.Length; cut += 3)
            {
                var copy = bytes[..cut];
                // Keep nlmsg_len honest so the damage lands in the payload, not just the header check.
                BitConverter.TryWriteBytes(copy.AsSpan(0), (uint)cut);
                var decoder = new NetlinkDecoder(new DecodeOptions { GenericFamilies = new Dictionary<int, string> { [35] = "NET_DM" } });
                foreach (var m in decoder.Decode(record with { Data = copy })) _ = m.Summary;
            }
        }
    }
}
