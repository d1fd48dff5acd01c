using System.Buffers.Binary;
using System.Runtime.InteropServices;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Capture;

/// <summary>
/// Reads netlink records from a pcap (micro- or nanosecond, either byte order) or pcapng file, one at a time, so
/// memory stays flat however large the file. Read here rather than through libpcap: pcapng interfaces (each
/// message's source: host, namespace, device), exact record bytes (the cooked header included), unsigned and
/// 64-bit timestamps, pipes and FIFOs, and a stop that is honoured between any two records. Faults become
/// <see cref="CaptureFileException"/>s that name the file and the record; records read before a fault have
/// already been returned.
/// </summary>
internal sealed class NetlinkCaptureReader : IDisposable
{
    // No capture tool writes records anywhere near this; a larger length means the file is corrupt there.
    private const int MaxBlock = 64 << 20;
    private const uint PcapMagic = 0xa1b2c3d4, PcapNanoMagic = 0xa1b23c4d, PcapngShb = 0x0A0D0D0A, PcapngByteOrder = 0x1A2B3C4D;

    private readonly Stream _stream;
    private byte[] _buffer = new byte[1 << 17];
    private int _start, _end;               // unread bytes: _buffer[_start.._end)
    private long _recordNumber;
    private volatile bool _stopping;

    // pcap: the file's one link type and fraction unit; pcapng: the section's interfaces.
    private bool _pcapng, _swapped;
    private long _fractionTicks;            // pcap: ticks per unit of ts_usec/ts_nsec (10 or, for ns, 0 = divide by 100)
    private int _snaplen;
    private readonly List<Interface> _interfaces = new();

    private sealed record Interface(int LinkType, ulong UnitsPerSecond, long OffsetSeconds, string? Name, string? ComputerName, string? NetNamespace, string? Device);

    private NetlinkCaptureReader(string path, Stream stream, long fileSize)
    {
        Path = path;
        _stream = stream;
        FileSize = fileSize;
    }

    // A regular file is read as far as it reached when it was first opened (0: a pipe or FIFO, read to its end).
    private long _readLimit;
    private long _pulled;

    public string Path { get; }
    /// <summary>The link type of the file (pcap), or of the first pcapng interface that can carry netlink (else the first).</summary>
    public int LinkType { get; private set; }
    /// <summary>"pcap" or "pcapng".</summary>
    public string Format => _pcapng ? "pcapng" : "pcap";
    /// <summary>The file's size, or 0 when it has none (a pipe, a FIFO, a /proc file).</summary>
    public long FileSize { get; }
    /// <summary>Bytes consumed so far, for progress.</summary>
    public long BytesRead { get; private set; }
    /// <summary>Records (frames, packet blocks) read so far, whatever they held.</summary>
    public long RecordsRead => _recordNumber;
    /// <summary>Frames that were not netlink (other devices in an SLL capture, other pcapng interfaces).</summary>
    public long SkippedFrames { get; private set; }
    /// <summary>Netlink frames with no netlink bytes at all (a snaplen of 16 or less keeps the cooked header, or part of it, alone).</summary>
    public long EmptyFrames { get; private set; }
    /// <summary>Netlink frames the capture cut short (caplen &lt; len): their last message is incomplete or missing.</summary>
    public long CutFrames { get; private set; }
    /// <summary>The snaplen in the file header (pcap) or the first interface (pcapng); 0 when it sets none.</summary>
    public int Snaplen => _snaplen;
    /// <summary>What was wrong with the record just returned (an impossible timestamp), or null; the record is still returned.</summary>
    public string? RecordProblem { get; private set; }

    // A pcapng packet block whose own length is sound but whose contents are not (a caplen past the block, an
    // interface never described) is skipped, and reading goes on at the next block. The first of them are told.
    public const int MaxToldBlocks = 100;
    private readonly List<(long Record, string Why)> _badBlocks = new();
    /// <summary>Packet blocks skipped as corrupt (all of them, told or not).</summary>
    public long SkippedBlocks { get; private set; }

