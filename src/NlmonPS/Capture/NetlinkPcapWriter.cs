using NlmonPS.Wire;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace NlmonPS.Capture;

/// <summary>
/// Writes LINKTYPE_NETLINK pcap files through libpcap, each record the 16-byte nlmon header plus the messages.
/// Files are created with mode 0600: netlink captures hold secrets.
/// </summary>
public sealed class NetlinkPcapWriter : IDisposable
{
    private readonly CaptureFileWriterDevice _device;
    private byte[] _buffer = new byte[4096];

    private NetlinkPcapWriter(string path, CaptureFileWriterDevice device) { Path = path; _device = device; }

    public string Path { get; }
    public long RecordsWritten { get; private set; }

    public static NetlinkPcapWriter Create(string path, bool append, int linkType = LinkTypes.Netlink)
    {
        bool appending = append && File.Exists(path) && new FileInfo(path).Length > 0;
        if (appending)
        {
            int existing = ReadLinkType(path);
            if (existing != linkType)
                throw new CaptureFileException(CaptureFileProblem.LinkTypeMismatch, path,
                    $"Cannot append to '{path}': it holds {LinkTypes.Describe(existing)} records, not {LinkTypes.Describe(linkType)}.");
        }
        else
        {
            // Create (or truncate) with 0600 before libpcap opens it, so the secrets never sit world-readable.
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
            device.Open(new DeviceConfiguration { LinkLayerType = (LinkLayers)linkType, Snaplen = 262144 });
        }
        catch (Exception ex) when (ex is PcapException or DllNotFoundException or InvalidOperationException)
        {
            device.Dispose();
            throw new CaptureFileException(CaptureFileProblem.WriteFailed, path,
                ex is DllNotFoundException ? "libpcap is not installed: install it (Debian: apt-get install libpcap0.8) to write capture files."
                                           : $"Cannot open '{path}' for writing: {ex.Message}", ex);
        }
        return new NetlinkPcapWriter(path, device);
    }

    /// <summary>Writes one record holding <paramref name="messages"/> (one or several whole netlink messages).</summary>
    public void Write(DateTimeOffset timestamp, NetlinkProtocol protocol, IReadOnlyList<byte[]> messages)
    {
        int length = 16;
        foreach (var m in messages) length += Nl.Align(m.Length);
        if (_buffer.Length < length) _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        var span = _buffer.AsSpan(0, length);
        span.Clear();
        LinkTypes.WriteNetlinkHeader(span, protocol);
        int offset = 16;
        foreach (var m in messages)
        {
            m.CopyTo(span[offset..]);
            offset += Nl.Align(m.Length);
        }
        // The last message needs no padding: keep the record exactly as long as its messages.
        if (messages.Count > 0) length -= Nl.Align(messages[^1].Length) - messages[^1].Length;
        WriteFrame(timestamp, _buffer.AsSpan(0, length));
    }

    /// <summary>
    /// Writes one frame as it is (its link-layer header included). <paramref name="originalLength"/> is the frame's
    /// real length when <paramref name="frame"/> was cut short (a truncated dropped packet), as a snaplen would.
    /// </summary>
    public void WriteFrame(DateTimeOffset timestamp, ReadOnlySpan<byte> frame, int? originalLength = null)
    {
        long micros = (timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        uint length = (uint)Math.Max(originalLength ?? frame.Length, frame.Length);
        var header = new PcapHeader((uint)(micros / 1_000_000), (uint)(micros % 1_000_000), length, (uint)frame.Length);
        try
        {
            _device.Write(frame, ref header);
        }
        catch (Exception ex) when (ex is PcapException or IOException)
        {
            throw new CaptureFileException(CaptureFileProblem.WriteFailed, Path, $"Writing to '{Path}' failed: {ex.Message}", ex);
        }
        RecordsWritten++;
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
        return (int)(swapped ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(lt) : lt) & 0x0fffffff;
    }

    public void Dispose() => _device.Dispose();
}
