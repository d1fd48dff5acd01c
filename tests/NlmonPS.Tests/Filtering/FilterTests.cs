using System.Management.Automation;
using CsCheck;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Filtering;

/// <summary>
/// -Filter against Where-Object with the same block, over the real captures in tests/fixtures: a property test over
/// generated filters (paths through the message, Header, nested Attributes and Error; PowerShell's operators with
/// constants the captures hold), and the cases the compiler leaves to the script block.
/// </summary>
public sealed class FilterTests : IDisposable
{
    private readonly PowerShellHost _host = new();

    private static readonly string Captures = Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures", "*.pcap");

    public void Dispose() => _host.Dispose();

    /// <summary>Runs one filter both ways: the messages each lets through (source, record, index), and how -Filter ran.</summary>
    private (string[] Pushed, string[] Where, string Verbose) Both(string filter, string[]? captures = null)
    {
        var r = _host.Run("""
            $f = [scriptblock]::Create($filter)
            $all = @(Get-NetlinkMessage -Path $captures 2>$null)
            $out = @(Get-NetlinkMessage -Path $captures -Filter $f 2>$null)
            $key = { '{0}#{1}.{2}' -f $_.Source, $_.RecordNumber, $_.Index }
            [pscustomobject]@{
                Pushed = @($out | ForEach-Object $key)
                Where = @($all | Where-Object $f | ForEach-Object $key)
            }
            """, new Dictionary<string, object?> { ["filter"] = filter, ["captures"] = captures ?? new[] { Captures } });
        Assert.Null(r.Terminating);
        var o = Assert.Single(r.Output);
        string[] Keys(string name) => ((System.Collections.IEnumerable)PSObject.AsPSObject(o.Properties[name].Value).BaseObject)
            .Cast<object>().Select(k => k.ToString()!).ToArray();
        return (Keys("Pushed"), Keys("Where"), Describe(filter));
    }

    /// <summary>How the cmdlet's -Verbose describes the filter before it runs: compiled, or not and why.</summary>
    private static string Describe(string filter)
    {
        var p = new NlmonPS.Filtering.MessagePredicate(ScriptBlock.Create(filter), _ => null, _ => { });
        return p.IsCompiled ? "-Filter compiled" : $"-Filter not compiled ({p.NotCompiledReason})";
    }

    // What the generated filters are made of: paths of every kind, and constants the captures hold (and some they do not).
    private static readonly string[] Paths =
    {
        "$_.TypeName", "$_.Protocol", "$_.Sequence", "$_.PortId", "$_.Direction", "$_.DirectionInferred", "$_.FlagNames",
        "$_.Flags", "$_.Family", "$_.Command", "$_.IsMalformed", "$_.Length", "$_.Type", "$_.Seq", "$PSItem.TypeName",
        "$_.Header.family", "$_.Header.index", "$_.Header.prefixlen", "$_.Header.ifindex", "$_.Header.nosuch",
        "$_.Attributes.ifname", "$_.Attributes.mtu", "$_.Attributes.linkinfo.kind", "$_.Attributes.linkinfo.data",
        "$_.Attributes.address", "$_.Attributes.table", "$_.Attributes.label", "$_.Attributes.operstate", "$_.Attributes.nosuch",
        "$_.Attributes.name", "$_.Attributes.Count", "$_.Attributes.stats64.rx_packets", "$_.Attributes.MalformedReason",
        "$_.Error", "$_.Error.Errno", "$_.Error.IsAck", "$_.Error.ErrorName", "$_.Error.Request.TypeName",
        "$_.Error.Request.Attributes.ifname", "$_.Error.ExtendedMessage",
    };

    private static readonly string[] Constants =
    {
        "'lo'", "'d0'", "'LO'", "'veth*'", "'d*'", "'*'", "''", "'RTM_NEWLINK'", "'rtm_newaddr'", "'NLMSG_ERROR'", "'route'",
        "'Netfilter'", "'FromKernel'", "'inet'", "'inet6'", "'ack'", "'NLM_F_*'", "'dummy'", "'veth'", "'up'", "'main'",
        "0", "1", "2", "16", "20", "1500", "65536", "'1500'", "'0x10'", "-1", "2.5", "$null", "$true", "$false",
        "'lo','d0'", "@('RTM_NEWLINK','RTM_DELLINK')", "1,2,3", "'EEXIST'", "'ENOENT'",
        "'wireguard WG_CMD_GET_DEVICE'", "'NFT_MSG_NEWRULE'", "'SOCK_DIAG_BY_FAMILY'", "'NLMSG_DONE'", "'*CMD*'",
    };

    private static readonly string[] Comparisons =
    {
        "-eq", "-ne", "-gt", "-ge", "-lt", "-le", "-ceq", "-ine", "-cgt", "-like", "-notlike", "-clike", "-ilike",
        "-contains", "-notcontains", "-ccontains", "-in", "-notin", "-cin",
    };

    private static readonly string[] Regexes = { "'^d'", "'^RTM_(NEW|DEL)'", "'lo$'", "'[0-9]'", "'.'", "'^$'", "'(?i)INET'" };

