using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NlmonPS.Tests.Mirror;

/// <summary>struct sockaddr_ll as a .NET endpoint: an AF_PACKET address naming an interface.</summary>
public sealed class LinkLayerEndPoint : EndPoint
{
    public LinkLayerEndPoint(int ifindex, ushort protocol = PacketSocket.ETH_P_ALL)
    {
        IfIndex = ifindex;
        Protocol = protocol;
    }

    public int IfIndex { get; }
    public ushort Protocol { get; }

    public override AddressFamily AddressFamily => AddressFamily.Packet;

    public override SocketAddress Serialize()
    {
        // sockaddr_ll: u16 family, be16 protocol, s32 ifindex, u16 hatype, u8 pkttype, u8 halen, u8 addr[8].
        var sa = new SocketAddress(AddressFamily.Packet, 20);
        sa[2] = (byte)(Protocol >> 8);
        sa[3] = (byte)Protocol;
        Span<byte> index = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(index, IfIndex);
        if (!BitConverter.IsLittleEndian) index.Reverse();
        for (int i = 0; i < 4; i++) sa[4 + i] = index[i];
        return sa;
    }

    public override EndPoint Create(SocketAddress socketAddress)
    {
        int index = socketAddress[4] | socketAddress[5] << 8 | socketAddress[6] << 16 | socketAddress[7] << 24;
        return new LinkLayerEndPoint(index, (ushort)(socketAddress[2] << 8 | socketAddress[3]));
    }
}

/// <summary>
/// An AF_PACKET raw socket bound to one interface (.NET's Socket class does AF_PACKET): sends whole Ethernet
/// frames out of it and receives every frame it sees.
/// </summary>
public sealed class PacketSocket : IDisposable
{
    public const ushort ETH_P_ALL = 0x0003;
    /// <summary>The ethertype of test frames (IEEE 802 local experimental 1).</summary>
    public const ushort TestEtherType = 0x88B5;
    private static readonly byte[] Magic = "NLMONPS-MIRROR:"u8.ToArray();

    private readonly Socket _socket;
    private readonly LinkLayerEndPoint _endpoint;

    public PacketSocket(int ifindex)
    {
        _socket = new Socket(AddressFamily.Packet, SocketType.Raw, ProtocolType.Raw);
        _endpoint = new LinkLayerEndPoint(ifindex);
        _socket.Bind(_endpoint);
        _socket.ReceiveBufferSize = 1 << 20;
    }

    public void Send(byte[] frame) => _socket.SendTo(frame, _endpoint);

    /// <summary>A broadcast frame of the test ethertype whose payload is the magic and <paramref name="tag"/>.</summary>
    public static byte[] TestFrame(string tag)
    {
        var frame = new byte[Math.Max(60, 14 + Magic.Length + Encoding.ASCII.GetByteCount(tag))];
        frame.AsSpan(0, 6).Fill(0xFF);
        new byte[] { 0x02, 0x6e, 0x6c, 0x6d, 0x6f, 0x6e }.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), TestEtherType);
        Magic.CopyTo(frame, 14);
        Encoding.ASCII.GetBytes(tag).CopyTo(frame, 14 + Magic.Length);
        return frame;
    }

    /// <summary>The tag of a test frame, or null for any other frame.</summary>
    public static string? TagOf(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14 + Magic.Length || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != TestEtherType) return null;
        if (!frame.Slice(14, Magic.Length).SequenceEqual(Magic)) return null;
        var rest = frame[(14 + Magic.Length)..];
        int end = rest.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? rest : rest[..end]);
    }

    /// <summary>The tags of the test frames that arrive until <paramref name="quietMs"/> pass without any frame.</summary>
    public List<string> ReceiveTags(int quietMs = 300)
    {
        var tags = new List<string>();
        var buffer = new byte[65536];
        while (_socket.Poll(quietMs * 1000, SelectMode.SelectRead))
        {
            int n = _socket.Receive(buffer);
            if (TagOf(buffer.AsSpan(0, n)) is { } tag) tags.Add(tag);
        }
        return tags;
    }

    /// <summary>Throws away whatever has arrived so far.</summary>
    public void Drain() => ReceiveTags(50);

    public void Dispose() => _socket.Dispose();
}
