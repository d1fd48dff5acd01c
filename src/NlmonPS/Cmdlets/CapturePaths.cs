using System.Management.Automation;
using NlmonPS.Capture;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>-Path (wildcards) and -LiteralPath of the cmdlets that read capture files, resolved the same way for all.</summary>
internal static class CapturePaths
{
    /// <summary>The files to read; a path that matches nothing is written as an error and skipped.</summary>
    public static IEnumerable<string> Resolve(PSCmdlet cmdlet, string[] paths, bool literal)
    {
        var path = cmdlet.SessionState.Path;
        if (literal)
        {
            foreach (var p in paths) yield return path.GetUnresolvedProviderPathFromPSPath(p);
            yield break;
        }
        foreach (var p in paths)
        {
            List<string> resolved;
            try
            {
                resolved = path.GetResolvedProviderPathFromPSPath(p, out _).ToList();
            }
            catch (ItemNotFoundException)
            {
                resolved = new List<string>();
            }
            if (resolved.Count == 0)
            {
                var full = path.GetUnresolvedProviderPathFromPSPath(p);
                cmdlet.WriteError(ErrorRecords.From(new CaptureFileException(CaptureFileProblem.NotFound, full,
                    WildcardPattern.ContainsWildcardCharacters(p)
                        ? File.Exists(full)
                            ? $"No capture file matches the wildcard pattern '{p}', but a file has that very name: read it with -LiteralPath '{full.Replace("'", "''")}' (brackets, * and ? are wildcards in -Path)."
                            : $"No capture file matches '{p}'."
                        : $"Cannot find the capture file '{full}'. Check the path, or use -LiteralPath when the name contains wildcard characters.")));
                continue;
            }
            foreach (var r in resolved) yield return r;
        }
    }

    /// <summary>
    /// The messages of every file as one stream merged by time (<see cref="MergedCapture"/>), decoded by one decoder.
    /// A file that cannot be read is written as an error and the others are read; a bad record is an error and reading
    /// goes on; what a whole file lost is a warning (<see cref="ReportLoss"/>), as Get-NetlinkMessage gives.
    /// <paramref name="fileRead"/> hears how many messages each file read to its end gave.
    /// </summary>
    public static IEnumerable<NetlinkMessage> Messages(PSCmdlet cmdlet, string[] paths, bool literal, NetlinkDecoder decoder,
        Action<string, long>? fileRead = null)
    {
        using var capture = new MergedCapture(cmdlet, Resolve(cmdlet, paths, literal), fileRead);
        var decoded = new List<NetlinkMessage>();
        foreach (var (record, file) in capture.Records())
            foreach (var part in capture.DecodeParts(decoder, record, file, null, null, decoded))
                foreach (var message in part) yield return message;
    }

    /// <summary>
    /// What a whole file's read could not give: said as a warning with counts whenever messages were lost (a snaplen
    /// cut, frames with no netlink bytes, headers that mix byte orders), or when nothing in the file was netlink at all.
    /// </summary>
    public static void ReportLoss(PSCmdlet cmdlet, NetlinkCaptureReader reader, long byteOrderDoubts)
    {
        if (byteOrderDoubts > 0)
            cmdlet.WriteWarning($"{reader.Path}: {byteOrderDoubts} messages have headers that mix byte orders; they are decoded in the order the record's lengths read and marked IsMalformed. If the capture came from a host of the other byte order, read it with -ByteOrder.");
        foreach (var note in reader.Notes) cmdlet.WriteWarning($"{reader.Path}: {note}");
        if (reader.SkippedBlocks > NetlinkCaptureReader.MaxToldBlocks)
            cmdlet.WriteWarning($"{reader.Path}: {reader.SkippedBlocks} corrupt packet blocks were skipped; the first {NetlinkCaptureReader.MaxToldBlocks} were each written as an error.");
        long netlink = reader.RecordsRead - reader.SkippedFrames - reader.SkippedBlocks;
        if (reader.CutFrames > 0)
            cmdlet.WriteWarning($"{reader.Path}: the capture cut {reader.CutFrames} of its {netlink} netlink records short (snaplen {reader.Snaplen})" +
                (reader.EmptyFrames > 0 ? $"; {reader.EmptyFrames} of them kept no netlink bytes at all, so their messages are lost" : "") +
                ". The messages cut short are marked IsMalformed. Capture again with a larger snaplen (tcpdump -s 0).");
        else if (reader.EmptyFrames > 0)
            cmdlet.WriteWarning($"{reader.Path}: {reader.EmptyFrames} of its {netlink} netlink records hold no netlink message bytes (a link header, part of one, or nothing): if they carried messages, the file does not have them.");
        if (reader.SkippedFrames > 0 && netlink == 0)
            cmdlet.WriteWarning($"{reader.Path}: none of its {reader.SkippedFrames} frames is netlink: all were skipped (" +
                (reader.Format == "pcap" ? $"{LinkTypes.Describe(reader.LinkType)} frames of other devices or protocols" : "frames of interfaces, devices or protocols that are not netlink") + ").");
        else if (reader.SkippedFrames > 0)
            cmdlet.WriteVerbose($"{reader.Path}: skipped {reader.SkippedFrames} frames that are not netlink (other devices in the capture).");
    }
}