    private static string Condition(Random r, int depth)
    {
        switch (depth > 0 ? r.Next(7) : r.Next(3))
        {
            case 0: return $"{Pick(r, Paths)} {Pick(r, Comparisons)} {Pick(r, Constants)}";
            case 1: return $"{Pick(r, Paths)} {(r.Next(2) == 0 ? "-match" : "-notmatch")} {Pick(r, Regexes)}";
            case 2: return r.Next(3) == 0 ? $"{Pick(r, Constants)} -in {Pick(r, Paths)}" : Pick(r, Paths);
            case 3: return $"{Condition(r, depth - 1)} -and {Condition(r, depth - 1)}";
            case 4: return $"{Condition(r, depth - 1)} -or {Condition(r, depth - 1)}";
            case 5: return $"-not ({Condition(r, depth - 1)})";
            default: return $"({Condition(r, depth - 1)}) -xor !{Pick(r, Paths)}";
        }
    }

    private static string Pick(Random r, string[] from) => from[r.Next(from.Length)];

    [Fact]
    public void GeneratedFiltersPassWhatWhereObjectPasses()
    {
        int compiled = 0;
        Gen.Int[0, int.MaxValue].Select(seed => Condition(new Random(seed), 2)).Sample(filter =>
        {
            var (pushed, where, verbose) = Both(filter);
            Assert.True(where.SequenceEqual(pushed),
                $"{{ {filter} }}: Where-Object passed {where.Length}, -Filter {pushed.Length} ({verbose}); first difference: " +
                (where.Except(pushed).Concat(pushed.Except(where)).FirstOrDefault() ?? "order"));
            if (verbose.StartsWith("-Filter compiled", StringComparison.Ordinal)) compiled++;
        }, iter: 40, threads: 1);
        Assert.True(compiled >= 30, $"only {compiled} of 40 generated filters compiled: the property would test the script block");
    }

    [Theory]
    [InlineData("$_.Attributes.ifname -like 'd*' -and -not $_.Error")]
    [InlineData("$_.Attributes.ifname -eq 'd0'")]
    [InlineData("$_.TypeName -eq 'RTM_NEWADDR'")]
    [InlineData("$_.Attributes.linkinfo.kind -in 'veth','dummy'")]
    [InlineData("$_.FlagNames -contains 'ACK' -or $_.Error.Errno -ne 0")]
    [InlineData("$_.Header.family -eq 'inet6' -and $_.Attributes.address -match ':'")]
    [InlineData("$_.TypeName -eq 'wireguard WG_CMD_GET_DEVICE'")]
    [InlineData("$_.TypeName -in 'NFT_MSG_NEWRULE','NLMSG_DONE'")]
    [InlineData("$_.TypeName -like 'NET_DM*'")]
    [InlineData("$_.TypeName -match 'ETHTOOL_MSG_STRSET' -and $_.Direction -eq 'FromKernel'")]
    [InlineData("$_.TypeName -eq 'SOCK_DIAG_BY_FAMILY'")]
    [InlineData("$_.Attributes.PSObject -and $_.Sequence -gt 0")]
    public void CompiledFiltersMatchWhereObject(string filter)
    {
        var (pushed, where, verbose) = Both(filter);
        Assert.StartsWith("-Filter compiled", verbose);
        Assert.Equal(where, pushed);
        Assert.NotEmpty(where);
    }

    [Theory]
    [InlineData("$_.Attributes.ifname.ToUpper() -eq 'LO'", "is not a property path")]
    [InlineData("$_.Count -eq 1", "'Count' is not a property of a netlink message")]
    [InlineData("$x = 1; $_.Sequence -gt $x", "not one expression")]
    [InlineData("$_.TypeName -replace 'RTM_' -eq 'NEWLINK'", "-ireplace is not compiled")]
    public void WhatItCannotCompileRunsAsTheScriptBlockAndSaysSo(string filter, string reason)
    {
        var (pushed, where, verbose) = Both(filter);
        Assert.StartsWith("-Filter not compiled", verbose);
        Assert.Contains(reason, verbose);
        Assert.Equal(where, pushed);
    }

    [Fact]
    public void AProtocolWhoseTablesNameNoRequiredAttributeIsNotDecoded()
    {
        // No netfilter table names "ifname": its data messages cannot pass, so they are skipped before decoding;
        // "name" is named by nf_tables and ipset tables, so netfilter is decoded. Control messages always are.
        var ifname = NlmonPS.Filtering.FilterRequirements.Of(ScriptBlock.Create("$_.Attributes.ifname -eq 'd0'"));
        var name = NlmonPS.Filtering.FilterRequirements.Of(ScriptBlock.Create("$_.Attributes.name -like 'x*'"));
        const ushort CtNew = 1 << 8, NftNewTable = 10 << 8;
        Assert.False(ifname.MayMatch(NetlinkProtocol.Netfilter, CtNew));
        Assert.False(ifname.MayMatch(NetlinkProtocol.Netfilter, NftNewTable));
        Assert.True(ifname.MayMatch(NetlinkProtocol.Netfilter, 2));   // NLMSG_ERROR
        Assert.True(ifname.MayMatch(NetlinkProtocol.Generic, 0x10));  // nlctrl: generic families are learned from the stream
        Assert.True(name.MayMatch(NetlinkProtocol.Netfilter, NftNewTable));
        Assert.True(name.MayMatch(NetlinkProtocol.Netfilter, CtNew));
        Assert.False(ifname.MayMatch(NetlinkProtocol.SockDiag, 20));  // SOCK_DIAG_BY_FAMILY: no socket family's table names it
        Assert.True(name.MayMatch(NetlinkProtocol.SockDiag, 20));     // unix_diag's UNIX_DIAG_NAME
    }

