using System.Buffers.Binary;
using NlmonPS.Wire;

namespace NlmonPS.Capture;

/// <summary>The file format an export writes.</summary>
public enum CaptureFormat
{
    /// <summary>Classic pcap (microsecond timestamps), one link type: what every tool reads.</summary>
    Pcap,
    /// <summary>pcapng: one named interface per source (host, network namespace, device), nanosecond timestamps, records in time order.</summary>
    Pcapng,
}

/// <summary>Where a record came from, for the pcapng interface it is written on.</summary>
internal readonly record struct CaptureSource(string? ComputerName, string? NetNamespace, string? Device);

/// <summary>
/// Writes capture files (pcap, or pcapng with one interface per source), the one writer every export uses.
/// A new file is written to a temporary file in the same directory (mode 0600, created exclusively, so no link is
/// followed) and renamed over the target only when every byte is on the disk: a full disk or an I/O error leaves
/// the target as it was and says how many records were lost. An append writes at the end of the existing file and
/// cuts it back to its old length when a write fails.
/// </summary>
internal sealed class NetlinkPcapWriter : IDisposable
{
    private const int Snaplen = 262144;
    private readonly FileStream _file;
    private readonly string? _temporary;    // null when appending
    private readonly long _appendedAt;
    private readonly bool _replace;
    private readonly int _linkType;
    private byte[] _buffer = new byte[4096];
    private bool _done;

    // pcapng: interfaces by source, and (for the final sort) where each packet block went.
    private readonly Dictionary<CaptureSource, int> _interfaces = new();
    private readonly List<byte[]> _interfaceBlocks = new();
    private readonly List<(long Ticks, long Offset, int Length)> _blocks = new();
    private long _lastTicks = long.MinValue;
    private bool _outOfOrder;

    private NetlinkPcapWriter(string path, FileStream file, string? temporary, long appendedAt, CaptureFormat format, int linkType, bool replace)
    {
        Path = path;
        _file = file;
        _temporary = temporary;
        _appendedAt = appendedAt;
        Format = format;
        _linkType = linkType;
        _replace = replace;
    }

    public string Path { get; }
    public CaptureFormat Format { get; }
    /// <summary>Records handed to the writer so far (on the disk once <see cref="Complete"/> returns).</summary>
    public long RecordsWritten { get; private set; }
    /// <summary>pcapng: the interfaces written, one per source.</summary>
    public int InterfaceCount => _interfaces.Count;

    /// <summary>
    /// Opens <paramref name="path"/> for an export. <paramref name="replace"/> false refuses to replace a file that
    /// appears meanwhile (-NoClobber). A symbolic link is never written through.
    /// </summary>
    public static NetlinkPcapWriter Create(string path, bool append, int linkType = LinkTypes.Netlink, CaptureFormat format = CaptureFormat.Pcap, bool replace = true)
    {
        if (IsLink(path, out var target))
            throw new CaptureFileException(CaptureFileProblem.TargetIsLink, path,
                $"'{path}' is a symbolic link (to '{target}'): exports never write through a link, which another user could have planted. Give the real path.");
        bool appending = append && File.Exists(path) && new FileInfo(path).Length > 0;
        try
        {
            if (appending) return OpenForAppend(path, linkType, format);
            if (KernelClients.Libc.FileType(path) is KernelClients.Libc.S_IFIFO or KernelClients.Libc.S_IFCHR)
            {
                // A FIFO (a live Wireshark reading it) or a device such as /dev/null is written as it is, never replaced.
                var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
                var direct = new NetlinkPcapWriter(path, stream, null, -1, format, linkType, true);
                direct.WriteFileHeader();
                return direct;
            }
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
            var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
            var file = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 1 << 16,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            var writer = new NetlinkPcapWriter(path, file, temporary, 0, format, linkType, replace);
            writer.WriteFileHeader();
            return writer;
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CaptureFileException(CaptureFileProblem.PermissionDenied, path, $"Permission denied: cannot write '{path}' ({ex.Message}).", ex);
        }
        catch (IOException ex)
        {
            throw new CaptureFileException(CaptureFileProblem.WriteFailed, path, $"Cannot create '{path}': {Describe(ex)}", ex);
        }
    }

