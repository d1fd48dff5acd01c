using System.Net;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;
using static NlmonPS.Tests.Decoding.NetfilterFixtureData;

namespace NlmonPS.Tests.Decoding;

/// <summary>nf_tables against what nft itself printed while the fixture was recorded (tests/fixtures/native/nf-nftables.*).</summary>
public class NftablesTests
{
    private static readonly List<NetlinkMessage> Messages = Decode("nftables");

    private static IEnumerable<NetlinkMessage> Nft => Messages.Where(m => m.Family == "nftables");

    /// <summary>The native fixture (6.18, strace) or the kernel rig's (6.1, nlmon): messages, transcript, and which commands printed what.</summary>
    private sealed record Source(List<NetlinkMessage> Messages, List<(string Command, List<string> Lines)> Transcript, string Monitor, string Listing, int ListedRules)
    {
        public IEnumerable<NetlinkMessage> Nft => Messages.Where(m => m.Family == "nftables");
        public List<string> Lines(string command) => Transcript.Where(t => t.Command == command).SelectMany(t => t.Lines).ToList();
    }

    public static TheoryData<string> Sources => new("native", "rig");

    private static Source Load(string source)
    {
        if (source == "native") return new Source(Messages, Output("nftables"), "nft monitor (background)", "nft -a list ruleset", 12);
        var rig = Rig("nftables");
        Assert.SkipUnless(rig is not null, "tests/fixtures/nftables.pcap (kernel rig) is absent");
        return new Source(rig!.Value.Messages, rig.Value.Transcript, "background: nft monitor", "nft -a list chain inet fx input", 8);
    }

    /// <summary>A summary without its handles, as nft prints without -a.</summary>
    private static string WithoutHandles(string s) => Normalize(Regex.Replace(Regex.Replace(s, @" handle \d+:", ""), @" # handle \d+", ""));