    [Fact]
    public void AProtocolOrFamilyNoTypeNameOfWhichCanPassIsNotDecoded()
    {
        static NlmonPS.Filtering.FilterRequirements Of(string filter) => NlmonPS.Filtering.FilterRequirements.Of(ScriptBlock.Create(filter));
        const ushort CtNew = 1 << 8, NftNewRule = 10 << 8 | 6, SockDiagByFamily = 20, Nlctrl = 0x10;
        // No netfilter, sock_diag or generic netlink message is named RTM_NEWADDR.
        var addr = Of("$_.TypeName -eq 'RTM_NEWADDR'");
        Assert.False(addr.MayMatch(NetlinkProtocol.Netfilter, CtNew));
        Assert.False(addr.MayMatch(NetlinkProtocol.SockDiag, SockDiagByFamily));
        Assert.False(addr.MayMatchFamily("wireguard"));
        Assert.False(addr.MayMatchFamily("genl(40)"));                  // a family the stream has not named
        Assert.True(addr.MayMatch(NetlinkProtocol.Netfilter, 3));       // NLMSG_DONE: control messages always are
        Assert.True(addr.MayMatch(NetlinkProtocol.Generic, Nlctrl));    // nlctrl teaches the family ids
        // A family's names are "family command".
        var wg = Of("$_.TypeName -eq 'wireguard WG_CMD_GET_DEVICE'");
        Assert.True(wg.MayMatchFamily("wireguard"));
        Assert.False(wg.MayMatchFamily("NET_DM"));
        Assert.False(wg.MayMatch(NetlinkProtocol.Netfilter, NftNewRule));
        // A family without tables is named by itself.
        Assert.True(Of("$_.TypeName -eq 'myfamily'").MayMatchFamily("myfamily"));
        // A name made up for an unnamed type ("unknown(N)", "genl(N)") may pass a pattern or a constant with a parenthesis.
        Assert.True(Of("$_.TypeName -like '*unknown*'").MayMatch(NetlinkProtocol.Netfilter, CtNew));
        Assert.True(Of("$_.TypeName -eq 'NFNL_SUBSYS_CTNETLINK unknown(9)'").MayMatch(NetlinkProtocol.Netfilter, CtNew));
        Assert.True(Of("$_.TypeName -like 'wireguard *'").MayMatchFamily("wireguard"));
        // An acknowledgement that may pass is named by its request: nothing is skipped.
        var acks = Of("$_.TypeName -in 'NLMSG_ERROR','RTM_NEWADDR'");
        Assert.True(acks.MayMatch(NetlinkProtocol.Netfilter, CtNew));
        Assert.True(acks.MayMatchFamily("wireguard"));
        // Attributes no table of a family names: none of its messages can pass.
        var nosuch = Of("$_.Attributes.nosuchattribute -eq 1");
        Assert.False(nosuch.MayMatchFamily("wireguard"));
        Assert.False(nosuch.MayMatchFamily("genl(40)"));
        Assert.True(Of("$_.Attributes.ifindex -eq 1").MayMatchFamily("wireguard"));
        // A member every set answers (a method, PowerShell's own) requires no attribute.
        foreach (var member in new[] { "ToString", "PSObject", "psbase", "Where", "Keys", "Names" })
            Assert.True(Of($"$_.Attributes.{member}").MayMatch(NetlinkProtocol.Route, 20), member);
    }

    [Fact]
    public void SkippedLinkMessagesStillNameTheInterfacesOfTheMessagesAfterThem()
    {
        // Routes, addresses and neighbours name their devices from the link messages before them; -MessageType and
        // -Filter leave those undecoded, and the decoder learns the names from their bytes (it once did not:
        // "dev 14" for "dev va").
        var r = _host.Run("""
            $types = 'RTM_NEWADDR', 'RTM_NEWROUTE', 'RTM_NEWNEIGH'
            $all = @(Get-NetlinkMessage -Path $captures 2>$null | Where-Object TypeName -in $types | ForEach-Object Summary)
            $byType = @(Get-NetlinkMessage -Path $captures -MessageType $types 2>$null | ForEach-Object Summary)
            $filtered = @(Get-NetlinkMessage -Path $captures -Filter { $_.TypeName -in 'RTM_NEWADDR', 'RTM_NEWROUTE', 'RTM_NEWNEIGH' } 2>$null | ForEach-Object Summary)
            [pscustomobject]@{ All = $all; ByType = $byType; Filtered = $filtered }
            """, new Dictionary<string, object?> { ["captures"] = Captures });
        Assert.Null(r.Terminating);
        var o = Assert.Single(r.Output);
        string[] Lines(string name) => ((System.Collections.IEnumerable)PSObject.AsPSObject(o.Properties[name].Value).BaseObject)
            .Cast<object>().Select(k => k.ToString()!).ToArray();
        var all = Lines("All");
        Assert.Contains(all, s => s.Contains(" dev va", StringComparison.Ordinal));
        Assert.Equal(all, Lines("ByType"));
        Assert.Equal(all, Lines("Filtered"));
    }

