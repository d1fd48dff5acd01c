using System.Net;
using System.Net.Sockets;
using NlmonPS.Kernel;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Live;

/// <summary>The AF_PACKET capture socket on loopback in a private namespace: frames, timestamps, the BPF filter, statistics.</summary>
public sealed class PacketSocketTests
{
    private static void Send(int port)
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.SendTo("nlmonps"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public void ReadsFramesWithKernelTimestamps() => PrivateNetns.Run(() =>
    {
        PrivateNetns.Sh("ip link set lo up");
        using var links = new Links();
        var lo = links.Get("lo")!;
        using var socket = new NlmonPacketSocket(lo.Index, null, 1 << 16);
        Assert.True(socket.BufferSize >= 1 << 16);
        var before = DateTimeOffset.UtcNow;
        Send(9);
        var buffer = new byte[4096];
        Assert.True(socket.Receive(buffer, 5000, out var info), "a frame arrives");
        Assert.Equal(0x0800, info.Protocol);                 // ETH_P_IP: skb->protocol, as nlmon sets it to the netlink protocol
        Assert.Equal(lo.Index, info.IfIndex);
        Assert.True(info.Length > 20 + 8);
        Assert.InRange(info.Timestamp, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.True(socket.ReadStatistics().Packets >= 1);
    });

    [Fact]
    public void TheFilterDropsInTheKernel() => PrivateNetns.Run(() =>
    {
        PrivateNetns.Sh("ip link set lo up");
        using var links = new Links();
        var lo = links.Get("lo")!;
        // Only netlink protocol 0 (Route) passes; loopback frames carry 0x0800, so none does.
        using var socket = new NlmonPacketSocket(lo.Index, NlmonBpf.Build(new[] { NetlinkProtocol.Route }), 1 << 16);
        Send(9);
        Assert.False(socket.Receive(new byte[4096], 500, out _));
        Assert.Equal(0ul, socket.ReadStatistics().Packets);
    });

    [Fact]
    public void TruncatedFramesSayHowLongTheyWere() => PrivateNetns.Run(() =>
    {
        PrivateNetns.Sh("ip link set lo up");
        using var links = new Links();
        using var socket = new NlmonPacketSocket(links.Get("lo")!.Index, null, 1 << 16);
        Send(9);
        Assert.True(socket.Receive(new byte[16], 5000, out var info));
        Assert.Equal(16, info.Length);
        Assert.True(info.OriginalLength > 16);
    });
}
