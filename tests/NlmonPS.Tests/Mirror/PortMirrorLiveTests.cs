using System.Management.Automation;
using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;
using Xunit;

namespace NlmonPS.Tests.Mirror;

/// <summary>
/// New-/Get-/Remove-PortMirror against this machine's kernel, each test in its own network namespace with
/// real frames. Natively the kernel has no cls_matchall, so these exercise the u32 fallback; they hold for
/// matchall too (see <see cref="PortMirrorMatchallTests"/> for the stock-kernel run).
/// </summary>
public class PortMirrorLiveTests
{
    private static void Live(Action<MirrorLab> body)
    {
        Assert.SkipWhen(NetNamespace.Unavailable is not null, NetNamespace.Unavailable ?? "");
        MirrorLab.Run(body);
    }

    private static PortMirror[] Mirrors(MirrorLab lab, string args = "")
    {
        var r = lab.Shell.Run("Get-PortMirror " + args);
        r.AssertClean();
        return r.Objects<PortMirror>().ToArray();
    }

    [Fact]
    public void BothDirectionsMirrorEveryFrameCountersRiseAndRemoveLeavesNothing()
    {
        Live(lab =>
        {
            var capture = lab.Socket("vm-peer");
            var qdiscsBefore = lab.Ns.Tc("qdisc", "show", "dev", "va");
            Assert.Empty(lab.SendBothWays(capture, 3, "before"));

            var created = lab.Shell.Run("New-PortMirror -Source va -Destination vm -Direction Both -PassThru");
            created.AssertClean();
            var mirror = Assert.Single(created.Objects<PortMirror>());
            Assert.Equal("va", mirror.Source);
            Assert.Equal(PortMirrorDirection.Both, mirror.Direction);
            Assert.Equal(new[] { "vm" }, mirror.Destinations);
            Assert.Equal(new[] { lab.Index("vm") }, mirror.DestinationIndexes);
            Assert.True(mirror.CreatedByNlmonPS);
            Assert.True(mirror.QdiscCreatedByNlmonPS);
            Assert.Equal("clsact", mirror.QdiscKind);
            Assert.Contains(mirror.FilterKind, new[] { "matchall", "u32" });
            Assert.InRange(mirror.Priority, PortMirrorManager.FirstPriority, PortMirrorManager.LastPriority);
            Assert.Equal(2, mirror.Filters.Length);
            Assert.Equal(0UL, mirror.Packets);

            // Every frame, both ways: received by va (ingress) and sent by va (egress).
            Assert.Equal(MirrorLab.Tags("one", 5, "in", "out"), lab.SendBothWays(capture, 5, "one"));
            var first = Assert.Single(Mirrors(lab));
            Assert.Equal(10UL, first.Packets);
            // skb->len: a received frame is counted after its Ethernet header was pulled, a sent one whole.
            Assert.Equal(5UL * 46 + 5UL * 60, first.Bytes);
            Assert.Equal(5UL, first.Filters.Single(f => f.Hook == TcHook.Ingress).Packets);
            Assert.Equal(5UL, first.Filters.Single(f => f.Hook == TcHook.Egress).Packets);

            Assert.Equal(MirrorLab.Tags("two", 7, "in", "out"), lab.SendBothWays(capture, 7, "two"));
            var second = Assert.Single(Mirrors(lab));
            Assert.Equal(first.Packets + 14, second.Packets);
            Assert.True(second.Bytes > first.Bytes);
            Assert.True(second.Timestamp >= first.Timestamp);

            var removed = lab.Shell.Run("Get-PortMirror -Source va | Remove-PortMirror -Verbose");
            removed.AssertClean();
            Assert.Contains(removed.Verbose, v => v.Contains("clsact", StringComparison.Ordinal));
            Assert.Empty(Mirrors(lab));
            Assert.False(lab.HasClsact("va"));
            Assert.Equal(qdiscsBefore, lab.Ns.Tc("qdisc", "show", "dev", "va"));
            Assert.Empty(lab.SendBothWays(capture, 3, "after"));
        });
    }