    [Theory]
    [InlineData("Netfilter", "NFT_MSG_NEWSETELEM")]   // elements print as addresses: the set's key type comes from its NEWSET
    [InlineData("Netfilter", "NFT_MSG_NEWTABLE")]     // a GET's reply, not an "add": the GET and its ACK are skipped
    [InlineData("Generic", "NLMSG_ERROR")]            // a capped ACK names the command of the request it answers
    [InlineData("Route", "RTM_NEWNEIGH")]
    public void WhatSkippedMessagesTeachIsLearnedAsAFullReadLearnsIt(string protocol, string type)
    {
        // -MessageType leaves every other type undecoded; the summaries must still read as Where-Object's.
        var r = _host.Run("""
            $all = @(Get-NetlinkMessage -Path $captures 2>$null | Where-Object { $_.Protocol -eq $protocol -and $_.TypeName -eq $type } | ForEach-Object Summary)
            $byType = @(Get-NetlinkMessage -Path $captures -Protocol $protocol -MessageType $type 2>$null | Where-Object TypeName -eq $type | ForEach-Object Summary)
            [pscustomobject]@{ All = $all; ByType = $byType }
            """, new Dictionary<string, object?> { ["captures"] = Captures, ["protocol"] = protocol, ["type"] = type });
        Assert.Null(r.Terminating);
        var o = Assert.Single(r.Output);
        string[] Lines(string name) => ((System.Collections.IEnumerable)PSObject.AsPSObject(o.Properties[name].Value).BaseObject)
            .Cast<object>().Select(k => k.ToString()!).ToArray();
        Assert.NotEmpty(Lines("All"));
        Assert.Equal(Lines("All"), Lines("ByType"));
    }

    [Fact]
    public void MemberEnumerationAndIntrinsicsAreLeftToTheScriptBlock()
    {
        // A repeated attribute is an array: member access over it is PowerShell's member enumeration, which the
        // compiled filter hands to the script block for that message; Count on $null is PowerShell's 0.
        var (pushed, where, verbose) = Both("$_.Attributes.nosuch.Count -eq 0 -and $_.Attributes.linkinfo.kind -ne 'x'");
        Assert.Equal(where, pushed);
        Assert.StartsWith("-Filter compiled", verbose);
    }

    [Fact]
    public void VariablesAreReadAsTheBlockWouldReadThem()
    {
        var r = _host.Run($"$name = 'd0'; @(Get-NetlinkMessage -Path '{Captures}' -Filter {{ $_.Attributes.ifname -eq $name }} 2>$null).Count; @(Get-NetlinkMessage -Path '{Captures}' 2>$null | Where-Object {{ $_.Attributes.ifname -eq $name }}).Count");
        Assert.Null(r.Terminating);
        Assert.Equal(r.Output[1].BaseObject, r.Output[0].BaseObject);
        Assert.NotEqual(0, (int)r.Output[0].BaseObject);
    }

    [Fact]
    public void CountCountsWhatPasses()
    {
        var r = _host.Run($"Get-NetlinkMessage -Path '{Captures}' -Filter {{ $_.Attributes.ifname -eq 'lo' }} -Count 3 2>$null");
        Assert.Equal(3, r.Output.Count);
        Assert.All(r.Output, o => Assert.Equal("lo", ((NetlinkMessage)o.BaseObject).Attributes["ifname"]));
    }

