using NlmonPS.KernelClients;
using Xunit;

namespace NlmonPS.Tests.Live;

/// <summary>The rtnetlink link client against veth pairs in a private namespace (no nlmon needed).</summary>
public sealed class LinksTests
{
    [Fact]
    public void ListsGetsChangesAndDeletesLinks() => PrivateNetns.Run(() =>
    {
        PrivateNetns.Sh("ip link add va type veth peer name vb");
        using var links = new Links();
        var all = links.List();
        Assert.Contains(all, l => l.Name == "lo" && l.Kind is null);
        var va = Assert.Single(all, l => l.Name == "va");
        Assert.Equal("veth", va.Kind);
        Assert.False(va.IsUp);
        Assert.Equal(1500u, va.Mtu);
        Assert.Equal("DOWN", va.OperState);
        Assert.NotNull(va.Stats);

        links.Set(va.Index, mtu: 9000, up: true);
        var after = links.Get("va")!;
        Assert.Equal(9000u, after.Mtu);
        Assert.True(after.IsUp);
        Assert.Contains("mtu 9000", PrivateNetns.Sh("ip link show va"));
        Assert.Contains(",UP", PrivateNetns.Sh("ip link show va"));

        links.Set(va.Index, up: false);
        Assert.False(links.Get(va.Index)!.IsUp);
        Assert.Equal(9000u, links.Get(va.Index)!.Mtu);

        links.Delete("va");
        Assert.Null(links.Get("va"));
        Assert.Null(links.Get("vb"));   // a veth pair goes as a whole
        Assert.Null(links.Get(va.Index));
    });

    [Fact]
    public void CreatesAndDeletesByKind() => PrivateNetns.Run(() =>
    {
        using var links = new Links();
        // veth without a peer: the kernel names the peer itself.
        links.Create("vc", "veth", mtu: 1400, up: true);
        var vc = links.Get("vc")!;
        Assert.Equal("veth", vc.Kind);
        Assert.Equal(1400u, vc.Mtu);
        Assert.True(vc.IsUp);
        links.Delete(vc.Index);
        Assert.Null(links.Get("vc"));
    });

    [Fact]
    public void KernelRefusalsCarryTheExtendedAck() => PrivateNetns.Run(() =>
    {
        PrivateNetns.Sh("ip link add va type veth peer name vb");
        using var links = new Links();
        var va = links.Get("va")!;

        var tooSmall = Assert.Throws<NetlinkKernelException>(() => links.Set(va.Index, mtu: 10));
        Assert.Equal("EINVAL", tooSmall.Error.ErrorName);
        Assert.Contains("mtu less than device minimum", tooSmall.Error.ExtendedMessage);
        Assert.Contains("mtu less than device minimum", tooSmall.Message);

        var exists = Assert.Throws<NetlinkKernelException>(() => links.Create("va", "veth"));
        Assert.Equal(17, exists.Errno);

        var unknown = Assert.Throws<NetlinkKernelException>(() => links.Create("x0", "no-such-kind"));
        Assert.Equal(95, unknown.Errno);   // EOPNOTSUPP
        Assert.Equal("Unknown device type", unknown.Error.ExtendedMessage);

        var missing = Assert.Throws<NetlinkKernelException>(() => links.Delete("no-such-dev"));
        Assert.Equal("ENODEV", missing.Error.ErrorName);
    });
}