    private static bool IsNotification(NetlinkMessage m) =>
        m.Direction == NetlinkDirection.FromKernel && (m.Flags & Nl.NLM_F_MULTI) == 0 && !m.Summary.StartsWith("table ", StringComparison.Ordinal)
        && !m.Summary.StartsWith("chain ", StringComparison.Ordinal) && !m.Summary.StartsWith("set ", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Sources))]
    public void NotificationsReadAsNftMonitorPrintsThem(string source)
    {
        var s = Load(source);
        var notifications = s.Nft.Where(IsNotification).Select(m => WithoutHandles(m.Summary)).ToHashSet();
        var monitor = s.Lines(s.Monitor).Select(l => Normalize(l.TrimStart('#'))).Where(l => l.Length > 0).ToList();
        Assert.True(monitor.Count > 40, "the monitor printed too little");
        foreach (var line in monitor)
        {
            var range = Regex.Match(line, @"^(add element \S+ \S+ \S+) \{ ([^-/ ]+)[-/](\S+) \}$");
            if (range.Success)
            {
                // nft monitor joins an interval's start and end notifications; each message holds one of them.
                Assert.Contains($"{range.Groups[1].Value} {{ {range.Groups[2].Value} }}", notifications);
                Assert.Contains(notifications, n => n.StartsWith(range.Groups[1].Value + " {", StringComparison.Ordinal) && n.EndsWith("(interval end) }", StringComparison.Ordinal));
                continue;
            }
            Assert.Contains(line, notifications);
        }
    }

    [Fact]
    public void RuleRequestsReadAsTheCommand()
    {
        var commands = Output("nftables").Select(o => o.Command).Where(c => c.StartsWith("nft add rule ", StringComparison.Ordinal)).ToList();
        var requests = Nft.Where(m => m.TypeName == "NFT_MSG_NEWRULE" && m.Direction == NetlinkDirection.ToKernel).Select(m => Normalize(m.Summary)).ToList();
        Assert.Equal(commands.Count, requests.Count);
        foreach (var command in commands)
        {
            // As typed, or as nft prints it back (quoted names, padded marks, the default reject left out).
            var asTyped = command["nft ".Length..];
            Assert.Contains(requests, r => r == asTyped || Words(r) == Words(asTyped));
        }
    }

    /// <summary>The command's words without nft's quoting and number padding, to match nft's canonical print of it.</summary>
    private static string Words(string s) => Regex.Replace(s.Replace("\"", "", StringComparison.Ordinal), @"0x0*", "0x")
        .Replace(" with icmpx type port-unreachable", "", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Sources))]
    public void DumpedRulesMatchTheListedRuleset(string source)
    {
        var s = Load(source);
        var dumped = s.Nft.Where(m => m.TypeName == "NFT_MSG_NEWRULE" && (m.Flags & Nl.NLM_F_MULTI) != 0).Select(m => m.Summary).ToHashSet();
        string? family = null, table = null, chain = null;
        int rules = 0;
        foreach (var raw in s.Lines(s.Listing))
        {
            var line = raw.Trim();
            var t = Regex.Match(line, @"^table (\S+) (\S+) \{");
            var c = Regex.Match(line, @"^chain (\S+) \{( # handle \d+)?$");
            var r = Regex.Match(line, @"^(.+) # handle (\d+)$");
            if (t.Success) (family, table) = (t.Groups[1].Value, t.Groups[2].Value);
            else if (c.Success) chain = c.Groups[1].Value;
            else if (r.Success && chain is not null && !Regex.IsMatch(line, @"^(set|counter|quota|chain|table) "))
            {
                Assert.Contains($"rule {family} {table} {chain} handle {r.Groups[2].Value}: {r.Groups[1].Value}", dumped);
                rules++;
            }
            else if (line == "}" && raw.StartsWith('\t')) chain = null;
        }
        Assert.Equal(s.ListedRules, rules);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void ChainsAndSetsMatchTheListedRuleset(string source)
    {
        var s = Load(source);
        var summaries = s.Nft.Where(m => m.Direction == NetlinkDirection.FromKernel).Select(m => m.Summary).ToList();
        var ruleset = s.Transcript.Where(t => t.Command.StartsWith("nft list", StringComparison.Ordinal) || t.Command.StartsWith("nft -a list", StringComparison.Ordinal))
            .SelectMany(t => t.Lines).Select(l => l.Trim()).ToList();
        foreach (var hook in ruleset.Where(l => l.StartsWith("type ", StringComparison.Ordinal) && l.Contains(" hook ", StringComparison.Ordinal)))
            Assert.Contains(summaries, s => s.Contains($"{{ {hook} }}", StringComparison.Ordinal));
        foreach (var elements in ruleset.Where(l => l.StartsWith("elements = ", StringComparison.Ordinal)))
        {
            // nft pads map values (0x00000001); the dumps read the same.
            var expected = elements["elements = ".Length..].Trim('{', '}', ' ').Split(", ").Order().ToArray();
            Assert.Contains(summaries, s => Regex.Match(s, @"^element \S+ \S+ \S+ \{ (.*) \}$") is { Success: true } e
                && e.Groups[1].Value.Split(", ").Order().SequenceEqual(expected));
        }
    }

    [Fact]
    public void RuleExpressionsDecodeByName()
    {
        // nft add rule inet t c ip saddr 127.0.0.1 tcp dport 22 ct state established,related counter log prefix "ssh " accept
        var rule = Nft.First(m => m.TypeName == "NFT_MSG_NEWRULE" && m.Direction == NetlinkDirection.FromKernel && m.Summary.Contains("ssh", StringComparison.Ordinal));
        Assert.Equal("nftables", rule.Family);
        Assert.Equal("inet", rule.Header["family"]);
        Assert.Equal("t", rule.Attributes["table"]);
        Assert.Equal("c", rule.Attributes["chain"]);
        Assert.IsType<ulong>(rule.Attributes["handle"]);
        var exprs = Assert.IsType<NetlinkFields[]>(rule.Attributes["expressions"]);
        Assert.Equal(new[] { "meta", "cmp", "payload", "cmp", "meta", "cmp", "payload", "cmp", "ct", "bitwise", "cmp", "counter", "log", "immediate" },
            exprs.Select(e => (string)e["name"]!));
        var data = exprs.Select(e => (NetlinkFields)e["data"]!).ToArray();
        Assert.Equal("nfproto", data[0]["key"]);
        Assert.Equal("NFT_REG_1", data[0]["dreg"]);
        Assert.Equal("network", data[2]["base"]);
        Assert.Equal(12u, data[2]["offset"]);
        Assert.Equal(4u, data[2]["len"]);
        Assert.Equal(IPAddress.Loopback.GetAddressBytes(), ((NetlinkFields)data[3]["data"]!)["value"]);
        Assert.Equal("eq", data[3]["op"]);
        Assert.Equal("transport", data[6]["base"]);
        Assert.Equal(new byte[] { 0, 22 }, ((NetlinkFields)data[7]["data"]!)["value"]);
        Assert.Equal("state", data[8]["key"]);
        Assert.Equal("mask_xor", data[9]["op"]);
        Assert.Equal("neq", data[10]["op"]);
        Assert.Equal(0ul, data[11]["packets"]);
        Assert.Equal("ssh ", data[12]["prefix"]);
        var verdict = (NetlinkFields)((NetlinkFields)data[13]["data"]!)["verdict"]!;
        Assert.Equal("accept", verdict["code"]);
        Assert.Equal("NFT_REG_VERDICT", data[13]["dreg"]);
    }

    [Fact]
    public void ChainsTablesSetsElementsObjectsAndGenerations()
    {
        var chain = Nft.First(m => m.TypeName == "NFT_MSG_NEWCHAIN" && m.Direction == NetlinkDirection.FromKernel && (string?)m.Attributes["name"] == "c");
        var hook = (NetlinkFields)chain.Attributes["hook"]!;
        Assert.Equal("input", hook["hooknum"]);
        Assert.Equal(0, hook["priority"]);
        Assert.Equal("accept", chain.Attributes["policy"]);
        Assert.Equal("filter", chain.Attributes["type"]);
        Assert.Equal(new[] { "base" }, chain.Attributes["flags"]);

        var set = Nft.First(m => m.TypeName == "NFT_MSG_NEWSET" && m.Direction == NetlinkDirection.ToKernel && (string?)m.Attributes["name"] == "ports");
        Assert.Equal("inet_service", set.Attributes["key_type"]);
        Assert.Equal(2u, set.Attributes["key_len"]);
        Assert.Equal(new[] { "interval" }, set.Attributes["flags"]);

        // nft numbers the elements of a request 1, 2, 3...; they still decode as one list.
        var add = Nft.First(m => m.TypeName == "NFT_MSG_NEWSETELEM" && m.Direction == NetlinkDirection.ToKernel && (string?)m.Attributes["set"] == "s");
        var elements = Assert.IsType<NetlinkFields[]>(add.Attributes["elements"]);
        Assert.Equal(new[] { "10.0.0.1", "10.0.0.2" }, elements.Select(e => new IPAddress((byte[])((NetlinkFields)e["key"]!)["value"]!).ToString()));
        Assert.Equal("add element inet t s { 10.0.0.1, 10.0.0.2 }", add.Summary);

        var counter = Nft.First(m => m.TypeName == "NFT_MSG_NEWOBJ" && (m.Flags & Nl.NLM_F_MULTI) != 0 && (string?)m.Attributes["name"] == "cnt");
        Assert.Equal("counter", counter.Attributes["type"]);
        Assert.Equal(0ul, ((NetlinkFields)counter.Attributes["data"]!)["packets"]);
        var quota = Nft.First(m => m.TypeName == "NFT_MSG_NEWOBJ" && (string?)m.Attributes["name"] == "q");
        Assert.Equal(25ul << 20, ((NetlinkFields)quota.Attributes["data"]!)["bytes"]);
        Assert.Equal(new[] { "inv" }, ((NetlinkFields)quota.Attributes["data"]!)["flags"]);

        var gen = Nft.First(m => m.TypeName == "NFT_MSG_NEWGEN");
        Assert.Equal("nft", gen.Attributes["proc_name"]);
        Assert.IsType<uint>(gen.Attributes["id"]);

        var begin = Messages.First(m => m.TypeName == "NFNL_MSG_BATCH_BEGIN");
        Assert.Equal((ushort)10, begin.Header["res_id"]);
        Assert.StartsWith("batch begin nftables", begin.Summary);
        Assert.Equal("delete table inet t # handle 1", Nft.Last(m => m.TypeName == "NFT_MSG_DELTABLE").Summary);
    }

    [Fact]
    public void ErrorsPointAtTheAttribute()
    {
        // nft add rule inet t c jump nosuchchain: ENOENT, the extended ACK's offset lands in the expressions.
        var error = Messages.Single(m => m.Error is { IsAck: false } e && e.Request?.TypeName == "NFT_MSG_NEWRULE").Error!;
        Assert.Equal(2, error.Errno);
        Assert.StartsWith(".expressions", error.AttributePath);
        Assert.Contains("jump nosuchchain", error.Request!.Summary);
    }

    [Fact]
    public void RepliesToGetAreNotNotifications()
    {
        var get = Nft.First(m => m.TypeName == "NFT_MSG_GETTABLE" && (m.Flags & Nl.NLM_F_DUMP) != Nl.NLM_F_DUMP);
        Assert.Equal("get table inet t", get.Summary);
        var reply = Nft.First(m => m.TypeName == "NFT_MSG_NEWTABLE" && m.Sequence == get.Sequence && m.Direction == NetlinkDirection.FromKernel
            && m.RecordNumber > get.RecordNumber);
        Assert.Equal("table inet t # handle 1", reply.Summary);
    }
}