    [Fact]
    public void ConditionsOnAttributeValuesAreJudgedOnTheBytes()
    {
        // RTM_NEWLINK (16): ifinfomsg, then IFLA_IFNAME (3), IFLA_MTU (4), IFLA_OPERSTATE (16). A message none of
        // whose attributes of the name passes is not decoded; one that may pass, or whose attributes the walk cannot
        // read, is.
        static RawMessage Link(Action<MessageBuilder> attributes)
        {
            var b = new MessageBuilder(16, 0).AddBytes(new byte[16]);
            attributes(b);
            var bytes = b.ToArray();
            return new RawMessage(0, NetlinkHeader.Read(bytes, Endian.Host), bytes, null);
        }
        static bool May(string filter, RawMessage m) =>
            NlmonPS.Filtering.FilterRequirements.Of(ScriptBlock.Create(filter)).MayMatchBytes(NetlinkProtocol.Route, m, Endian.Host);

        var eth0 = Link(b => b.AddString(3, "eth0").AddU32(4, 1500).AddU8(16, 6));
        var upper = Link(b => b.AddString(3, "D0"));
        var twice = Link(b => b.AddString(3, "x").AddU32(4, 1500).AddString(3, "d0"));
        var none = Link(b => b.AddU32(4, 1500));
        var torn = Link(b => b.AddString(3, "x").AddBytes(new byte[] { 40, 0, 4, 0 }));   // nla_len 40, 4 bytes left
        Assert.False(May("$_.Attributes.ifname -eq 'd0'", eth0), "$_.Attributes.ifname -eq 'd0' on eth0");
        Assert.False(May("$_.Attributes.ifname -eq 'd0'", none), "$_.Attributes.ifname -eq 'd0' on none");
        Assert.True(May("$_.Attributes.ifname -eq 'd0'", upper), "$_.Attributes.ifname -eq 'd0' on upper");          // -eq ignores case, as PowerShell's does
        Assert.False(May("$_.Attributes.ifname -ceq 'd0'", upper), "$_.Attributes.ifname -ceq 'd0' on upper");
        Assert.True(May("$_.Attributes.ifname -eq 'd0'", twice), "$_.Attributes.ifname -eq 'd0' on twice");          // the set answers with both
        Assert.True(May("$_.Attributes.ifname -eq 'd0'", torn), "$_.Attributes.ifname -eq 'd0' on torn");           // a fault: left to the decoder
        Assert.True(May("$_.Attributes.ifname -like 'e*'", eth0), "$_.Attributes.ifname -like 'e*' on eth0");
        Assert.False(May("$_.Attributes.ifname -like 'd*'", eth0), "$_.Attributes.ifname -like 'd*' on eth0");
        Assert.True(May("$_.Attributes.ifname -match 'TH'", eth0), "$_.Attributes.ifname -match 'TH' on eth0");
        Assert.True(May("$_.Attributes.ifname -in 'lo','eth0'", eth0), "$_.Attributes.ifname -in 'lo','eth0' on eth0");
        Assert.False(May("$_.Attributes.ifname -in 'lo','d0'", eth0), "$_.Attributes.ifname -in 'lo','d0' on eth0");
        Assert.False(May("$_.Sequence -ge 0 -and ($_.Attributes.ifname -eq 'd0')", eth0), "$_.Sequence -ge 0 -and ($_.Attributes.ifname -eq 'd0') on eth0");
        // Numbers and names of numbers, as the decoded set gives them (PowerShell converts the constant).
        Assert.False(May("$_.Attributes.mtu -eq 9000", eth0), "$_.Attributes.mtu -eq 9000 on eth0");
        Assert.True(May("$_.Attributes.mtu -eq '1500'", eth0), "$_.Attributes.mtu -eq '1500' on eth0");
        Assert.True(May("$_.Attributes.operstate -eq 'UP'", eth0), "$_.Attributes.operstate -eq 'UP' on eth0");
        Assert.False(May("$_.Attributes.operstate -in 'down','dormant'", eth0), "$_.Attributes.operstate -in 'down','dormant' on eth0");
        Assert.False(May("$_.Attributes.mtu -ne 9000 -and $_.Attributes.ifname -eq 'x'", eth0), "$_.Attributes.mtu -ne 9000 -and $_.Attributes.ifname -eq 'x' on eth0");
        // Through plain nests: IFLA_LINKINFO (18) holds IFLA_INFO_KIND (1); twice, member access collects both.
        var veth = Link(b => b.AddString(3, "va").BeginNest(18).AddString(1, "veth").EndNest());
        var both = Link(b => b.BeginNest(18).AddString(1, "dummy").EndNest().BeginNest(18).AddString(1, "veth").EndNest());
        Assert.True(May("$_.Attributes.linkinfo.kind -eq 'veth'", veth), "$_.Attributes.linkinfo.kind -eq 'veth' on veth");
        Assert.False(May("$_.Attributes.linkinfo.kind -eq 'vxlan'", veth), "$_.Attributes.linkinfo.kind -eq 'vxlan' on veth");
        Assert.False(May("$_.Attributes.linkinfo.kind -eq 'veth'", eth0), "$_.Attributes.linkinfo.kind -eq 'veth' on eth0");
        Assert.True(May("$_.Attributes.linkinfo.kind -in 'bridge','veth'", both), "$_.Attributes.linkinfo.kind -in 'bridge','veth' on both");
        Assert.False(May("$_.Attributes.linkinfo.kind -like 'vx*'", both), "$_.Attributes.linkinfo.kind -like 'vx*' on both");
        // Not judged on bytes: a set chosen by a kind (linkinfo.data), a member every set answers, a condition under
        // -or, a control message.
        Assert.True(May("$_.Attributes.linkinfo.data.peer -eq 'x'", veth), "$_.Attributes.linkinfo.data.peer -eq 'x' on veth");
        Assert.True(May("$_.Attributes.linkinfo.Count -eq 9", veth), "$_.Attributes.linkinfo.Count -eq 9 on veth");
        Assert.True(May("$_.Attributes.linkinfo.Length -eq 1", veth), "$_.Attributes.linkinfo.Length -eq 1 on veth");
        Assert.True(May("$_.Attributes.ifname -eq 'd0' -or $_.Sequence -eq 0", eth0), "$_.Attributes.ifname -eq 'd0' -or $_.Sequence -eq 0 on eth0");
        var done = new MessageBuilder(Nl.NLMSG_DONE, 0).AddBytes(new byte[4]).ToArray();
        Assert.True(May("$_.Attributes.ifname -eq 'd0'", new RawMessage(0, NetlinkHeader.Read(done, Endian.Host), done, null)));
        // A type no table describes is named unknown_N by the decoded set: no table answers the name.
        var unknownInside = Link(b => b.BeginNest(18).AddString(1, "veth").AddU32(9, 7).EndNest());
        Assert.True(May("$_.Attributes.linkinfo.unknown_9 -eq 7", unknownInside), "$_.Attributes.linkinfo.unknown_9 -eq 7");
    }

