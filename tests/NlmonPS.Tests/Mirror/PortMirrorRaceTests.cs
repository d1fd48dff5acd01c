using System.Management.Automation;
using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;
using Xunit;

namespace NlmonPS.Tests.Mirror;

/// <summary>
/// Issue #16.9 and #16.11, natively (veth in a private namespace; this kernel has clsact, u32 and mirred, no
/// matchall): mirrors made at the same time on one source each get a priority of their own, and a mirror made by
/// hand is removed only with a confirmation or -Force.
/// </summary>
public class PortMirrorRaceTests
{
    private static void Live(Action<MirrorLab> body)
    {
        Assert.SkipWhen(NetNamespace.Unavailable is not null, NetNamespace.Unavailable ?? "");
        MirrorLab.Run(body);
    }

    [Fact]
    public void FourMirrorsAtOnceOnOneSourceAllSucceed()
    {
        Assert.SkipWhen(NetNamespace.Unavailable is not null, NetNamespace.Unavailable ?? "");
        using var ns = new NetNamespace();
        ns.AddVeth("va", "va-peer");
        var destinations = new[] { "d0", "d1", "d2", "d3" };
        foreach (var d in destinations) ns.AddVeth(d, d + "-peer");

        // Four runspaces in the namespace, each on its own thread, released together.
        using var start = new Barrier(destinations.Length);
        var results = new PowerShellHost.Result[destinations.Length];
        var threads = destinations.Select((d, i) => new Thread(() =>
        {
            ns.Enter();
            using var shell = new PowerShellHost(onThisThread: true);
            shell.Run("Get-PortMirror").AssertClean(); // loaded and warm: the four race in New-PortMirror itself
            start.SignalAndWait();
            results[i] = shell.Run($"New-PortMirror -Source va -Destination {d} -PassThru -Verbose");
        }, 16 * 1024 * 1024)).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.True(t.Join(180_000), "New-PortMirror finished"));

        foreach (var r in results) r.AssertClean();
        var made = results.Select(r => Assert.Single(r.Objects<PortMirror>())).ToList();
        Assert.Equal(destinations.Length, made.Select(m => m.Priority).Distinct().Count());
        Assert.All(made, m => Assert.Equal("u32", m.FilterKind));
        Assert.DoesNotContain(results.SelectMany(r => r.Verbose), v => v.Contains("kind does not match", StringComparison.Ordinal) && v.Contains("matchall", StringComparison.Ordinal));
        ns.Run(() =>
        {
            using var shell = new PowerShellHost(onThisThread: true);
            var listed = shell.Run("Get-PortMirror -Source va");
            listed.AssertClean();
            Assert.Equal(destinations, listed.Objects<PortMirror>().Select(m => m.Destinations.Single()).Order());
        });
    }

    [Fact]
    public void PriorityTakenErrorsDoNotBlameAMissingClassifier()
    {
        var error = new NetlinkKernelException(new NlmonPS.Decoding.NetlinkError
        {
            Errno = 22, ErrorName = "EINVAL", Text = "Invalid argument", ExtendedMessage = "Specified filter kind does not match existing one",
        }, "add filter");
        var e = PortMirrorManager.Classify(error, "add an ingress filter at priority 1000", "va", PortMirrorManager.Operation.AddFilter);
        Assert.True(PortMirrorManager.IsPriorityTaken(e));
        Assert.Contains("another kind holds that priority", e.Message);
        Assert.DoesNotContain("matchall", e.Message);
        Assert.False(PortMirrorManager.IsUnknownClassifier(error));
    }

    private static void AddByHand(MirrorLab lab) =>
        lab.Ns.Tc("filter", "add", "dev", "va", "ingress", "prio", "5", "protocol", "all", "u32", "match", "u32", "0", "0",
            "action", "mirred", "egress", "mirror", "dev", "vb");

    [Fact]
    public void AMirrorMadeByHandNeedsConfirmationOrForce()
    {
        Live(lab =>
        {
            lab.Ns.Tc("qdisc", "add", "dev", "va", "clsact");
            AddByHand(lab);
            lab.Shell.Run("New-PortMirror va vm").AssertClean();

            // Through the pipeline, with -Confirm:$false: the hand-made one is not removed, and the error says why.
            var r = lab.Shell.Run("Get-PortMirror -Source va | Remove-PortMirror -Confirm:$false");
            var e = Assert.Single(r.Errors);
            Assert.Equal("PortMirrorMadeByHand,NlmonPS.Cmdlets.RemovePortMirrorCommand", e.FullyQualifiedErrorId);
            Assert.Contains("-Force", e.Exception.Message);
            var left = Assert.Single(lab.Shell.Run("Get-PortMirror -Source va").Objects<PortMirror>());
            Assert.False(left.CreatedByNlmonPS);
            Assert.Equal("vb", left.Destinations.Single());

            lab.Shell.Run("Remove-PortMirror -Source va -Force").AssertClean();
            Assert.Empty(lab.Shell.Run("Get-PortMirror -Source va").Objects<PortMirror>());
        });
    }
}
