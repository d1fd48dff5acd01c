using System.Net;
using System.Net.Sockets;
using NlmonPS.KernelClients;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Live;

/// <summary>The AF_PACKET capture socket on loopback in a private namespace: frames, timestamps, the BPF filter, statistics.</summary>
public sealed class PacketSocketTests
{
    /// <summary>Brings up lo in the test's private namespace and gives its index (every test captures on it).</summary>
    private static int UpLoopback()
    {
        PrivateNetns.Sh("ip link set lo up");
        using var links = new Links();
        return links.Get("lo")!.Index;
    }

    private static void Send(int port)
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.SendTo("nlmonps"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port));
    }

    [Fact]
    public void ReadsFramesWithKernelTimestamps() => PrivateNetns.Run(() =>
    {
        int lo = UpLoopback();
        using var socket = new NlmonPacketSocket(lo, null, 1 << 16);
        Assert.True(socket.BufferSize >= 1 << 16);
        var before = DateTimeOffset.UtcNow;
        Send(9);
        var buffer = new byte[4096];
        Assert.True(socket.Receive(buffer, 5000, out var info), "a frame arrives");
        Assert.Equal(0x0800, info.Protocol);                 // ETH_P_IP: skb->protocol, as nlmon sets it to the netlink protocol
        Assert.Equal(lo, info.IfIndex);
        Assert.True(info.Length > 20 + 8);
        Assert.InRange(info.Timestamp, before.AddSeconds(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.True(socket.ReadStatistics().Packets >= 1);
    });

    [Fact]
    public void TheFilterDropsInTheKernel() => PrivateNetns.Run(() =>
    {
        int lo = UpLoopback();
        // Only netlink protocol 0 (Route) passes; loopback frames carry 0x0800, so none does.
        using var socket = new NlmonPacketSocket(lo, NlmonBpf.Build(new[] { NetlinkProtocol.Route }), 1 << 16);
        Send(9);
        Assert.False(socket.Receive(new byte[4096], 500, out _));
        Assert.Equal(0ul, socket.ReadStatistics().Packets);
    });

    [Fact]
    public void TheRingHoldsABurstUntilItIsRead() => PrivateNetns.Run(() =>
    {
        int lo = UpLoopback();
        using var socket = new NlmonPacketSocket(lo, null, 4 << 20);
        Assert.Equal(4 << 20, socket.BufferSize);
        Assert.Equal((NlmonPacketSocket.MaxBlockSize, 16), (socket.BlockSize, socket.BlockCount));
        // 2000 datagrams to a bound port (no ICMP): 4000 frames (out and in) of ~140 bytes of ring each, all
        // sent before anything is read. (Sent from one socket, quickly: the kernel also hands over a block when it
        // has waited BlockTimeoutMs, partly filled.)
        const int count = 2000;
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        receiver.ReceiveBufferSize = 1 << 20;
        using (var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            var to = receiver.LocalEndPoint!;
            for (int i = 0; i < count; i++) udp.SendTo("nlmonps"u8.ToArray(), to);
        }
        int read = 0;
        var buffer = new byte[4096];
        while (socket.Receive(buffer, 1000, out var info))
        {
            Assert.Equal(0x0800, info.Protocol);
            read++;
        }
        // Loopback shows each datagram going out and coming in.
        Assert.Equal(2 * count, read);
        var (packets, drops) = socket.ReadStatistics();
        Assert.Equal((ulong)read, packets);
        Assert.Equal(0ul, drops);
    });

    [Fact]
    public void AFullRingDropsAndCountsEveryDrop() => PrivateNetns.Run(() =>
    {
        int lo = UpLoopback();
        // One page: a handful of frames fit; the rest are dropped while nothing reads.
        using var socket = new NlmonPacketSocket(lo, null, 1);
        Assert.Equal((Environment.SystemPageSize, 1), (socket.BlockSize, socket.BlockCount));
        const int count = 200;
        for (int i = 0; i < count; i++) Send(9);
        int read = 0;
        while (socket.Receive(new byte[4096], 500, out _)) read++;
        var (packets, drops) = socket.ReadStatistics();
        Assert.True(packets >= count);
        Assert.True(drops > 0);
        Assert.Equal(packets, (ulong)read + drops);
    });

    [Theory]
    [InlineData(1, 4096, 1)]
    [InlineData(5000, 8192, 1)]
    [InlineData(300 << 10, 256 << 10, 2)]
    [InlineData(32 << 20, 256 << 10, 128)]
    public void RingGeometry(int size, int block, int blocks) =>
        Assert.Equal((block, blocks), NlmonPacketSocket.RingGeometry(size));

    [Fact]
    public void TruncatedFramesSayHowLongTheyWere() => PrivateNetns.Run(() =>
    {
        using var socket = new NlmonPacketSocket(UpLoopback(), null, 1 << 16);
        Send(9);
        Assert.True(socket.Receive(new byte[16], 5000, out var info));
        Assert.Equal(16, info.Length);
        Assert.True(info.OriginalLength > 16);
    });
}
