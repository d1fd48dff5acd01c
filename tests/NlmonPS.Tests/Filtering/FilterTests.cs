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
    private (string[] Pushed, string[] Where, string Verbose) Both(string filter)
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
            """, new Dictionary<string, object?> { ["filter"] = filter, ["captures"] = Captures });
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
}
