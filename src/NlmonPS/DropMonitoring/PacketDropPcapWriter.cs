using System.Buffers.Binary;
using NlmonPS.Capture;
using NlmonPS.KernelClients;

namespace NlmonPS.DropMonitoring;

/// <summary>
/// Writes dropped packets as ordinary frames: a LINKTYPE_LINUX_SLL2 (276) pcap, each record the 20-byte cooked
/// header (EtherType, interface index, ARPHRD type, packet type, source address) and the packet from its network
/// header, so tcpdump and Wireshark read drops like any capture. A truncated packet keeps its real length in the
/// record header (caplen &lt; len), as a capture with a snaplen would. Files are created with mode 0600.
/// </summary>
internal sealed class PacketDropPcapWriter : IDisposable
{
    public const int Sll2HeaderLength = 20;
    public const ushort ArphrdEther = 1, ArphrdLoopback = 772, ArphrdNone = 0xFFFE;
    public const byte PacketHost = 0, PacketBroadcast = 1, PacketMulticast = 2, PacketOtherHost = 3, PacketOutgoing = 4;

    // The file itself (0600, append checks, libpcap) is the one writer every export uses.
    private readonly NetlinkPcapWriter _file;

    private PacketDropPcapWriter(NetlinkPcapWriter file) => _file = file;

    public string Path => _file.Path;
    public long FramesWritten => _file.RecordsWritten;

    public static PacketDropPcapWriter Create(string path, bool append) =>
        new(NetlinkPcapWriter.Create(path, append, LinkTypes.LinuxSll2));

    /// <summary>The frame written for a drop: SLL2 header plus the packet from its network header.</summary>
    public static byte[] Frame(PacketDrop drop, out int originalLength)
    {
        int offset = Math.Clamp(drop.NetworkOffset, 0, drop.Packet.Length);
        var body = drop.Packet.AsSpan(offset);
        var frame = new byte[Sll2HeaderLength + body.Length];
        var h = frame.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(h, drop.Protocol);
        // h[2..4] reserved (0)
        BinaryPrimitives.WriteUInt32BigEndian(h[4..], (uint)(drop.InterfaceIndex ?? 0));
        ushort arphrd = drop.InterfaceType ?? (offset >= 14 ? ArphrdEther : ArphrdNone);
        BinaryPrimitives.WriteUInt16BigEndian(h[8..], arphrd);
        h[10] = PacketType(drop, offset);
        if (offset >= 14 && drop.Packet.Length >= 12)
        {
            h[11] = 6;
            drop.Packet.AsSpan(6, 6).CopyTo(h[12..]);
        }
        body.CopyTo(h[Sll2HeaderLength..]);
        originalLength = Sll2HeaderLength + Math.Max(drop.OriginalLength - offset, body.Length);
        return frame;
    }

    /// <summary>
    /// The drop monitor does not say the packet type: packets with an input device were received (host, or
    /// broadcast/multicast by their destination MAC); packets without one were being sent (outgoing).
    /// </summary>
    private static byte PacketType(PacketDrop drop, int offset)
    {
        if (drop.InterfaceIndex is null or 0) return drop.Origin == DropOrigin.Hardware ? PacketHost : PacketOutgoing;
        if (offset >= 14)
        {
            var dst = drop.Packet.AsSpan(0, 6);
            if (dst.IndexOfAnyExcept((byte)0xFF) < 0) return PacketBroadcast;
            if ((dst[0] & 1) != 0) return PacketMulticast;
        }
        return PacketHost;
    }

    public void Write(PacketDrop drop)
    {
        var frame = Frame(drop, out int original);
        _file.WriteFrame(drop.Timestamp, frame, original);
    }

    /// <summary>Puts the file on the disk (renamed over the target); throws a CaptureFileException naming what was lost.</summary>
    public void Complete() => _file.Complete();

    public void Dispose() => _file.Dispose();
}