    /// <summary>True when <paramref name="path"/> itself is a symbolic link.</summary>
    public static bool IsLink(string path, out string? target)
    {
        target = null;
        try
        {
            target = new FileInfo(path).LinkTarget;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return target is not null;
    }

    private static NetlinkPcapWriter OpenForAppend(string path, int linkType, CaptureFormat format)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> g = stackalloc byte[24];
            int got = file.ReadAtLeast(g, 24, throwOnEndOfStream: false);
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(g);
            bool pcapng = got >= 12 && magic == 0x0A0D0D0A;
            bool swapped = magic is 0xd4c3b2a1 or 0x4d3cb2a1;
            bool pcap = got == 24 && (swapped || magic is 0xa1b2c3d4 or 0xa1b23c4d);
            if (!pcap && !pcapng)
                throw new CaptureFileException(CaptureFileProblem.NotACapture, path,
                    $"Cannot append to '{path}': it is not a pcap or pcapng capture file (it begins with {Convert.ToHexString(g[..Math.Min(got, 4)])}). Give another path, or leave out -Append to replace it.");
            if (pcapng != (format == CaptureFormat.Pcapng))
                throw new CaptureFileException(CaptureFileProblem.LinkTypeMismatch, path,
                    $"Cannot append to '{path}': it is a {(pcapng ? "pcapng" : "pcap")} file, and this export writes {(pcapng ? "pcap" : "pcapng")}. Use -Format {(pcapng ? "Pcapng" : "Pcap")}.");
            if (pcap)
            {
                uint lt = BinaryPrimitives.ReadUInt32LittleEndian(g[20..]);
                int existing = (int)((swapped ? BinaryPrimitives.ReverseEndianness(lt) : lt) & 0x03ffffff);
                if (existing != linkType || swapped || magic == 0xa1b23c4d)
                    throw new CaptureFileException(CaptureFileProblem.LinkTypeMismatch, path,
                        $"Cannot append to '{path}': it holds {LinkTypes.Describe(existing)} records{(swapped ? " in big-endian byte order" : magic == 0xa1b23c4d ? " with nanosecond timestamps" : "")}, " +
                        $"and this export writes little-endian {LinkTypes.Describe(linkType)} records with microsecond timestamps. Write a new file.");
            }
            long end = file.Seek(0, SeekOrigin.End);
            var writer = new NetlinkPcapWriter(path, file, null, end, format, linkType, true);
            // A pcapng append is a new section: its own header and interfaces, which every reader supports.
            if (pcapng) writer.WriteFileHeader();
            return writer;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void WriteFileHeader()
    {
        if (Format == CaptureFormat.Pcapng)
        {
            // Section header: byte-order magic, version 1.0, section length unknown (-1), no options.
            Span<byte> shb = stackalloc byte[28];
            BinaryPrimitives.WriteUInt32LittleEndian(shb, 0x0A0D0D0A);
            BinaryPrimitives.WriteUInt32LittleEndian(shb[4..], 28);
            BinaryPrimitives.WriteUInt32LittleEndian(shb[8..], 0x1A2B3C4D);
            BinaryPrimitives.WriteUInt16LittleEndian(shb[12..], 1);
            BinaryPrimitives.WriteInt64LittleEndian(shb[16..], -1);
            BinaryPrimitives.WriteUInt32LittleEndian(shb[24..], 28);
            Put(shb);
            return;
        }
        Span<byte> g = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(g, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(g[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(g[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(g[16..], Snaplen);
        BinaryPrimitives.WriteUInt32LittleEndian(g[20..], (uint)_linkType);
        Put(g);
    }

    /// <summary>
    /// Writes one netlink record: its 16-byte header (as captured when <paramref name="linkHeader"/> is set, else
    /// nlmon's), its messages at their aligned offsets, and zeros up to <paramref name="recordLength"/> (the bytes a
    /// sender put after its last message). <paramref name="originalLength"/> is the netlink length before a snaplen cut.
    /// </summary>
    public void Write(DateTimeOffset timestamp, NetlinkProtocol protocol, IReadOnlyList<byte[]> messages,
        int recordLength = 0, UInt128 linkHeader = default, int? originalLength = null, CaptureSource source = default)
    {
        int length = 0;
        foreach (var m in messages) length += Nl.Align(m.Length);
        // The last message needs no padding: a record is exactly as long as its messages, or as it was captured.
        if (messages.Count > 0) length -= Nl.Align(messages[^1].Length) - messages[^1].Length;
        int total = 16 + Math.Max(length, recordLength);
        if (_buffer.Length < total) _buffer = new byte[Math.Max(total, _buffer.Length * 2)];
        var span = _buffer.AsSpan(0, total);
        span.Clear();
        LinkTypes.WriteHeader(span, protocol, linkHeader);
        int offset = 16;
        foreach (var m in messages)
        {
            m.CopyTo(span[offset..]);
            offset += Nl.Align(m.Length);
        }
        WriteFrame(timestamp, span, originalLength is int o ? 16 + o : null, source);
    }

    /// <summary>
    /// Writes one frame as it is (its link-layer header included). <paramref name="originalLength"/> is the frame's
    /// real length when <paramref name="frame"/> was cut short (a truncated dropped packet), as a snaplen would.
    /// </summary>
    public void WriteFrame(DateTimeOffset timestamp, ReadOnlySpan<byte> frame, int? originalLength = null, CaptureSource source = default)
    {
        long ticks = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        uint length = (uint)Math.Max(originalLength ?? frame.Length, frame.Length);
        if (Format == CaptureFormat.Pcapng)
        {
            WritePacketBlock(ticks, frame, length, InterfaceFor(source));
        }
        else
        {
            // ts_sec is unsigned 32-bit: times before 1970 or after 2106 cannot be written in pcap.
            ticks = Math.Max(ticks, 0);
            long seconds = Math.Min(ticks / TimeSpan.TicksPerSecond, uint.MaxValue);
            long micros = ticks % TimeSpan.TicksPerSecond / 10;
            Span<byte> h = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)seconds);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)micros);
            BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(h[12..], length);
            Put(h);
            Put(frame);
        }
        RecordsWritten++;
    }

    private int InterfaceFor(CaptureSource source)
    {
        if (_interfaces.TryGetValue(source, out int id)) return id;
        id = _interfaces.Count;
        _interfaces.Add(source, id);
        var block = Pcapng.InterfaceBlock(_linkType, Snaplen, source);
        _interfaceBlocks.Add(block);
        Put(block);
        return id;
    }

    private void WritePacketBlock(long ticks, ReadOnlySpan<byte> frame, uint originalLength, int interfaceId)
    {
        int blockLength = 32 + Nl.Align(frame.Length);
        Span<byte> h = stackalloc byte[28];
        ulong ns = (ulong)Math.Max(0, ticks) * 100;     // if_tsresol 9: nanoseconds
        BinaryPrimitives.WriteUInt32LittleEndian(h, 6);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)blockLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)interfaceId);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)(ns >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)ns);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], (uint)frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(h[24..], originalLength);
        if (ticks < _lastTicks) _outOfOrder = true;
        _lastTicks = ticks;
        _blocks.Add((ticks, _file.Position, blockLength));
        Put(h);
        Put(frame);
        Span<byte> tail = stackalloc byte[8];
        tail.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(tail[(Nl.Align(frame.Length) - frame.Length)..], (uint)blockLength);
        Put(tail[..(Nl.Align(frame.Length) - frame.Length + 4)]);
    }

    private void Put(ReadOnlySpan<byte> bytes)
    {
        if (_done) throw new ObjectDisposedException(nameof(NetlinkPcapWriter));
        try
        {
            _file.Write(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failed(ex);
        }
    }

    /// <summary>
    /// Puts everything on the disk: flushed and synced, sorted by time (pcapng written from several sources out of
    /// order), then renamed over the target. Throws a <see cref="CaptureFileException"/> naming what was lost.
    /// </summary>
    public void Complete()
    {
        if (_done) return;
        try
        {
            if (_temporary is not null && Format == CaptureFormat.Pcapng && _outOfOrder)
            {
                SortInto(_temporary);
            }
            else
            {
                _file.Flush(flushToDisk: true);
                _file.Dispose();
            }
            _done = true;
            if (_temporary is not null) File.Move(_temporary, Path, overwrite: _replace);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Failed(ex);
        }
    }

    /// <summary>Rewrites the packet blocks in time order (stable: records of one time keep their order).</summary>
    private void SortInto(string temporary)
    {
        _file.Flush();
        var order = Enumerable.Range(0, _blocks.Count).OrderBy(i => _blocks[i].Ticks).ThenBy(i => i).ToList();
        var sorted = temporary + ".sorted";
        using (var output = new FileStream(sorted, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 16,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            try
            {
                _file.Position = 0;
                var shb = new byte[28];
                _file.ReadExactly(shb);
                output.Write(shb);
                foreach (var block in _interfaceBlocks) output.Write(block);
                var buffer = new byte[4096];
                foreach (int i in order)
                {
                    var (_, offset, length) = _blocks[i];
                    if (buffer.Length < length) buffer = new byte[Math.Max(length, buffer.Length * 2)];
                    _file.Position = offset;
                    _file.ReadExactly(buffer, 0, length);
                    output.Write(buffer, 0, length);
                }
                output.Flush(flushToDisk: true);
            }
            catch
            {
                output.Dispose();
                File.Delete(sorted);
                throw;
            }
        }
        _file.Dispose();
        File.Move(sorted, temporary, overwrite: true);
    }

    private CaptureFileException Failed(Exception ex)
    {
        Abort();
        string what = _temporary is not null
            ? $"none of the {RecordsWritten} records given to it was kept, and '{Path}' is as it was before"
            : _appendedAt < 0
                ? $"'{Path}' is a FIFO or device: what its reader got of the {RecordsWritten} records given to it cannot be taken back"
                : $"none of the {RecordsWritten} records given to it was kept: '{Path}' was cut back to its {_appendedAt} bytes before the append";
        var problem = ex is UnauthorizedAccessException ? CaptureFileProblem.PermissionDenied : CaptureFileProblem.WriteFailed;
        return new CaptureFileException(problem, Path, $"Writing '{Path}' failed: {Describe(ex)}; {what}.", ex);
    }

    /// <summary>Removes what this writer wrote: the temporary file, or the appended bytes.</summary>
    public void Abort()
    {
        if (_temporary is not null)
        {
            try { _file.Dispose(); } catch (IOException) { }
            try { File.Delete(_temporary); File.Delete(_temporary + ".sorted"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        else if (!_done && _appendedAt < 0)
        {
            try { _file.Dispose(); } catch (IOException) { }
        }
        else if (!_done)
        {
            // Close first (what the buffer still holds may not fit either), then cut back to the old length through
            // a handle of its own: the stream's would flush its buffer again.
            try { _file.Dispose(); } catch (IOException) { }
            try
            {
                using var handle = File.OpenHandle(Path, FileMode.Open, FileAccess.Write);
                RandomAccess.SetLength(handle, _appendedAt);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        _done = true;
    }

    /// <summary>An errno name where the exception carries one: ENOSPC, EIO, EDQUOT...</summary>
    internal static string Describe(Exception ex)
    {
        string? name = (ex.HResult & 0xffff) switch
        {
            28 => "ENOSPC", 5 => "EIO", 122 => "EDQUOT", 27 => "EFBIG", 30 => "EROFS", 13 => "EACCES", 1 => "EPERM", _ => null,
        };
        string text = ex.Message.TrimEnd('.');
        if (name is null && text.Contains("No space left", StringComparison.OrdinalIgnoreCase)) name = "ENOSPC";
        return name is null || text.Contains(name, StringComparison.Ordinal) ? text : $"{text} ({name})";
    }

    /// <summary>Completes the file (what was given before a stop is kept); a failure here leaves the target as it was.</summary>
    public void Dispose()
    {
        if (_done) return;
        try { Complete(); }
        catch (CaptureFileException) { }
    }
}