    [Fact]
    public void ConditionsOnHeaderFieldsAreJudgedOnTheBytes()
    {
        // RTM_NEWLINK's ifinfomsg: family (u8, AF_* names) at 0, index (s32) at 4; RTM_NEWROUTE's rtmsg has no index.
        static RawMessage Message(ushort type, byte[] header)
        {
            var bytes = new MessageBuilder(type, 0).AddBytes(header).AddString(3, "eth0").ToArray();
            return new RawMessage(0, NetlinkHeader.Read(bytes, Endian.Host), bytes, null);
        }
        static bool May(string filter, RawMessage m) =>
            NlmonPS.Filtering.FilterRequirements.Of(ScriptBlock.Create(filter)).MayMatchBytes(NetlinkProtocol.Route, m, Endian.Host);
        var ifinfo = new byte[16];
        ifinfo[0] = 10;   // AF_INET6
        BitConverter.TryWriteBytes(ifinfo.AsSpan(4), 7);
        var link7 = Message(16, ifinfo);
        Assert.False(May("$_.Header.index -eq 3", link7));
        Assert.True(May("$_.Header.index -eq '7'", link7));
        Assert.True(May("$_.Header.Index -in 1,7", link7));
        Assert.True(May("$_.Header.family -eq 'INET6'", link7));
        Assert.False(May("$_.Header.family -eq 'inet'", link7));
        Assert.False(May("$_.Header.index -eq 7 -and $_.Attributes.ifname -eq 'lo'", link7));
        // Flags are an array of names: -contains tests one of them (IFF_UP is bit 0 of ifi_flags, at 8).
        Assert.False(May("$_.Header.flags -contains 'UP'", link7));
        var up = (byte[])ifinfo.Clone();
        up[8] = 1;
        Assert.True(May("$_.Header.flags -contains 'up'", Message(16, up)));
        Assert.False(May("$_.Header.flags -ccontains 'up'", Message(16, up)));
        // A field the header lacks is $null in every message of the type: a condition $null fails skips them all.
        var route = Message(24, new byte[12]);
        Assert.False(May("$_.Header.index -eq 7", route));
        Assert.True(May("$_.Header.index -eq $null", route));
        Assert.True(May("$_.Header.index -notlike 'x'", route));   // not judged on bytes (-notlike), and $null passes
        // A header too short to hold the field (a legacy one-byte dump request) is left to the decoder.
        var shortHeader = new MessageBuilder(18, 0).AddBytes(new byte[] { 0, 0, 0, 0 }).ToArray();
        Assert.True(May("$_.Header.index -eq 3", new RawMessage(0, NetlinkHeader.Read(shortHeader, Endian.Host), shortHeader, null)));
        // Members every set answers are not fields (PowerShell gives Length to any object).
        Assert.True(May("$_.Header.Count -eq 99", link7));
        Assert.True(May("$_.Header.Length -eq 1", link7));
        Assert.True(May("$_.Header.Length -eq 1", route));
    }

