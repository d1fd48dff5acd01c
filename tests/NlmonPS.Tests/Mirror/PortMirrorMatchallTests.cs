using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;
using Xunit;

namespace NlmonPS.Tests.Mirror;

/// <summary>
/// The stock-kernel run (kernel/ rig, Debian's kernel with cls_matchall as a module): New-PortMirror uses
/// matchall, and the u32 path still works there. Natively (no cls_matchall, no loadable modules) they skip.
/// </summary>
[Trait("Category", "Live")]
public class PortMirrorMatchallTests
{
    /// <summary>Skips unless the kernel can make a matchall filter (built in, or loadable as cls_matchall).</summary>
    private static void RequireMatchall(MirrorLab lab)
    {
        lab.Ns.Tc("qdisc", "add", "dev", "vb-peer", "clsact");
        try
        {
            lab.Ns.Tc("filter", "add", "dev", "vb-peer", "ingress", "matchall", "action", "pass");
        }
        catch (InvalidOperationException e) when (!File.Exists("/proc/modules"))
        {
            LiveKernel.Require(false, $"this kernel has no cls_matchall and cannot load modules; the kernel/ rig runs this test ({e.Message})");
        }
        finally
        {
            lab.Ns.Tc("qdisc", "del", "dev", "vb-peer", "clsact");
        }
    }

    private static void Live(Action<MirrorLab> body)
    {
        LiveKernel.Require(NetNamespace.Unavailable is null, NetNamespace.Unavailable ?? "");
        MirrorLab.Run(lab =>
        {
            RequireMatchall(lab);
            body(lab);
        });
    }

    [Fact]
    public void NewPortMirrorUsesMatchallAndMirrorsBothWays()
    {
        Live(lab =>
        {
            var capture = lab.Socket("vm-peer");
            var r = lab.Shell.Run("New-PortMirror -Source va -Destination vm -Direction Both -PassThru -Verbose");
            r.AssertClean();
            var mirror = Assert.Single(r.Objects<PortMirror>());
            Assert.Equal("matchall", mirror.FilterKind);
            Assert.DoesNotContain(r.Verbose, v => v.Contains("u32", StringComparison.Ordinal));
            Assert.Equal(PortMirrorDirection.Both, mirror.Direction);
            Assert.All(mirror.Filters, f => Assert.Equal("matchall", f.Kind));

            Assert.Equal(MirrorLab.Tags("m", 5, "in", "out"), lab.SendBothWays(capture, 5, "m"));
            var counted = Assert.Single(lab.Shell.Run("Get-PortMirror").Objects<PortMirror>());
            Assert.Equal(10UL, counted.Packets);
            Assert.Equal(5UL * 46 + 5UL * 60, counted.Bytes);

            lab.Shell.Run("Get-PortMirror | Remove-PortMirror").AssertClean();
            Assert.Empty(lab.Shell.Run("Get-PortMirror").Output);
            Assert.False(lab.HasClsact("va"));
            Assert.Empty(lab.SendBothWays(capture, 2, "after"));
        });
    }

    [Fact]
    public void TheU32PathWorksOnTheStockKernelToo()
    {
        Live(lab =>
        {
            var capture = lab.Socket("vm-peer");
            using var manager = new PortMirrorManager { ForceU32 = true };
            var mirror = manager.Apply(manager.Plan("va", new[] { "vm" }, PortMirrorDirection.Both));
            Assert.Equal("u32", mirror.FilterKind);
            Assert.Equal(PortMirrorDirection.Both, mirror.Direction);
            Assert.Equal(MirrorLab.Tags("u", 4, "in", "out"), lab.SendBothWays(capture, 4, "u"));
            var removal = manager.Remove(Assert.Single(manager.GetMirrors()));
            Assert.Equal(2, removal.FiltersRemoved);
            Assert.True(removal.QdiscRemoved);
        });
    }

    [Fact]
    public void HandMadeMatchallMirrorsAreListed()
    {
        Live(lab =>
        {
            lab.Ns.Tc("qdisc", "add", "dev", "vb", "clsact");
            lab.Ns.Tc("filter", "add", "dev", "vb", "ingress", "prio", "3", "matchall", "action", "mirred", "egress", "mirror", "dev", "vm");
            var hand = Assert.Single(lab.Shell.Run("Get-PortMirror -Source vb").Objects<PortMirror>());
            Assert.Equal(("matchall", PortMirrorDirection.Ingress, false), (hand.FilterKind, hand.Direction, hand.CreatedByNlmonPS));
            using (var peer = lab.Socket("vb-peer"))
                for (int i = 0; i < 3; i++) peer.Send(PacketSocket.TestFrame($"h:{i}"));
            Assert.Equal(3UL, Assert.Single(lab.Shell.Run("Get-PortMirror -Source vb").Objects<PortMirror>()).Packets);
            lab.Shell.Run("Remove-PortMirror -Source vb -Force").AssertClean();   // made by hand: -Force, as no one can confirm
            Assert.True(lab.HasClsact("vb"), "a qdisc made by hand stays");
        });
    }
}