    /// <summary>Each packet block skipped since the last call, its number and why (the first <see cref="MaxToldBlocks"/> of the file), then forgets them.</summary>
    public (long Record, string Why)[] TakeSkippedBlocks()
    {
        if (_badBlocks.Count == 0) return Array.Empty<(long, string)>();
        var told = _badBlocks.ToArray();
        _badBlocks.Clear();
        return told;
    }

    private readonly List<string> _notes = new();
    /// <summary>What the file declares that could not be taken as declared (said once per file, at its end).</summary>
    public IReadOnlyList<string> Notes => _notes;

    private void Note(string text)
    {
        if (_notes.Count < 10 && !_notes.Contains(text)) _notes.Add(text);
    }

    private void SkipBlock(string why)
    {
        if (++SkippedBlocks <= MaxToldBlocks)
            _badBlocks.Add((_recordNumber, $"'{Path}': packet block {_recordNumber} is corrupt and was skipped ({why}); reading goes on with the next block."));
    }

    /// <summary>Asks a read in progress to stop (Ctrl+C): <see cref="ReadNext"/> returns null at the next record.</summary>
    public void Stop() => _stopping = true;

    /// <summary>
    /// Opens a capture file. A regular file is read as it was when it was opened (or up to <paramref name="readUpTo"/>
    /// bytes, its size when a merged read first opened it): what is appended while it is read, by a capture still
    /// writing it or by `Export-NetlinkPcap -Append` to the very file being read, is not read, so such a pipeline ends.
    /// A FIFO or pipe is read to its end.
    /// </summary>
    public static NetlinkCaptureReader Open(string path, long readUpTo = 0)
    {
        if (Directory.Exists(path))
            throw new CaptureFileException(CaptureFileProblem.IsDirectory, path, $"'{path}' is a directory, not a capture file. Give the path of a .pcap or .pcapng file.");
        FileStream stream;
        try
        {
            // bufferSize 0: the reader has its own buffer. A FIFO opens (and waits for its writer) like a file.
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CaptureFileException(CaptureFileProblem.NotFound, path, $"Cannot find the capture file '{path}'. Check the path, or use -LiteralPath when the name contains wildcard characters.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CaptureFileException(CaptureFileProblem.PermissionDenied, path,
                $"Permission denied: cannot read '{path}'. Read it as a user allowed to (captures are written mode 0600 by their owner), or change its mode.", ex);
        }
        catch (IOException ex)
        {
            throw new CaptureFileException(CaptureFileProblem.ReadFailed, path, $"Cannot open '{path}': {ex.Message}", ex);
        }

        long size = 0;
        try { if (stream.CanSeek) size = stream.Length; } catch (IOException) { }
        var reader = new NetlinkCaptureReader(path, stream, size) { _readLimit = readUpTo > 0 ? readUpTo : size };
        try
        {
            reader.ReadHeader();
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return reader;
    }

    private void ReadHeader()
    {
        if (!Fill(4))
        {
            int got = _end - _start;
            if (got > 0)
                throw new CaptureFileException(CaptureFileProblem.NotACapture, Path, $"'{Path}' is not a pcap or pcapng capture file: it holds only {got} bytes.");
            throw new CaptureFileException(CaptureFileProblem.Empty, Path, KernelClients.Libc.FileType(Path) switch
            {
                KernelClients.Libc.S_IFREG when FileSize == 0 && !Path.StartsWith("/proc/", StringComparison.Ordinal) =>
                    $"The capture file '{Path}' is empty (0 bytes): the capture that wrote it stopped before writing a header.",
                KernelClients.Libc.S_IFIFO => $"The FIFO '{Path}' closed before a capture header: its writer wrote nothing.",
                KernelClients.Libc.S_IFCHR or KernelClients.Libc.S_IFBLK => $"'{Path}' is a device that gave no data, not a capture file.",
                _ => $"Nothing could be read from '{Path}': it ended before a capture header (a pipe whose writer closed, or a special file).",
            });
        }
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start));
        if (magic == PcapngShb)
        {
            _pcapng = true;
            // The first block must be a section header; ReadNext reads it (and every later one) like any block.
            if (!Fill(12))
                throw new CaptureFileException(CaptureFileProblem.Truncated, Path, $"'{Path}' ends inside its pcapng section header ({_end - _start} of at least 28 bytes). The capture was probably cut short.");
            if (!NextBlockIsSection())
                throw new CaptureFileException(CaptureFileProblem.NotACapture, Path,
                    $"'{Path}' begins as a pcapng file, but its section header's byte-order magic reads {Convert.ToHexString(_buffer.AsSpan(_start + 8, 4))} " +
                    "(1A2B3C4D in either byte order is expected): the file is corrupt, or not a capture.");
            if (!ReadInterfacesUpToFirstPacket())
                throw new CaptureFileException(CaptureFileProblem.NotACapture, Path, $"'{Path}' is a pcapng file without any interface description: it holds no packets.");
            return;
        }
        bool nano;
        switch (magic)
        {
            case PcapMagic: nano = false; break;
            case PcapNanoMagic: nano = true; break;
            default:
                uint swapped = BinaryPrimitives.ReverseEndianness(magic);
                if (swapped is not (PcapMagic or PcapNanoMagic)) throw NotACapture();
                _swapped = true;
                nano = swapped == PcapNanoMagic;
                break;
        }
        if (!Fill(24))
            throw new CaptureFileException(CaptureFileProblem.Truncated, Path, $"'{Path}' ends inside its 24-byte pcap file header.");
        var h = _buffer.AsSpan(_start, 24);
        _snaplen = (int)Math.Min(U32(h[16..]), int.MaxValue);
        LinkType = (int)(U32(h[20..]) & 0x03ffffff);    // the upper bits carry FCS information
        _fractionTicks = nano ? 0 : 10;
        Consume(24);
        CheckLinkType(LinkType);
    }

    private CaptureFileException NotACapture()
    {
        var start = _buffer.AsSpan(_start, Math.Min(4, _end - _start));
        string hint = start.IndexOfAnyExcept((byte)0) < 0 ? " (zero bytes, as /dev/zero or a sparse file gives)" : "";
        return new CaptureFileException(CaptureFileProblem.NotACapture, Path,
            $"'{Path}' is not a pcap or pcapng capture file: it begins with {Convert.ToHexString(start)}{hint}, not a pcap or pcapng magic number.");
    }

    private void CheckLinkType(int linkType)
    {
        if (!LinkTypes.CanCarryNetlink(linkType))
            throw new CaptureFileException(CaptureFileProblem.WrongLinkType, Path,
                $"'{Path}' holds {LinkTypes.Describe(linkType)} frames, not netlink. Netlink captures use LINKTYPE_NETLINK (253), " +
                "as written by `tcpdump -i nlmon0 -w file` or Export-NetlinkPcap, or LINUX_SLL/SLL2 from `tcpdump -i any`.");
    }

    /// <summary>The next netlink record, or null at the end of the file (or once stopped). Its bytes are valid until the next call.</summary>
    public NetlinkRecord? ReadNext()
    {
        RecordProblem = null;
        return _pcapng ? ReadNextBlock() : ReadNextPcap();
    }

    private NetlinkRecord? ReadNextPcap()
    {
        while (!_stopping)
        {
            if (!Fill(16))
            {
                if (_end == _start) return null;
                throw Truncated($"its record header has {_end - _start} of 16 bytes");
            }
            var h = _buffer.AsSpan(_start, 16);
            uint seconds = U32(h), fraction = U32(h[4..]), caplen = U32(h[8..]), length = U32(h[12..]);
            if (caplen > MaxBlock)
                throw new CaptureFileException(CaptureFileProblem.ReadFailed, Path,
                    $"'{Path}' is corrupt at record {_recordNumber + 1}: it claims {caplen} captured bytes, more than the 64 MiB any capture tool writes in a record " +
                    $"(nlmon's records are at most 64 KiB), so nothing after it can be found. The {_recordNumber} records before it were read; to keep them, export them " +
                    "(Get-NetlinkMessage -Path ... | Export-NetlinkPcap).");
            if (!Fill(16 + (int)caplen))
                throw Truncated($"it has {_end - _start - 16} of its {caplen} bytes");
            _recordNumber++;
            int at = _start + 16;
            Consume(16 + (int)caplen);
            // ts_sec is unsigned (a capture after 2038 is no error); a fraction past one second carries over.
            long ticks = seconds * TimeSpan.TicksPerSecond + (_fractionTicks == 0 ? fraction / 100 : fraction * _fractionTicks);
            var record = Frame(LinkType, at, (int)caplen, length, ticks, null);
            if (record is not null) return record;
        }
        return null;
    }

    private NetlinkRecord? ReadNextBlock()
    {
        while (!_stopping)
        {
            if (!Fill(12))
            {
                if (_end == _start) return null;
                throw Truncated($"its last block header has {_end - _start} of 12 bytes");
            }
            var head = _buffer.AsSpan(_start, 12);
            if (BinaryPrimitives.ReadUInt32LittleEndian(head) == PcapngShb) _swapped = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]) != PcapngByteOrder;
            uint type = U32(head), length = U32(head[4..]);
            if (length < 12 || length % 4 != 0 || length > MaxBlock)
                throw new CaptureFileException(CaptureFileProblem.ReadFailed, Path,
                    $"'{Path}' is corrupt after record {_recordNumber}: a block of type 0x{type:x} claims {length} bytes.");
            if (!Fill((int)length))
                throw Truncated($"its last block has {_end - _start} of {length} bytes");
            int at = _start;
            Consume((int)length);
            var block = _buffer.AsSpan(at, (int)length);
            switch (type)
            {
                case PcapngShb:
                    _interfaces.Clear();
                    break;
                case 1:
                    AddInterface(block);
                    break;
                case 6 or 2:   // enhanced packet block; the obsolete packet block has a 16-bit interface id and drops count
                {
                    _recordNumber++;
                    if (length < 32) { SkipBlock($"type {type}, {length} bytes: shorter than its 32-byte fields"); break; }
                    uint id = type == 6 ? U32(block[8..]) : U16(block[8..]);
                    if (id >= _interfaces.Count) { SkipBlock(NoSuchInterface(id)); break; }
                    var iface = _interfaces[(int)id];
                    ulong ts = (ulong)U32(block[12..]) << 32 | U32(block[16..]);
                    uint caplen = U32(block[20..]), original = U32(block[24..]);
                    if (caplen > length - 32) { SkipBlock($"type {type}, {length} bytes: it claims {caplen} captured bytes, more than the block holds"); break; }
                    var record = Frame(iface, at + 28, (int)caplen, original, ts);
                    if (record is not null) return record;
                    break;
                }
                case 3:        // simple packet block: interface 0, no timestamp
                {
                    _recordNumber++;
                    if (length < 16) { SkipBlock($"a simple packet block of {length} bytes, shorter than its 16-byte fields"); break; }
                    if (_interfaces.Count == 0) { SkipBlock(NoSuchInterface(0)); break; }
                    var iface = _interfaces[0];
                    uint original = U32(block[8..]);
                    int caplen = (int)Math.Min(original, length - 16);
                    var record = Frame(iface, at + 12, caplen, original, 0);
                    if (record is not null) return record;
                    break;
                }
            }
        }
        return null;
    }

    private NetlinkRecord? Frame(Interface iface, int at, int caplen, uint original, ulong ts)
    {
        // Timestamps in the interface's unit (if_tsresol), plus its offset (if_tsoffset), as ticks since the epoch.
        var t = (Int128)((UInt128)ts * TimeSpan.TicksPerSecond / iface.UnitsPerSecond) + (Int128)iface.OffsetSeconds * TimeSpan.TicksPerSecond;
        long ticks = t < 0 || t > DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks ? -1 : (long)t;
        return Frame(iface.LinkType, at, caplen, original, ticks, iface);
    }

    private NetlinkRecord? Frame(int linkType, int at, int caplen, uint original, long ticks, Interface? iface)
    {
        var frame = _buffer.AsMemory(at, caplen);
        if (!LinkTypes.TryGetNetlink(linkType, frame, out var protocol, out var messages))
        {
            SkippedFrames++;
            return null;
        }
        if (original > caplen) CutFrames++;
        if (messages.Length == 0)
        {
            EmptyFrames++;
            return null;
        }
        int headerLength = caplen - messages.Length;
        var timestamp = DateTimeOffset.UnixEpoch;
        if (ticks < 0 || ticks > DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks)
            RecordProblem = $"Record {_recordNumber} of '{Path}' has a timestamp after the year 9999; it is read with the time 1970-01-01.";
        else
            timestamp = new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + ticks, TimeSpan.Zero);
        return new NetlinkRecord(messages, protocol)
        {
            Timestamp = timestamp,
            Source = Path,
            RecordNumber = _recordNumber,
            OriginalLength = original > caplen ? (int)Math.Min(original - (uint)headerLength, int.MaxValue) : null,
            LinkHeader = headerLength == 16 && linkType != LinkTypes.LinuxSll2 ? LinkTypes.NonStandardHeader(frame.Span, protocol) : default,
            ComputerName = iface?.ComputerName,
            NetNamespace = iface?.NetNamespace,
            Device = iface?.Device,
        };
    }

    private string NoSuchInterface(uint id) => _interfaces.Count == 0
        ? $"it names interface {id}, but its section describes none yet"
        : $"it names interface {id}, but its section describes interfaces 0 to {_interfaces.Count - 1}";

    // An interface block cannot be skipped: the numbers of the interfaces after it would shift.
    private CaptureFileException BadInterfaceBlock(int length) => new(CaptureFileProblem.ReadFailed, Path,
        $"'{Path}' is corrupt after record {_recordNumber}: an interface description block of {length} bytes is shorter than its 20-byte fields. The {_recordNumber} records before it were read.");

    private void AddInterface(ReadOnlySpan<byte> block)
    {
        if (block.Length < 20) throw BadInterfaceBlock(block.Length);
        int linkType = U16(block[8..]);
        int snaplen = (int)Math.Min(U32(block[12..]), int.MaxValue);
        ulong units = 1_000_000;
        long offset = 0;
        string? name = null, description = null;
        var options = block[16..^4];
        while (options.Length >= 4)
        {
            int code = U16(options), len = U16(options[2..]);
            if (code == 0 || 4 + len > options.Length) break;
            var value = options.Slice(4, len);
            switch (code)
            {
                case 2: name = Text(value); break;
                case 3: description = Text(value); break;
                case 9 when len >= 1:
                    int exponent = value[0] & 0x7f;
                    bool binary = (value[0] & 0x80) != 0;
                    // Past 2^-63 or 10^-19 s no unit fits 64 bits, and no clock ticks so finely: such a file's
                    // timestamps would all read as 1970. They are read in the default unit, and that is said.
                    if (binary ? exponent < 64 : exponent <= 19) units = binary ? 1UL << exponent : (ulong)Math.Pow(10, exponent);
                    else Note($"interface {_interfaces.Count} declares if_tsresol 0x{value[0]:x2} ({(binary ? 2 : 10)}^-{exponent} s), finer than any " +
                        "clock or 64-bit count: its timestamps are read in microseconds, the pcapng default, and may be wrong.");
                    if (units == 0) units = 1;
                    break;
                case 14 when len >= 8: offset = (long)U64(value); break;
            }
            options = options[Math.Min(options.Length, 4 + Nl.Align(len))..];
        }
        var (host, ns, device) = Pcapng.ParseDescription(description);
        _interfaces.Add(new Interface(linkType, units, offset, name, host, ns, device ?? name));
        // A capture of several devices (dumpcap -i eth0 -i nlmon0) is read for its netlink ones.
        if (_interfaces.Count == 1 || !LinkTypes.CanCarryNetlink(LinkType) && LinkTypes.CanCarryNetlink(linkType))
        {
            LinkType = linkType;
            _snaplen = snaplen;
        }
    }

    private static string Text(ReadOnlySpan<byte> value)
    {
        int nul = value.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(nul >= 0 ? value[..nul] : value);
    }

    private bool NextBlockIsSection()
    {
        if (!Fill(12)) return false;
        uint bom = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start + 8));
        return bom == PcapngByteOrder || bom == BinaryPrimitives.ReverseEndianness(PcapngByteOrder);
    }

    /// <summary>
    /// Reads the section header and the interface blocks before the first packet, so the link types are known at open:
    /// a file none of whose interfaces can carry netlink is refused; the frames of the others are skipped as read.
    /// </summary>
    private bool ReadInterfacesUpToFirstPacket()
    {
        while (true)
        {
            if (!Fill(12)) break;
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start)) == PcapngShb ? PcapngShb : U32(_buffer.AsSpan(_start));
            if (type is 6 or 2 or 3) break;
            if (type == PcapngShb)
            {
                _swapped = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start + 8)) != PcapngByteOrder;
                _interfaces.Clear();   // a new section (one before it held no packets): its own interfaces
            }
            uint length = U32(_buffer.AsSpan(_start + 4));
            if (length < 12 || length % 4 != 0 || length > MaxBlock || !Fill((int)length))
                throw new CaptureFileException(CaptureFileProblem.Truncated, Path, $"'{Path}' ends (or is corrupt) inside its pcapng section header.");
            if (type == 1) AddInterface(_buffer.AsSpan(_start, (int)length));
            Consume((int)length);
        }
        if (_interfaces.Count == 0) return false;
        CheckLinkType(LinkType);
        return true;
    }

    private CaptureFileException Truncated(string detail) => new(CaptureFileProblem.Truncated, Path,
        $"'{Path}' ends in the middle of record {_recordNumber + 1} ({detail}); the {_recordNumber} records before it were read. The capture was probably cut short.");

    private uint U32(ReadOnlySpan<byte> s) => _swapped ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
    private ushort U16(ReadOnlySpan<byte> s) => _swapped ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
    private ulong U64(ReadOnlySpan<byte> s) => _swapped ? BinaryPrimitives.ReadUInt64BigEndian(s) : BinaryPrimitives.ReadUInt64LittleEndian(s);

    private void Consume(int count)
    {
        _start += count;
        BytesRead += count;
    }

    /// <summary>Makes at least <paramref name="count"/> unread bytes available; false at the end of the file.</summary>
    private bool Fill(int count)
    {
        if (_end - _start >= count) return true;
        if (count > _buffer.Length)
        {
            var bigger = new byte[Math.Max(count, _buffer.Length * 2)];
            _buffer.AsSpan(_start, _end - _start).CopyTo(bigger);
            _buffer = bigger;
            _end -= _start;
            _start = 0;
        }
        else if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        while (_end - _start < count)
        {
            int n;
            try
            {
                int room = _buffer.Length - _end;
                if (_readLimit > 0) room = (int)Math.Min(room, _readLimit - _pulled);
                n = room > 0 ? _stream.Read(_buffer, _end, room) : 0;
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new CaptureFileException(CaptureFileProblem.PermissionDenied, Path, $"Permission denied reading '{Path}': {ex.Message}", ex);
            }
            catch (IOException ex)
            {
                throw new CaptureFileException(CaptureFileProblem.ReadFailed, Path, $"Reading '{Path}' failed after record {_recordNumber}: {ex.Message}", ex);
            }
            if (n == 0) return false;
            _end += n;
            _pulled += n;
        }
        return true;
    }

    public void Dispose() => _stream.Dispose();
}