    [Theory]
    [InlineData("Ingress", "in")]
    [InlineData("Egress", "out")]
    public void OneDirectionMirrorsOnlyThatDirection(string direction, string tag)
    {
        Live(lab =>
        {
            var capture = lab.Socket("vm-peer");
            var r = lab.Shell.Run($"New-PortMirror va vm -Direction {direction} -PassThru");
            r.AssertClean();
            var mirror = Assert.Single(r.Objects<PortMirror>());
            Assert.Equal(Enum.Parse<PortMirrorDirection>(direction), mirror.Direction);
            Assert.Single(mirror.Filters);
            Assert.Equal(MirrorLab.Tags("x", 4, tag), lab.SendBothWays(capture, 4, "x"));
            Assert.Equal(4UL, Assert.Single(Mirrors(lab)).Packets);
            lab.Shell.Run("Remove-PortMirror -Source va").AssertClean();
            Assert.False(lab.HasClsact("va"));
        });
    }

    [Fact]
    public void RunningAgainReturnsTheExistingMirror()
    {
        Live(lab =>
        {
            var a = Assert.Single(lab.Shell.Run("New-PortMirror -Source va -Destination vm -PassThru").Objects<PortMirror>());
            var again = lab.Shell.Run("New-PortMirror -Source va -Destination vm -PassThru -Verbose");
            again.AssertClean();
            var b = Assert.Single(again.Objects<PortMirror>());
            Assert.Contains(again.Verbose, v => v.Contains("already exists", StringComparison.Ordinal));
            Assert.Equal((a.Priority, a.Handle, a.Direction), (b.Priority, b.Handle, b.Direction));
            // A narrower request is already covered.
            var ingress = Assert.Single(lab.Shell.Run("New-PortMirror va vm -Direction Ingress -PassThru").Objects<PortMirror>());
            Assert.Equal(PortMirrorDirection.Both, ingress.Direction);
            Assert.Single(Mirrors(lab));
            // Without -PassThru nothing is written.
            Assert.Empty(lab.Shell.Run("New-PortMirror va vm").Output);
            Assert.Equal(2, Assert.Single(Mirrors(lab)).Filters.Length);
        });
    }

    [Fact]
    public void AnIngressMirrorGrowsToBothAtTheSamePriority()
    {
        Live(lab =>
        {
            var capture = lab.Socket("vm-peer");
            var a = Assert.Single(lab.Shell.Run("New-PortMirror va vm -Direction Ingress -PassThru").Objects<PortMirror>());
            var both = Assert.Single(lab.Shell.Run("New-PortMirror va vm -Direction Both -PassThru").Objects<PortMirror>());
            Assert.Equal(PortMirrorDirection.Both, both.Direction);
            Assert.Equal(a.Priority, both.Priority);
            Assert.Single(Mirrors(lab));
            Assert.Equal(MirrorLab.Tags("g", 3, "in", "out"), lab.SendBothWays(capture, 3, "g"));
        });
    }

    [Fact]
    public void SeveralDestinationsEachGetEveryFrame()
    {
        Live(lab =>
        {
            var toVm = lab.Socket("vm-peer");
            var toVb = lab.Socket("vb-peer");
            var r = lab.Shell.Run("New-PortMirror -Source va -Destination vm, vb -PassThru");
            r.AssertClean();
            var mirror = Assert.Single(r.Objects<PortMirror>());
            Assert.Equal(new[] { "vm", "vb" }, mirror.Destinations);
            Assert.Equal(MirrorLab.Tags("m", 3, "in", "out"), lab.SendBothWays(toVm, 3, "m"));
            Assert.Equal(MirrorLab.Tags("m", 3, "in", "out"), toVb.ReceiveTags().Order(StringComparer.Ordinal));
            // Copies: 6 frames, each copied to two devices.
            Assert.Equal(12UL, Assert.Single(Mirrors(lab)).Packets);
            Assert.Single(Mirrors(lab, "-Destination vb"));
            Assert.Single(Mirrors(lab, "-Destination v?"));
            Assert.Empty(Mirrors(lab, "-Destination va-peer"));
        });
    }

