using System.Net;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;
using static NlmonPS.Tests.Decoding.NetfilterFixtureData;

namespace NlmonPS.Tests.Decoding;

/// <summary>ctnetlink against what conntrack printed while the fixture was recorded (tests/fixtures/native/nf-conntrack.*).</summary>
public class ConntrackTests
{
    private static readonly List<NetlinkMessage> Messages = Decode("conntrack");

    private static IEnumerable<NetlinkMessage> Entries => Messages.Where(m => m.Family == "ctnetlink" && m.Direction == NetlinkDirection.FromKernel);

    /// <summary>
    /// conntrack's line without what depends on the clock or the options: delta-time, the -o extended/id columns,
    /// -o timestamp's "[seconds]" in front of events, and progname= (which conntrack looks up in /proc, not netlink).
    /// </summary>
    private static string Comparable(string line) =>
        Normalize(Regex.Replace(Regex.Replace(Regex.Replace(Regex.Replace(Regex.Replace(line, @"delta-time=\d+", ""), @"^\[\d+\.\d+\]", ""),
            @"^\s*ipv[46]\s+\d+\s+", ""), @" id=\d+\s*$", ""), @" progname=\S+", ""));

    private static bool Prints(string command) =>
        Regex.IsMatch(command, @"^(background: (exec )?)?conntrack -[LGUDE]") && !command.Contains("expect", StringComparison.Ordinal);

    /// <summary>The commands that print entries, in the native fixture and (when present) the kernel rig's.</summary>
    public static TheoryData<string, string> Commands()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in Output("conntrack").Select(o => o.Command).Where(Prints)) data.Add("native", c);
        if (Rig("conntrack") is { } rig)
            foreach (var c in rig.Transcript.Select(o => o.Command).Where(Prints).Distinct()) data.Add("rig", c);
        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EntriesReadAsConntrackPrintsThem(string source, string command)
    {
        var (messages, transcript) = source == "native" ? (Messages, Output("conntrack")) : Rig("conntrack")!.Value;
        var summaries = messages.Where(m => m.Family == "ctnetlink" && m.Direction == NetlinkDirection.FromKernel).Select(m => Comparable(m.Summary)).ToHashSet();
        var lines = transcript.Where(t => t.Command == command).SelectMany(t => t.Lines)
            .Where(l => !l.StartsWith("conntrack v", StringComparison.Ordinal) && !l.StartsWith("Operation failed", StringComparison.Ordinal)
                && l.Length > 0 && !l.StartsWith('(') && !l.StartsWith('[') || Regex.IsMatch(l, @"^\[\d")).ToList();
        foreach (var line in lines) Assert.Contains(Comparable(line), summaries);
    }

    [Fact]
    public void StatisticsReadAsConntrackS()
    {
        var summaries = Entries.Where(m => m.TypeName == "IPCTNL_MSG_CT_GET_STATS_CPU").Select(m => m.Summary).ToList();
        var lines = OutputOf("conntrack", "conntrack -S").Select(Normalize).ToList();
        Assert.Equal(lines.Count, summaries.Count);
        Assert.Equal(lines, summaries);
        var count = int.Parse(OutputOf("conntrack", "conntrack -C").Single());
        var stats = Entries.Single(m => m.TypeName == "IPCTNL_MSG_CT_GET_STATS");
        Assert.Equal((uint)count, stats.Attributes["entries"]);
        Assert.IsType<uint>(stats.Attributes["max_entries"]);
    }

    [Fact]
    public void TcpEntryDecodesTyped()
    {
        // tcp 6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=S dport=40000 packets=P bytes=B src=... [ASSURED] mark=0 use=1
        var line = OutputOf("conntrack", "conntrack -L -p tcp").Single(l => l.StartsWith("tcp", StringComparison.Ordinal));
        var m = Regex.Match(line, @"tcp\s+6 (\d+) (\w+) src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+) packets=(\d+) bytes=(\d+)");
        Assert.True(m.Success, line);
        var sport = ushort.Parse(m.Groups[5].Value);
        var entry = Entries.First(e => (e.Flags & Nl.NLM_F_MULTI) != 0
            && (((e.Attributes["tuple_orig"] as NetlinkFields)?["proto"] as NetlinkFields)?["src_port"] as ushort?) == sport);
        var orig = (NetlinkFields)entry.Attributes["tuple_orig"]!;
        var reply = (NetlinkFields)entry.Attributes["tuple_reply"]!;
        Assert.Equal(IPAddress.Parse(m.Groups[3].Value), ((NetlinkFields)orig["ip"]!)["v4_src"]);
        Assert.Equal("tcp", ((NetlinkFields)orig["proto"]!)["num"]);
        Assert.Equal(ushort.Parse(m.Groups[6].Value), ((NetlinkFields)orig["proto"]!)["dst_port"]);
        Assert.Equal(sport, ((NetlinkFields)reply["proto"]!)["dst_port"]);
        Assert.Equal(uint.Parse(m.Groups[1].Value), entry.Attributes["timeout"]);
        Assert.Equal(m.Groups[2].Value, ((NetlinkFields)((NetlinkFields)entry.Attributes["protoinfo"]!)["tcp"]!)["state"]);
        Assert.Contains("ASSURED", (string[])entry.Attributes["status"]!);
        Assert.Equal(ulong.Parse(m.Groups[7].Value), ((NetlinkFields)entry.Attributes["counters_orig"]!)["packets"]);
        Assert.Equal(ulong.Parse(m.Groups[8].Value), ((NetlinkFields)entry.Attributes["counters_orig"]!)["bytes"]);
        Assert.Equal(0u, entry.Attributes["mark"]);
        Assert.Equal(1u, entry.Attributes["use"]);
        Assert.Equal("ipv4", entry.Header["family"]);
        Assert.IsType<NetlinkFields>(entry.Attributes["timestamp"]);
    }

    [Fact]
    public void EventsAndRequests()
    {
        var created = Entries.First(m => m.Summary.StartsWith("[NEW] tcp", StringComparison.Ordinal));
        Assert.Contains("CREATE", created.FlagNames);
        Assert.Equal("SYN_SENT", ((NetlinkFields)((NetlinkFields)created.Attributes["protoinfo"]!)["tcp"]!)["state"]);
        Assert.Contains(Entries, m => m.TypeName == "IPCTNL_MSG_CT_DELETE" && m.Summary.StartsWith("[DESTROY] udp", StringComparison.Ordinal));

        var insert = Messages.Single(m => m.TypeName == "IPCTNL_MSG_CT_NEW" && m.Direction == NetlinkDirection.ToKernel && m.FlagNames.Contains("CREATE"));
        Assert.Equal(7u, insert.Attributes["mark"]);
        Assert.Equal(100u, insert.Attributes["timeout"]);
        Assert.StartsWith("create udp 17 100 src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=2000", insert.Summary);
        var update = Messages.Single(m => m.TypeName == "IPCTNL_MSG_CT_NEW" && m.Direction == NetlinkDirection.ToKernel && !m.FlagNames.Contains("CREATE"));
        Assert.Equal(9u, update.Attributes["mark"]);
        Assert.Equal("list", Messages.First(m => m.TypeName == "IPCTNL_MSG_CT_GET").Summary);
        Assert.Equal("list expectations", Messages.Single(m => m.TypeName == "IPCTNL_MSG_EXP_GET").Summary);
        Assert.Equal("statistics per cpu", Messages.Single(m => m.TypeName == "IPCTNL_MSG_CT_GET_STATS_CPU" && m.Direction == NetlinkDirection.ToKernel).Summary);
    }
}