    [Theory]
    [InlineData("$_.Attributes.ifname -eq 'lo'")]
    [InlineData("$_.Attributes.ifname -ceq 'LO'")]
    [InlineData("$_.Attributes.ifname -like 'v*' -and $_.TypeName -ne 'RTM_DELLINK'")]
    [InlineData("$_.Attributes.ifname -match '^d[0-9]$'")]
    [InlineData("$_.Attributes.ifname -in 'lo','d0','va'")]
    [InlineData("$_.Attributes.label -like 'd*'")]
    [InlineData("$_.Attributes.qdisc -eq 'noqueue' -and $_.Attributes.ifname -ne 'lo'")]
    [InlineData("$_.Attributes.ifname -eq 'd0' -and $_.Attributes.ifname -like '*0'")]
    [InlineData("$_.Attributes.mtu -eq 1500 -and $_.Attributes.operstate -in 'up','unknown'")]
    [InlineData("$_.Attributes.prefixlen -eq 24 -or $_.Attributes.table -eq 'main'")]
    [InlineData("$_.Attributes.table -eq 'local' -and $_.Attributes.dst -like '127.*'")]
    [InlineData("$_.Attributes.flags -eq 'permanent'")]
    [InlineData("$_.Attributes.address -eq '00:00:00:00:00:00'")]
    [InlineData("$_.Attributes.linkinfo.kind -in 'veth','dummy'")]
    [InlineData("$_.Attributes.linkinfo.kind -ceq 'VETH' -or $_.Attributes.ifname -eq 'lo'")]
    [InlineData("$_.Attributes.af_spec.inet6.addr_gen_mode -eq 'eui64'")]
    [InlineData("$_.Attributes.cacheinfo.preferred -gt 0 -and $_.Attributes.label -like '*'")]
    [InlineData("$_.Attributes.linkinfo.unknown_9 -eq 7")]
    [InlineData("$_.Header.index -eq 1")]
    [InlineData("$_.Header.family -eq 'inet6' -and $_.TypeName -like 'RTM_*ADDR'")]
    [InlineData("$_.Header.family -in 'inet','bridge'")]
    [InlineData("$_.Header.table -eq 'main' -and $_.Header.dst_len -eq 32")]
    [InlineData("$_.Header.ifindex -like '2*'")]
    [InlineData("$_.Header.index -match '^1$' -and $_.Attributes.ifname -eq 'lo'")]
    [InlineData("$_.Header.family -eq 'inet' -and $_.Protocol -eq 'Netfilter'")]
    [InlineData("$_.Header.cmd -eq 'CTRL_CMD_NEWFAMILY'")]
    [InlineData("$_.Header.error -eq 0")]
    [InlineData("$_.TypeName -eq 'RTM_NEWLINK' -and $_.Header.Length -eq 1")]
    [InlineData("$_.Header.Length -eq 1 -and $_.Attributes.ifname.Length -eq 1")]
    [InlineData("$_.Attributes.linkinfo.Length -eq 1")]
    [InlineData("$_.Header.flags -contains 'UP' -and $_.Header.flags -notcontains 'LOOPBACK'")]
    [InlineData("$_.Attributes.flags -contains 'permanent'")]
    [InlineData("$_.TypeName -contains 'RTM_NEWLINK' -and $_.Attributes.ifname -ccontains 'lo'")]
    [InlineData("$_.Attributes.linkinfo.kind -contains 'veth'")]
    public void AttributeConditionsJudgedOnTheBytesPassWhatWhereObjectPasses(string filter)
    {
        var (pushed, where, verbose) = Both(filter);
        Assert.StartsWith("-Filter compiled", verbose);
        Assert.Equal(where, pushed);
    }

    private static readonly string[] GenericCaptures =
    {
        Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures", "genl.pcap"),
        Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures", "native", "genl-*.pcap"),
    };

    [Fact]
    public void GenericNetlinkConditionsOnAttributeValuesAreJudgedOnTheBytes()
    {
        // ethtool (its id as the stream taught it) LINKINFO_GET, command 2 both ways: genlmsghdr, then
        // ETHTOOL_A_LINKINFO_HEADER (1), a nest holding ETHTOOL_A_HEADER_DEV_NAME (2).
        var families = new GenericFamilyRegistry();
        families.Learn(21, "ethtool");
        static RawMessage Ethtool(ushort id, byte cmd, string device)
        {
            var bytes = new MessageBuilder(id, 0).AddBytes(new byte[] { cmd, 1, 0, 0 }).BeginNest(1).AddString(2, device).EndNest().ToArray();
            return new RawMessage(0, NetlinkHeader.Read(bytes, Endian.Host), bytes, null);
        }
        bool May(string filter, RawMessage m) =>
            NlmonPS.Filtering.FilterRequirements.Of(ScriptBlock.Create(filter)).MayMatchBytes(NetlinkProtocol.Generic, m, Endian.Host, families);

        Assert.False(May("$_.Attributes.header.dev_name -eq 'lo'", Ethtool(21, 2, "eth0")));
        Assert.True(May("$_.Attributes.header.dev_name -eq 'LO'", Ethtool(21, 2, "lo")));
        Assert.True(May("$_.Attributes.header.dev_name -like 'e*'", Ethtool(21, 2, "eth0")));
        // Not judged: nlctrl (it teaches the ids), an id the stream has not named, no registry at all.
        Assert.True(May("$_.Attributes.header.dev_name -eq 'lo'", Ethtool(Nl.GENL_ID_CTRL, 2, "eth0")));
        Assert.True(May("$_.Attributes.header.dev_name -eq 'lo'", Ethtool(22, 2, "eth0")));
        Assert.True(NlmonPS.Filtering.FilterRequirements.Of(ScriptBlock.Create("$_.Attributes.header.dev_name -eq 'lo'"))
            .MayMatchBytes(NetlinkProtocol.Generic, Ethtool(21, 2, "eth0"), Endian.Host));
        // The id named anew (another capture, another boot): judged by what it names now (nl80211 has no header).
        Assert.True(May("$_.Attributes.header.dev_name -eq 'eth0'", Ethtool(21, 2, "eth0")));
        families.Learn(21, "nl80211");
        Assert.False(May("$_.Attributes.header.dev_name -eq 'eth0'", Ethtool(21, 2, "eth0")));

        // A real capture (ethtool on lo, its family id taught by nlctrl in the stream): the messages about another
        // device are judged on their bytes and left undecoded; those decoded are the ones the filter passes, and nlctrl.
        var path = Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures", "native", "genl-ethtool-lo.pcap");
        var (lo, _) = DecodeJudgingBytes(path, "$_.Attributes.header.dev_name -eq 'lo'");
        var (none, skipped) = DecodeJudgingBytes(path, "$_.Attributes.header.dev_name -eq 'eth9'");
        int ethtool = lo.Count(m => m.Family == "ethtool");
        Assert.True(ethtool > 10, $"{ethtool} ethtool messages about lo decoded");
        Assert.DoesNotContain(none, m => m.Family == "ethtool");
        Assert.True(skipped >= ethtool, $"{skipped} skipped");
    }