    [Fact]
    public void MirrorsMadeByHandWithTcAreListed()
    {
        Live(lab =>
        {
            lab.Ns.Tc("qdisc", "add", "dev", "vb", "clsact");
            lab.Ns.Tc("filter", "add", "dev", "vb", "egress", "prio", "7", "protocol", "all", "u32", "match", "u32", "0", "0",
                "action", "mirred", "egress", "mirror", "dev", "vm");
            lab.Shell.Run("New-PortMirror va vm").AssertClean();

            var all = Mirrors(lab);
            Assert.Equal(2, all.Length);
            var hand = Assert.Single(all, m => m.Source == "vb");
            Assert.False(hand.CreatedByNlmonPS);
            Assert.False(hand.QdiscCreatedByNlmonPS);
            Assert.Equal(PortMirrorDirection.Egress, hand.Direction);
            Assert.Equal("u32", hand.FilterKind);
            Assert.Equal(7, hand.Priority);
            Assert.Equal(new[] { "vm" }, hand.Destinations);
            Assert.Equal(3, hand.Protocol);
            Assert.True(Assert.Single(all, m => m.Source == "va").CreatedByNlmonPS);

            using (var vb = lab.Socket("vb"))
                for (int i = 0; i < 4; i++) vb.Send(PacketSocket.TestFrame($"hand:{i}"));
            Assert.Equal(4UL, Assert.Single(Mirrors(lab, "-Source vb")).Packets);
            Assert.Equal(2, Mirrors(lab, "-Destination vm").Length);
            Assert.Single(Mirrors(lab, "-Source v[b]"));

        });
    }

    [Fact]
    public void RemoveLeavesAQdiscAndFiltersItDidNotMake()
    {
        Live(lab =>
        {
            lab.Ns.Tc("qdisc", "add", "dev", "va", "clsact");
            lab.Ns.Tc("filter", "add", "dev", "va", "ingress", "prio", "5", "protocol", "all", "u32", "match", "u32", "0", "0",
                "action", "mirred", "egress", "mirror", "dev", "vb");
            var ingressBefore = lab.Ns.Tc("filter", "show", "dev", "va", "ingress");
            var egressBefore = lab.Ns.Tc("filter", "show", "dev", "va", "egress");
            var qdiscBefore = lab.Ns.Tc("qdisc", "show", "dev", "va");

            var mine = Assert.Single(lab.Shell.Run("New-PortMirror va vm -PassThru").Objects<PortMirror>());
            Assert.False(mine.QdiscCreatedByNlmonPS);
            Assert.Equal(2, Mirrors(lab, "-Source va").Length);

            lab.Shell.Run("Remove-PortMirror -Source va -Destination vm").AssertClean();
            var left = Assert.Single(Mirrors(lab, "-Source va"));
            Assert.False(left.CreatedByNlmonPS);
            Assert.Equal(ingressBefore, lab.Ns.Tc("filter", "show", "dev", "va", "ingress"));
            Assert.Equal(egressBefore, lab.Ns.Tc("filter", "show", "dev", "va", "egress"));
            Assert.Equal(qdiscBefore, lab.Ns.Tc("qdisc", "show", "dev", "va"));
        });
    }

    [Fact]
    public void RemoveDeletesOnlyTheMirrorsFilterWhenItsPriorityIsShared()
    {
        Live(lab =>
        {
            var mine = Assert.Single(lab.Shell.Run("New-PortMirror va vm -Direction Ingress -PassThru").Objects<PortMirror>());
            if (mine.FilterKind != "u32") Assert.Skip("only u32 filters can share a priority with a hand-made u32 filter");
            lab.Ns.Tc("filter", "add", "dev", "va", "ingress", "prio", mine.Priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "protocol", "all", "u32", "match", "u32", "0", "0", "classid", "1:1");
            lab.Shell.Run("Remove-PortMirror -Source va").AssertClean();
            Assert.Empty(Mirrors(lab));
            var show = lab.Ns.Tc("filter", "show", "dev", "va", "ingress");
            Assert.Contains("flowid 1:1", show);
            Assert.True(lab.HasClsact("va"), "the qdisc NlmonPS made stays while a filter uses it");
        });
    }