/// <summary>
/// Several capture files read as one stream merged by time: a capture rotated into several files (tcpdump -C, whose
/// names do not sort: capture1, capture10, capture2) is one stream whatever order the names came in, and captures
/// made side by side interleave as they happened. Each file keeps its own record order; records of the same instant
/// come in the order the files were named. Each file's first record says when it joins the merge; until then a
/// regular file is closed again, so a rotation of hundreds of files holds one or two open (a FIFO, which cannot be
/// read twice, stays open). Errors are written per file and per record; each file's losses are warned at its end.
/// </summary>
internal sealed class MergedCapture : IDisposable
{
    private readonly PSCmdlet _cmdlet;
    private readonly IEnumerable<string> _paths;
    private readonly Action<string, long>? _fileRead;
    private readonly List<MergedFile> _files = new();
    private volatile bool _stopping;

    public MergedCapture(PSCmdlet cmdlet, IEnumerable<string> paths, Action<string, long>? fileRead = null)
    {
        _cmdlet = cmdlet;
        _paths = paths;
        _fileRead = fileRead;
    }

    /// <summary>The files' sizes, and how much of them was read (files done count whole): for progress.</summary>
    public long FileSize => _files.Sum(f => f.Size);
    public long BytesRead => _files.Sum(f => f.Done ? f.Size : f.Reader?.BytesRead ?? 0);

    /// <summary>Stops every open reader at its next record (StopProcessing); nothing more is warned.</summary>
    public void Stop()
    {
        _stopping = true;
        MergedFile[] files;
        lock (_files) files = _files.ToArray();   // StopProcessing runs on another thread
        foreach (var f in files) f.Reader?.Stop();
    }

    /// <summary>The records of every file in time order, each with its file (for <see cref="Decode"/>).</summary>
    public IEnumerable<(NetlinkRecord Record, MergedFile File)> Records()
    {
        foreach (var path in _paths)
        {
            if (_stopping) yield break;
            var file = new MergedFile(path, _files.Count);
            if (!file.Open(_cmdlet)) continue;
            lock (_files) _files.Add(file);
            file.Size = file.Reader!.FileSize;
            if (!Advance(file)) { file.Close(); continue; }
            file.First = (file.Head!.Timestamp, file.Order);
            if (file.Size > 0) file.Close();
        }
        var waiting = _files.Where(f => f.Head is not null).OrderBy(f => f.First).ToList();   // those with a record
        var next = new PriorityQueue<MergedFile, (DateTimeOffset, int)>();
        int joined = 0;
        while (!_stopping)
        {
            while (joined < waiting.Count && (!next.TryPeek(out _, out var at) || waiting[joined].First.CompareTo(at) <= 0))
            {
                var file = waiting[joined++];
                if (file.Reader is null && !(file.Open(_cmdlet) && Advance(file))) { file.Close(); continue; }
                next.Enqueue(file, (file.Head!.Timestamp, file.Order));
            }
            if (!next.TryDequeue(out var f, out _)) break;
            var record = f.Head!;
            if (f.HeadProblem is { } problem) _cmdlet.WriteError(ErrorRecords.BadRecord(problem, record));
            yield return (record, f);
            if (Advance(f)) next.Enqueue(f, (f.Head!.Timestamp, f.Order));
            else f.Close();
        }
    }

