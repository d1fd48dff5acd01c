using NlmonPS.Decoding;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;

namespace NlmonPS.Capture;

/// <summary>
/// Reads netlink records from a pcap or pcapng file through libpcap (SharpPcap), one at a time, so memory stays
/// flat however large the file. Faults become <see cref="CaptureFileException"/>s that name the cause; records read
/// before a fault have already been returned.
/// </summary>
public sealed class NetlinkCaptureReader : IDisposable
{
    private readonly CaptureFileReaderDevice _device;
    private long _recordNumber;

    private NetlinkCaptureReader(string path, CaptureFileReaderDevice device, int linkType)
    {
        Path = path;
        _device = device;
        LinkType = linkType;
        FileSize = new FileInfo(path).Length;
    }

    public string Path { get; }
    public int LinkType { get; }
    public long FileSize { get; }
    /// <summary>Approximate bytes consumed (record headers plus captured bytes), for progress.</summary>
    public long BytesRead { get; private set; } = 24;
    /// <summary>Frames that were not netlink (other devices in an SLL capture).</summary>
    public long SkippedFrames { get; private set; }

    public static NetlinkCaptureReader Open(string path)
    {
        if (Directory.Exists(path))
            throw new CaptureFileException(CaptureFileProblem.IsDirectory, path, $"'{path}' is a directory, not a capture file. Give the path of a .pcap or .pcapng file.");
        if (!File.Exists(path))
            throw new CaptureFileException(CaptureFileProblem.NotFound, path, $"Cannot find the capture file '{path}'. Check the path, or use -LiteralPath when the name contains wildcard characters.");
        if (new FileInfo(path).Length == 0)
            throw new CaptureFileException(CaptureFileProblem.Empty, path, $"The capture file '{path}' is empty (0 bytes): the capture that wrote it stopped before writing a header.");

        var device = new CaptureFileReaderDevice(path);
        try
        {
            device.Open();
        }
        catch (Exception ex) when (ex is PcapException or DllNotFoundException or InvalidOperationException)
        {
            device.Dispose();
            if (ex is DllNotFoundException)
                throw new CaptureFileException(CaptureFileProblem.ReadFailed, path, "libpcap is not installed: install it (Debian: apt-get install libpcap0.8) to read capture files.", ex);
            throw new CaptureFileException(CaptureFileProblem.NotACapture, path,
                $"'{path}' is not a pcap or pcapng capture file that libpcap can read ({ex.Message.Trim()}).", ex);
        }

        int linkType = (int)device.LinkType;
        if (!LinkTypes.CanCarryNetlink(linkType))
        {
            device.Dispose();
            throw new CaptureFileException(CaptureFileProblem.WrongLinkType, path,
                $"'{path}' holds {LinkTypes.Describe(linkType)} frames, not netlink. Netlink captures use LINKTYPE_NETLINK (253), " +
                "as written by `tcpdump -i nlmon0 -w file` or Export-NetlinkPcap, or LINUX_SLL/SLL2 from `tcpdump -i any`.");
        }
        return new NetlinkCaptureReader(path, device, linkType);
    }

    // One buffer for every record: the decoder copies each message out, so a record's bytes need to live only until
    // the next read (a copy per record would be garbage the size of the file).
    private byte[] _buffer = new byte[65536];

    /// <summary>The next netlink record, or null at the end of the file. Its bytes are valid until the next call.</summary>
    public NetlinkRecord? ReadNext()
    {
        while (true)
        {
            GetPacketStatus status;
            PacketCapture capture;
            try
            {
                status = _device.GetNextPacket(out capture);
            }
            catch (PcapException ex)
            {
                throw Fault(ex.Message);
            }
            if (status == GetPacketStatus.NoRemainingPackets) return null;
            if (status != GetPacketStatus.PacketRead) throw Fault(_device.LastError);

            _recordNumber++;
            var data = capture.Data;
            if (data.Length > _buffer.Length) _buffer = new byte[Math.Max(data.Length, _buffer.Length * 2)];
            data.CopyTo(_buffer);
            var frame = _buffer.AsMemory(0, data.Length);
            var header = (PcapHeader)capture.Header;
            BytesRead += 16 + frame.Length;
            if (!LinkTypes.TryGetNetlink(LinkType, frame, out var protocol, out var messages))
            {
                SkippedFrames++;
                continue;
            }
            int headerLength = frame.Length - messages.Length;
            return new NetlinkRecord(messages, protocol)
            {
                Timestamp = new DateTimeOffset(header.Timeval.Date, TimeSpan.Zero),
                Source = Path,
                RecordNumber = _recordNumber,
                OriginalLength = header.PacketLength > header.CaptureLength ? (int)header.PacketLength - headerLength : null,
            };
        }
    }

    private CaptureFileException Fault(string? detail)
    {
        detail = string.IsNullOrWhiteSpace(detail) ? "libpcap reported an error" : detail.Trim();
        bool truncated = detail.Contains("truncated", StringComparison.OrdinalIgnoreCase);
        return new CaptureFileException(truncated ? CaptureFileProblem.Truncated : CaptureFileProblem.ReadFailed, Path,
            truncated
                ? $"'{Path}' ends in the middle of record {_recordNumber + 1} ({detail}); the {_recordNumber} records before it were read. The capture was probably cut short."
                : $"Reading '{Path}' failed after record {_recordNumber}: {detail}");
    }

    public void Dispose() => _device.Dispose();
}
