using NlmonPS.DropMonitoring;
using System.Collections;
using System.Management.Automation;
using NlmonPS.Cmdlets;
using NlmonPS.PortMirroring;
using Xunit;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>
/// Argument completion (the completers, and TabExpansion2 on the hosted engine) and the errors for values that name
/// nothing. The Pester twin, tests/Pester/Completion.Tests.ps1, does the same in real pwsh with a private namespace.
/// </summary>
public sealed class CompletionTests : IDisposable
{
    private readonly PowerShellHost _host = new();
    private static readonly string Fixture = ModuleLoader.Fixture("route-link-addr.pcap");

    private static readonly string[] NlmonProtocols = { "FibLookup", "Generic", "Netfilter", "Nflog", "Route", "SockDiag", "Usersock", "Xfrm" };

    private string[] Complete(string line)
    {
        var r = _host.Run("(TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText",
            new Dictionary<string, object?> { ["line"] = line });
        Assert.Null(r.Terminating);
        return r.Output.Where(o => o is not null).Select(o => o.ToString()).ToArray();
    }

    [Theory]
    [InlineData("Get-NetlinkMessage -Protocol ", true)]
    [InlineData("Get-NetlinkMessage -Count 5 -Protocol ", true)]
    [InlineData("Get-NetlinkMessage -Path x.pcap -Protocol ", false)]
    [InlineData("Get-NetlinkMessage -LiteralPath x.pcap -Protocol ", false)]
    public void ProtocolOffersWhatTheSourceCanHold(string line, bool nlmonOnly)
    {
        var offered = Complete(line);
        if (nlmonOnly) Assert.Equal(NlmonProtocols, offered.Order(StringComparer.Ordinal));
        else Assert.Superset(new HashSet<string>(NlmonProtocols.Append("Audit").Append("KobjectUevent")), offered.ToHashSet());
    }

    [Theory]
    [InlineData("Route", "RTM_NEWL", "RTM_NEWLINK", "CTRL_CMD_GETFAMILY")]
    [InlineData("Generic", "CTRL_CMD_", "CTRL_CMD_GETFAMILY", "RTM_NEWLINK")]
    [InlineData("Netfilter", "IPCTNL_MSG_CT_N", "IPCTNL_MSG_CT_NEW", "RTM_NEWLINK")]
    public void MessageTypeIsNarrowedByProtocol(string protocol, string word, string offered, string notOffered)
    {
        var completer = new MessageTypeCompleter();
        var names = completer.CompleteArgument("Get-NetlinkMessage", "MessageType", "", null!, new Hashtable { ["Protocol"] = protocol })
            .Select(c => c.CompletionText).ToList();
        Assert.Contains(offered, names);
        Assert.DoesNotContain(notOffered, names);
        Assert.Contains("NLMSG_ERROR", names);
        Assert.All(Complete($"Get-NetlinkMessage -Protocol {protocol} -MessageType {word}"), n => Assert.StartsWith(word, n));
    }

    [Fact]
    public void MessageTypeWithoutProtocolOffersEveryProtocolsNames()
    {
        var names = Complete("Trace-NetlinkCommand -MessageType ");
        Assert.Contains("RTM_NEWLINK", names);
        Assert.Contains("nlctrl", names);
        Assert.Contains("nl80211", names);
        Assert.Contains("XFRM_MSG_NEWSA", names);
    }

    [Fact]
    public void LinksComeFromTheLiveSystem()
    {
        // lo exists in every network namespace; nothing here is a file name from the current directory.
        Assert.Contains("lo", Complete("Get-PacketDrop -InterfaceName "));
        Assert.Contains("lo", Complete("New-PortMirror -Source "));
        Assert.Contains("lo", Complete("Remove-PortMirror -Source lo -Destination "));
        Assert.DoesNotContain("lo", Complete("Get-NlmonDevice -Name "));
        Assert.Matches(@"^nlmon\d+$", Assert.Single(Complete("New-NlmonDevice -Name ")));
    }

