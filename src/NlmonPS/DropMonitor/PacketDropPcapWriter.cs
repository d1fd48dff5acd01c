using System.Buffers.Binary;
using NlmonPS.Capture;
using NlmonPS.Kernel;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace NlmonPS.DropMonitoring;

/// <summary>
/// Writes dropped packets as ordinary frames: a LINKTYPE_LINUX_SLL2 (276) pcap, each record the 20-byte cooked
/// header (EtherType, interface index, ARPHRD type, packet type, source address) and the packet from its network
/// header, so tcpdump and Wireshark read drops like any capture. A truncated packet keeps its real length in the
/// record header (caplen &lt; len), as a capture with a snaplen would. Files are created with mode 0600.
/// </summary>
public sealed class PacketDropPcapWriter : IDisposable
{
    public const int Sll2HeaderLength = 20;
    public const ushort ArphrdEther = 1, ArphrdLoopback = 772, ArphrdNone = 0xFFFE;
    public const byte PacketHost = 0, PacketBroadcast = 1, PacketMulticast = 2, PacketOtherHost = 3, PacketOutgoing = 4;

    private readonly CaptureFileWriterDevice _device;

    private PacketDropPcapWriter(string path, CaptureFileWriterDevice device) { Path = path; _device = device; }

    public string Path { get; }
    public long FramesWritten { get; private set; }

    public static PacketDropPcapWriter Create(string path, bool append)
    {
        bool appending = append && File.Exists(path) && new FileInfo(path).Length > 0;
        if (appending)
        {
            int existing = ReadLinkType(path);
            if (existing != LinkTypes.LinuxSll2)
                throw new CaptureFileException(CaptureFileProblem.LinkTypeMismatch, path,
                    $"Cannot append to '{path}': it holds {(existing < 0 ? "no pcap records" : LinkTypes.Describe(existing) + " records")}, not {LinkTypes.Describe(LinkTypes.LinuxSll2)}.");
        }
        else
        {
            try
            {
                using var _ = new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.Create, Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CaptureFileException(CaptureFileProblem.WriteFailed, path, $"Cannot create '{path}': {ex.Message}", ex);
            }
        }
        var device = new CaptureFileWriterDevice(path, appending ? FileMode.Append : FileMode.Create);
        try
        {
            device.Open(new DeviceConfiguration { LinkLayerType = (LinkLayers)LinkTypes.LinuxSll2, Snaplen = 262144 });
        }
        catch (Exception ex) when (ex is PcapException or DllNotFoundException or InvalidOperationException)
        {
            device.Dispose();
            throw new CaptureFileException(CaptureFileProblem.WriteFailed, path,
                ex is DllNotFoundException ? "libpcap is not installed: install it (Debian: apt-get install libpcap0.8) to write capture files."
                                           : $"Cannot open '{path}' for writing: {ex.Message}", ex);
        }
        return new PacketDropPcapWriter(path, device);
    }

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
        long micros = (drop.Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        var header = new PcapHeader((uint)(micros / 1_000_000), (uint)(micros % 1_000_000), (uint)original, (uint)frame.Length);
        try
        {
            _device.Write(frame, ref header);
        }
        catch (Exception ex) when (ex is PcapException or IOException)
        {
            throw new CaptureFileException(CaptureFileProblem.WriteFailed, Path, $"Writing to '{Path}' failed: {ex.Message}", ex);
        }
        FramesWritten++;
    }

    private static int ReadLinkType(string path)
    {
        using var f = File.OpenRead(path);
        Span<byte> g = stackalloc byte[24];
        if (f.Read(g) < 24) return -1;
        uint magic = BitConverter.ToUInt32(g);
        bool swapped = magic is 0xd4c3b2a1 or 0x4d3cb2a1;
        if (!swapped && magic is not (0xa1b2c3d4 or 0xa1b23c4d)) return -1;
        uint lt = BitConverter.ToUInt32(g[20..]);
        return (int)(swapped ? BinaryPrimitives.ReverseEndianness(lt) : lt) & 0x0fffffff;
    }

    public void Dispose() => _device.Dispose();
}