    private static readonly string[] NetfilterCaptures =
    {
        Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures", "conntrack.pcap"),
        Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures", "nftables.pcap"),
        Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures", "native", "nf-*.pcap"),
    };

    [Fact]
    public void NetfilterConditionsOnAttributeValuesAreJudgedOnTheBytes()
    {
        // A real conntrack capture: the entries of other addresses are judged on their bytes (tuple_orig.ip.v4_src,
        // through two plain nests) and left undecoded; nothing the filter passes is.
        var path = Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures", "native", "nf-conntrack.pcap");
        static int Entries(IEnumerable<NetlinkMessage> messages) => messages.Count(m => m.Attributes["tuple_orig"] is not null);
        var all = Fixtures.Decode(path).Where(m => m.Attributes["tuple_orig"] is NetlinkFields t && t["ip"] is NetlinkFields).ToList();
        var (local, localSkipped) = DecodeJudgingBytes(path, "$_.Attributes.tuple_orig.ip.v4_src -eq '127.0.0.1'");
        var (none, noneSkipped) = DecodeJudgingBytes(path, "$_.Attributes.tuple_orig.ip.v4_src -eq '192.0.2.77'");
        Assert.True(all.Count > 10, $"{all.Count} entries");
        Assert.Equal(all.Count(m => ((NetlinkFields)((NetlinkFields)m.Attributes["tuple_orig"]!)["ip"]!)["v4_src"]?.ToString() == "127.0.0.1"), Entries(local));
        Assert.Equal(0, Entries(none));
        Assert.True(noneSkipped >= all.Count, $"{noneSkipped} skipped of {all.Count}");
        Assert.True(noneSkipped > localSkipped);
    }

    [Theory]
    [InlineData("generic", "$_.Attributes.header.dev_name -eq 'lo'")]
    [InlineData("generic", "$_.Attributes.header.dev_name -like 'e*' -or $_.Family -eq 'fou'")]
    [InlineData("generic", "$_.Attributes.header.dev_index -eq 1")]
    [InlineData("generic", "$_.Attributes.ifindex -in 25,27")]
    [InlineData("generic", "$_.Attributes.port -eq 5555")]
    [InlineData("generic", "$_.Attributes.family -eq 'inet' -and $_.Attributes.sport -gt 0")]
    [InlineData("generic", "$_.Attributes.token -eq 3730308675")]
    [InlineData("generic", "$_.Attributes.ifname -match '^wg'")]
    [InlineData("generic", "$_.Attributes.family_name -eq 'ethtool'")]
    [InlineData("netfilter", "$_.Attributes.tuple_orig.ip.v4_src -eq '127.0.0.1'")]
    [InlineData("netfilter", "$_.Attributes.tuple_orig.proto.dst_port -eq 5555")]
    [InlineData("netfilter", "$_.Attributes.tuple_orig.proto.num -eq 'tcp' -and $_.Attributes.status -ne 0")]
    [InlineData("netfilter", "$_.Attributes.tuple_reply.ip.v4_dst -like '127.*'")]
    [InlineData("netfilter", "$_.Attributes.table -eq 'filter'")]
    [InlineData("netfilter", "$_.Attributes.chain -like 'in*' -or $_.Attributes.table -eq 'nat'")]
    [InlineData("netfilter", "$_.Attributes.name -match '^t'")]
    [InlineData("netfilter", "$_.Attributes.l3proto -in 'ipv4','inet'")]
    [InlineData("netfilter", "$_.Attributes.data.timeout -eq 0")]
    public void GenericAndNetfilterConditionsJudgedOnTheBytesPassWhatWhereObjectPasses(string captures, string filter)
    {
        var (pushed, where, verbose) = Both(filter, captures == "generic" ? GenericCaptures : NetfilterCaptures);
        Assert.StartsWith("-Filter compiled", verbose);
        Assert.Equal(where, pushed);
    }

    /// <summary>A capture decoded with a filter's test of the bytes, as the reader runs it: what was decoded, and how many messages it left undecoded.</summary>
    private static (List<NetlinkMessage> Decoded, int Skipped) DecodeJudgingBytes(string path, string filter)
    {
        var requirements = NlmonPS.Filtering.FilterRequirements.Of(ScriptBlock.Create(filter));
        var decoder = new NetlinkDecoder();
        var decoded = new List<NetlinkMessage>();
        int skipped = 0;
        foreach (var record in Fixtures.ReadNetlinkPcap(path))
            decoder.Decode(record, (_, _) => true, decoded, (NetlinkProtocol p, in RawMessage raw, ByteOrder o) =>
            {
                bool may = requirements.MayMatchBytes(p, raw, o, decoder.Context.GenericFamilies);
                if (!may) skipped++;
                return may;
            });
        return (decoded, skipped);
    }
}