    [Fact]
    public void NamedNamespacesAreOffered()
    {
        // Other tests make and remove named namespaces meanwhile: what stayed is offered, nothing that was never there is.
        // Some live for less than this completion takes (made and removed while it ran: in neither listing), so a
        // watcher remembers every name made meanwhile.
        const string dir = "/run/netns";
        try { Directory.CreateDirectory(dir); }   // as `ip netns add` does: the watcher needs it
        catch (UnauthorizedAccessException)
        {
            Assert.Empty(Complete("Get-NlmonDevice -NetNamespace "));   // not root, and no one made one
            return;
        }
        static HashSet<string?> Named() => Directory.GetFiles(dir).Select(Path.GetFileName).ToHashSet();
        var made = new HashSet<string?>();
        using var watcher = new FileSystemWatcher(dir) { NotifyFilter = NotifyFilters.FileName, InternalBufferSize = 64 * 1024 };
        watcher.Created += (_, e) => { lock (made) made.Add(e.Name); };
        watcher.EnableRaisingEvents = true;
        var before = Named();
        var offered = Complete("Get-NlmonDevice -NetNamespace ").ToHashSet<string?>();
        var after = Named();
        Assert.Superset(before.Intersect(after).ToHashSet(), offered);
        // The watcher's events come on its own thread, a little later: wait for those of names offered but in neither listing.
        var unexplained = offered.Except(before).Except(after).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            lock (made) if (unexplained.All(made.Contains)) break;
            Thread.Sleep(20);
        }
        lock (made) Assert.Subset(before.Union(after).Union(made).ToHashSet(), offered);
    }

    [Fact]
    public void CompletersNeverThrow()
    {
        foreach (var line in new[]
        {
            "Get-PacketDrop -NetNamespace /no/such/ns -InterfaceName ",
            "Get-NetlinkMessage -NetNamespace no-such-ns -InterfaceName ",
            "Get-NetlinkMessage -Protocol Nonsense -MessageType ",
            "Get-PacketDrop -Reason '",
        })
        {
            var r = _host.Run("(TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.Count; $Error.Count",
                new Dictionary<string, object?> { ["line"] = line });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
        }
        Assert.Empty(new LinkNameCompleter().CompleteArgument("Get-PacketDrop", "InterfaceName", "", null!, new Hashtable { ["NetNamespace"] = "/no/such" }));
    }

    [Fact]
    public void DropReasonsAndPacketProtocols()
    {
        Assert.Equal(new[] { "NO_SOCKET" }, Complete("Get-PacketDrop -Reason NO_S"));
        Assert.Equal(new[] { "IPv4", "IPv6" }, Complete("Get-PacketDrop -Protocol IPv"));
    }

    [Fact]
    public void DropReasonsAreReadFromTheTracepointFormat()
    {
        const string format = """
            print fmt: "skbaddr=%p protocol=%u location=%pS reason: %s", REC->skbaddr, REC->protocol, REC->location,
            __print_symbolic(REC->reason, { 0, "NOT_DROPPED_YET" }, { 1, "CONSUMED" }, { 2, "NOT_SPECIFIED" }, { 3, "NO_SOCKET" }, { 0x10000, "SOME_SUBSYS_REASON" }, { 90, "MAX" })
            """;
        Assert.Equal(new[] { "NOT_SPECIFIED", "NO_SOCKET", "SOME_SUBSYS_REASON" }, DropReasons.Parse(format));
        Assert.Contains("NETFILTER_DROP", DropReasons.Core);
        Assert.NotEmpty(DropReasons.Known(out _));
    }

    [Theory]
    [InlineData("Get-NetlinkMessage -Path $f -MessageType RTM_NEWLNK", "UnknownMessageType", "Did you mean RTM_NEWLINK", "RTM_NEWLNK")]
    [InlineData("Get-NetlinkMessage -Path $f -MessageType RTM_NEWLNK*", "UnknownMessageType", "Did you mean RTM_NEWLINK", "RTM_NEWLNK*")]
    [InlineData("Get-NetlinkMessage -Path $f -MessageType nl8021", "UnknownMessageType", "Did you mean nl80211?", "nl8021")]
    [InlineData("Get-NetlinkMessage -Path $f -MessageType CTRL_CMD_GETFAMLY", "UnknownMessageType", "Did you mean CTRL_CMD_GETFAMILY", "CTRL_CMD_GETFAMLY")]
    [InlineData("Get-NetlinkMessage -Path $f -Protocol Generic -MessageType RTM_NEWLINK", "MessageTypeNotInProtocol", "RTM_NEWLINK is a ROUTE message", "RTM_NEWLINK")]
    [InlineData("Get-NetlinkMessage -Path $f -Protocol Rout", "UnknownNetlinkProtocol", "Did you mean Route?", "Rout")]
    [InlineData("Get-NetlinkMessage -Protocol Audit", "NlmonProtocolNotCaptured", "nlmon never passes Audit", null)]
    [InlineData("Trace-NetlinkCommand { ip link show lo } -MessageType RTM_GETLNK", "UnknownMessageType", "Did you mean RTM_GETLINK", "RTM_GETLNK")]
    public void ValueThatNamesNothingIsAnErrorNamingTheNearest(string script, string errorId, string text, string? target)
    {
        var r = _host.Run(script, new Dictionary<string, object?> { ["f"] = Fixture });
        // A cmdlet's terminating error ends its statement; in a script that is an error record of the run.
        var record = (r.Terminating as IContainsErrorRecord)?.ErrorRecord ?? Assert.Single(r.Errors);
        Assert.StartsWith(errorId + ",", record.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, record.CategoryInfo.Category);
        Assert.Contains(text, record.Exception.Message);
        if (target is not null) Assert.Equal(target, record.TargetObject);
        Assert.Empty(r.Output);
    }

    [Theory]
    [InlineData("RTM_*")]
    [InlineData("rtm_newlink")]
    [InlineData("NLMSG_DONE")]
    [InlineData("nlctrl")]
    [InlineData("nlctrl CTRL_CMD_*")]
    [InlineData("unknown*")]
    [InlineData("genl(*")]
    public void ValuesThatCanMatchAreAccepted(string messageType)
    {
        var r = _host.Run("Get-NetlinkMessage -Path $f -MessageType $t | Out-Null", new Dictionary<string, object?> { ["f"] = Fixture, ["t"] = messageType });
        Assert.Null(r.Terminating);
    }

    [Theory]
    [InlineData("Route")]
    [InlineData("ROUTE")]
    [InlineData("NETLINK_ROUTE")]
    [InlineData("0")]
    public void ProtocolAcceptsEnumUapiAndNumber(string protocol)
    {
        var r = _host.Run("(Get-NetlinkMessage -Path $f -Protocol $p -Count 1).Protocol.ToString()", new Dictionary<string, object?> { ["f"] = Fixture, ["p"] = protocol });
        Assert.Null(r.Terminating);
        Assert.Equal("Route", Assert.Single(r.Output).ToString());
    }

    [Theory]
    [InlineData("RTM_NEWLNK", "RTM_NEWLINK")]
    [InlineData("rtm_newlink", "RTM_NEWLINK")]
    [InlineData("NL8021", "nl80211")]
    [InlineData("XFRM_MSG_NEWS", "XFRM_MSG_NEWSA")]
    [InlineData("COMPLETELY_DIFFERENT_WORD", null)]
    public void ClosestNamesAreFoundByEditDistance(string typo, string? nearest)
    {
        var closest = NameSuggestions.Closest(typo, MessageTypeNames.For(null));
        if (nearest is null) Assert.Empty(closest);
        else Assert.Equal(nearest, closest[0]);
    }

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("ABC", "ABC", 0)]
    [InlineData("RTM_NEWLNK", "RTM_NEWLINK", 1)]
    [InlineData("KITTEN", "SITTING", 3)]
    public void EditDistance(string a, string b, int distance) => Assert.Equal(distance, NameSuggestions.Distance(a, b));

    public void Dispose() => _host.Dispose();
}