    /// <summary>
    /// Decodes a record of a file a part at a time (<see cref="RecordPart.FileMessages"/> messages), each part in
    /// <paramref name="into"/> (cleared first) handed on before the next is made: a record of millions of messages
    /// is read in bounded memory, and a reader that has enough stops. Counts what the file gave (its messages,
    /// headers of doubtful byte order).
    /// </summary>
    public IEnumerable<List<NetlinkMessage>> DecodeParts(NetlinkDecoder decoder, NetlinkRecord record, MergedFile file,
        Func<NetlinkProtocol, ushort, bool>? mayMatch, RawMessageTest? mayMatchBytes, List<NetlinkMessage> into)
    {
        var part = new RecordPart(RecordPart.FileMessages);
        bool more;
        do
        {
            into.Clear();
            long doubts = decoder.Context.ByteOrderDoubts;
            more = decoder.Decode(record, mayMatch, into, ref part, mayMatchBytes);
            file.ByteOrderDoubts += decoder.Context.ByteOrderDoubts - doubts;
            file.Messages += into.Count;
            yield return into;
        }
        while (more);
    }

    /// <summary>Reads a file's next record; at its end (or a read error) reports the file and returns false.</summary>
    private bool Advance(MergedFile file)
    {
        try
        {
            file.Head = file.Reader!.ReadNext();
            file.HeadProblem = file.Reader.RecordProblem;
        }
        catch (CaptureFileException e)
        {
            TellSkippedBlocks(file);
            _cmdlet.WriteError(ErrorRecords.From(e));
            file.Head = null;
            file.Done = true;
            return false;
        }
        TellSkippedBlocks(file);
        if (file.Head is not null) return true;
        file.Done = true;
        if (_stopping) return false;
        CapturePaths.ReportLoss(_cmdlet, file.Reader, file.ByteOrderDoubts);
        _fileRead?.Invoke(file.Path, file.Messages);
        return false;
    }

    /// <summary>Writes the corrupt blocks a file's reader skipped, each once (a file opened again reads its first blocks again).</summary>
    private void TellSkippedBlocks(MergedFile file)
    {
        foreach (var (record, why) in file.Reader!.TakeSkippedBlocks())
            if (++file.BlocksSeen > file.BlocksTold)
            {
                file.BlocksTold = file.BlocksSeen;
                _cmdlet.WriteError(ErrorRecords.BadRecord(why, $"{file.Path}#{record}"));
            }
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Close();
    }
}

/// <summary>One file of a merged read: its reader while open, the record read ahead (its place in the merge), its counts.</summary>
internal sealed class MergedFile(string path, int order)
{
    public string Path { get; } = path;
    public int Order { get; } = order;
    /// <summary>When the file joins the merge: its first record's time, then its place among the files named.</summary>
    public (DateTimeOffset, int) First;
    public NetlinkCaptureReader? Reader { get; private set; }
    public NetlinkRecord? Head;
    public string? HeadProblem;
    public long Size, Messages, ByteOrderDoubts;
    /// <summary>Corrupt blocks told as errors, and met since the file was last opened.</summary>
    public long BlocksTold, BlocksSeen;
    public bool Done;

    public bool Open(PSCmdlet cmdlet)
    {
        try
        {
            // Opened again when its time comes: read as far as it reached the first time (see NetlinkCaptureReader.Open).
            Reader = NetlinkCaptureReader.Open(Path, Size);
            BlocksSeen = 0;
            return true;
        }
        catch (CaptureFileException e)
        {
            cmdlet.WriteError(ErrorRecords.From(e));
            return false;
        }
    }

    public void Close()
    {
        Reader?.Dispose();
        Reader = null;
    }
}