    [Fact]
    public void ANlmonPSMirrorDoesNotHideTheFiltersAfterIt()
    {
        Live(lab =>
        {
            var toVm = lab.Socket("vm-peer");
            var toVb = lab.Socket("vb-peer");
            var mine = Assert.Single(lab.Shell.Run("New-PortMirror va vm -PassThru").Objects<PortMirror>());
            lab.Ns.Tc("filter", "add", "dev", "va", "ingress", "prio", (mine.Priority + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "protocol", "all", "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", "vb");
            Assert.Equal(MirrorLab.Tags("s", 3, "in", "out"), lab.SendBothWays(toVm, 3, "s"));
            Assert.Equal(MirrorLab.Tags("s", 3, "in"), toVb.ReceiveTags().Order(StringComparer.Ordinal));

            lab.Shell.Run("Get-PortMirror -Source va | Where-Object CreatedByNlmonPS | Remove-PortMirror").AssertClean();
            Assert.True(lab.HasClsact("va"), "the hand-made filter still uses the qdisc");
            Assert.Empty(lab.SendBothWays(toVm, 2, "t"));
            Assert.Equal(MirrorLab.Tags("t", 2, "in"), toVb.ReceiveTags().Order(StringComparer.Ordinal));
        });
    }

    [Fact]
    public void TheQdiscGoesWithTheLastNlmonPSMirror()
    {
        Live(lab =>
        {
            lab.Shell.Run("New-PortMirror va vm").AssertClean();
            var second = Assert.Single(lab.Shell.Run("New-PortMirror va vb -PassThru").Objects<PortMirror>());
            Assert.True(second.QdiscCreatedByNlmonPS, "the ownership mark is carried to later mirrors on the same qdisc");
            Assert.NotEqual(Mirrors(lab, "-Destination vm")[0].Priority, second.Priority);

            lab.Shell.Run("Remove-PortMirror va vm").AssertClean();
            Assert.True(lab.HasClsact("va"));
            Assert.Equal("vb", Assert.Single(Mirrors(lab)).Destinations.Single());
            lab.Shell.Run("Remove-PortMirror va vb").AssertClean();
            Assert.False(lab.HasClsact("va"));
        });
    }

    [Fact]
    public void WhatIfChangesNothing()
    {
        Live(lab =>
        {
            var r = lab.Shell.Run("New-PortMirror -Source va -Destination vm -WhatIf -PassThru");
            r.AssertClean();
            Assert.Empty(r.Output);
            Assert.False(lab.HasClsact("va"));
            Assert.Empty(Mirrors(lab));

            lab.Shell.Run("New-PortMirror va vm").AssertClean();
            var before = lab.Ns.Tc("filter", "show", "dev", "va", "ingress") + lab.Ns.Tc("filter", "show", "dev", "va", "egress");
            lab.Shell.Run("Get-PortMirror | Remove-PortMirror -WhatIf").AssertClean();
            lab.Shell.Run("Remove-PortMirror -Source va -WhatIf").AssertClean();
            Assert.Single(Mirrors(lab));
            Assert.Equal(before, lab.Ns.Tc("filter", "show", "dev", "va", "ingress") + lab.Ns.Tc("filter", "show", "dev", "va", "egress"));
        });
    }

    private static ErrorRecord OneError(PowerShellHost.Result r)
    {
        Assert.Null(r.Terminating);
        Assert.Empty(r.Output);
        return Assert.Single(r.Errors);
    }

    [Fact]
    public void ErrorsNameTheCause()
    {
        Live(lab =>
        {
            var missing = OneError(lab.Shell.Run("New-PortMirror -Source nope -Destination vm"));
            Assert.Equal("PortMirrorDeviceNotFound,NlmonPS.Cmdlets.NewPortMirrorCommand", missing.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.ObjectNotFound, missing.CategoryInfo.Category);
            Assert.Equal("nope", missing.TargetObject);
            Assert.Contains("nope", missing.Exception.Message);

            var missingDestination = OneError(lab.Shell.Run("New-PortMirror -Source va -Destination vm, gone0"));
            Assert.Equal("PortMirrorDeviceNotFound,NlmonPS.Cmdlets.NewPortMirrorCommand", missingDestination.FullyQualifiedErrorId);
            Assert.Equal("gone0", missingDestination.TargetObject);

            var same = OneError(lab.Shell.Run("New-PortMirror -Source va -Destination va"));
            Assert.Equal("PortMirrorLoop,NlmonPS.Cmdlets.NewPortMirrorCommand", same.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidArgument, same.CategoryInfo.Category);
            Assert.Equal("va", same.TargetObject);
            Assert.Contains("itself", same.Exception.Message);

            // By index too: the same device under another name is still the source.
            var byIndex = OneError(lab.Shell.Run($"New-PortMirror -Source va -Destination {lab.Index("va")}"));
            Assert.StartsWith("PortMirrorLoop,", byIndex.FullyQualifiedErrorId);

            Assert.False(lab.HasClsact("va"), "a refused mirror changes nothing");

            lab.Shell.Run("New-PortMirror -Source vm -Destination va").AssertClean();
            var back = OneError(lab.Shell.Run("New-PortMirror -Source va -Destination vm"));
            Assert.Equal("PortMirrorLoop,NlmonPS.Cmdlets.NewPortMirrorCommand", back.FullyQualifiedErrorId);
            Assert.Equal("vm", back.TargetObject);
            Assert.Contains("vm -> va", back.Exception.Message);
            Assert.False(lab.HasClsact("va"));
            lab.Shell.Run("Remove-PortMirror vm").AssertClean();

            // Through a chain of mirrors: vm -> vb -> va.
            lab.Shell.Run("New-PortMirror vm vb; New-PortMirror vb va").AssertClean();
            var chain = OneError(lab.Shell.Run("New-PortMirror -Source va -Destination vm"));
            Assert.Equal("PortMirrorLoop,NlmonPS.Cmdlets.NewPortMirrorCommand", chain.FullyQualifiedErrorId);
            Assert.Contains("vm -> vb -> va", chain.Exception.Message);

            var getMissing = OneError(lab.Shell.Run("Get-PortMirror -Source nope"));
            Assert.Equal("PortMirrorDeviceNotFound,NlmonPS.Cmdlets.GetPortMirrorCommand", getMissing.FullyQualifiedErrorId);
            var removeNone = OneError(lab.Shell.Run("Remove-PortMirror -Source va"));
            Assert.Equal("PortMirrorNotFound,NlmonPS.Cmdlets.RemovePortMirrorCommand", removeNone.FullyQualifiedErrorId);
            var removeMissing = OneError(lab.Shell.Run("Remove-PortMirror -Source nope"));
            Assert.Equal("PortMirrorDeviceNotFound,NlmonPS.Cmdlets.RemovePortMirrorCommand", removeMissing.FullyQualifiedErrorId);
            Assert.Empty(lab.Shell.Run("Get-PortMirror -Source nothing*").Output);
        });
    }

    [Fact]
    public void AnIngressQdiscTakesIngressMirrorsOnly()
    {
        Live(lab =>
        {
            var capture = lab.Socket("vm-peer");
            lab.Ns.Tc("qdisc", "add", "dev", "va", "ingress");
            var conflict = OneError(lab.Shell.Run("New-PortMirror va vm -Direction Both"));
            Assert.Equal("PortMirrorQdiscConflict,NlmonPS.Cmdlets.NewPortMirrorCommand", conflict.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.ResourceExists, conflict.CategoryInfo.Category);

            var mirror = Assert.Single(lab.Shell.Run("New-PortMirror va vm -Direction Ingress -PassThru").Objects<PortMirror>());
            Assert.Equal("ingress", mirror.QdiscKind);
            Assert.False(mirror.QdiscCreatedByNlmonPS);
            Assert.Equal(MirrorLab.Tags("i", 3, "in"), lab.SendBothWays(capture, 3, "i"));
            lab.Shell.Run("Remove-PortMirror va").AssertClean();
            Assert.Contains(lab.Qdiscs("va"), q => q.Kind == "ingress");
            Assert.Empty(Mirrors(lab));
        });
    }

    [Fact]
    public void WithoutCapNetAdminTheErrorSaysPermissionDenied()
    {
        Live(lab =>
        {
            Capabilities.DropFromThisThread(Capabilities.CAP_NET_ADMIN);
            var denied = OneError(lab.Shell.Run("New-PortMirror -Source va -Destination vm"));
            Assert.Equal("PortMirrorPermissionDenied,NlmonPS.Cmdlets.NewPortMirrorCommand", denied.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.PermissionDenied, denied.CategoryInfo.Category);
            Assert.Equal("va", denied.TargetObject);
            Assert.Contains("CAP_NET_ADMIN", denied.Exception.Message);
            Assert.Contains("EPERM", denied.Exception.Message);
            // Reading needs no privilege.
            lab.Shell.Run("Get-PortMirror").AssertClean();
        });
    }
}
