using System.Management.Automation;
using NlmonPS.Capture;
using NlmonPS.Decoding;

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
                        ? $"No capture file matches '{p}'."
                        : $"Cannot find the capture file '{full}'. Check the path, or use -LiteralPath when the name contains wildcard characters.")));
                continue;
            }
            foreach (var r in resolved) yield return r;
        }
    }

    /// <summary>
    /// The messages of every file, merged by time and decoded by one decoder: a capture rotated into several files
    /// (tcpdump -C, whose names do not sort: capture1, capture10, capture2) is one stream whatever order the names came
    /// in, and captures made side by side interleave as they happened. Each file keeps its own record order; records of
    /// the same instant come in the order the files were named. A file that cannot be read is written as an error and
    /// the others are read; a bad record is an error and reading goes on; what a whole file lost is a warning
    /// (<see cref="ReportLoss"/>), as Get-NetlinkMessage gives. <paramref name="fileRead"/> hears how many messages
    /// each file read to its end gave.
    /// </summary>
    public static IEnumerable<NetlinkMessage> Messages(PSCmdlet cmdlet, string[] paths, bool literal, NetlinkDecoder decoder,
        Action<string, long>? fileRead = null)
    {
        // Each file's first record says when it joins the merge. Until then a regular file is closed again, so a
        // capture rotated into hundreds of files holds one or two open; a FIFO, which cannot be read twice, stays open.
        var files = new List<MergedFile>();
        var next = new PriorityQueue<MergedFile, (DateTimeOffset, int)>();
        try
        {
            foreach (var path in Resolve(cmdlet, paths, literal))
            {
                var file = new MergedFile(path, files.Count);
                if (!file.Open(cmdlet) || !file.Advance(cmdlet, fileRead)) { file.Close(); continue; }
                file.First = (file.Head!.Timestamp, file.Order);
                if (file.Reader!.FileSize > 0) file.Close();
                files.Add(file);
            }
            files.Sort((a, b) => a.First.CompareTo(b.First));
            int joined = 0;
            var decoded = new List<NetlinkMessage>();
            while (true)
            {
                while (joined < files.Count && (!next.TryPeek(out _, out var at) || files[joined].First.CompareTo(at) <= 0))
                {
                    var file = files[joined++];
                    if (file.Reader is null && !(file.Open(cmdlet) && file.Advance(cmdlet, fileRead))) { file.Close(); continue; }
                    next.Enqueue(file, (file.Head!.Timestamp, file.Order));
                }
                if (!next.TryDequeue(out var f, out _)) break;
                var record = f.Head!;
                if (f.HeadProblem is { } problem) cmdlet.WriteError(ErrorRecords.BadRecord(problem, record));
                decoded.Clear();
                long doubts = decoder.Context.ByteOrderDoubts;
                decoder.Decode(record, null, decoded);
                f.ByteOrderDoubts += decoder.Context.ByteOrderDoubts - doubts;
                foreach (var message in decoded)
                {
                    f.Messages++;
                    yield return message;
                }
                if (f.Advance(cmdlet, fileRead)) next.Enqueue(f, (f.Head!.Timestamp, f.Order));
                else f.Close();
            }
        }
        finally
        {
            foreach (var f in files) f.Close();
        }
    }

    /// <summary>One file of a merged read: its reader while open, the record read ahead (its place in the merge), its counts.</summary>
    private sealed class MergedFile(string path, int order)
    {
        public string Path { get; } = path;
        public int Order { get; } = order;
        /// <summary>When the file joins the merge: its first record's time, then its place among the files named.</summary>
        public (DateTimeOffset, int) First;
        public NetlinkCaptureReader? Reader { get; private set; }
        public NetlinkRecord? Head { get; private set; }
        public string? HeadProblem { get; private set; }
        public long Messages, ByteOrderDoubts;

        public bool Open(PSCmdlet cmdlet)
        {
            try
            {
                Reader = NetlinkCaptureReader.Open(Path);
                return true;
            }
            catch (CaptureFileException e)
            {
                cmdlet.WriteError(ErrorRecords.From(e));
                return false;
            }
        }

        /// <summary>Reads the next record; at the end (or a read error) reports the file and returns false.</summary>
        public bool Advance(PSCmdlet cmdlet, Action<string, long>? fileRead)
        {
            try
            {
                Head = Reader!.ReadNext();
                HeadProblem = Reader.RecordProblem;
            }
            catch (CaptureFileException e)
            {
                cmdlet.WriteError(ErrorRecords.From(e));
                return false;
            }
            if (Head is not null) return true;
            ReportLoss(cmdlet, Reader, ByteOrderDoubts);
            fileRead?.Invoke(Path, Messages);
            return false;
        }

        public void Close()
        {
            Reader?.Dispose();
            Reader = null;
        }
    }

    /// <summary>
    /// What a whole file's read could not give: said as a warning with counts whenever messages were lost (a snaplen
    /// cut, frames with no netlink bytes, headers that mix byte orders), or when nothing in the file was netlink at all.
    /// </summary>
    public static void ReportLoss(PSCmdlet cmdlet, NetlinkCaptureReader reader, long byteOrderDoubts)
    {
        if (byteOrderDoubts > 0)
            cmdlet.WriteWarning($"{reader.Path}: {byteOrderDoubts} messages have headers that mix byte orders; they are decoded in the order the record's lengths read and marked IsMalformed. If the capture came from a host of the other byte order, read it with -ByteOrder.");
        long netlink = reader.RecordsRead - reader.SkippedFrames;
        if (reader.CutFrames > 0)
            cmdlet.WriteWarning($"{reader.Path}: the capture cut {reader.CutFrames} of its {netlink} netlink records short (snaplen {reader.Snaplen})" +
                (reader.EmptyFrames > 0 ? $"; {reader.EmptyFrames} of them kept no netlink bytes at all, so their messages are lost" : "") +
                ". The messages cut short are marked IsMalformed. Capture again with a larger snaplen (tcpdump -s 0).");
        else if (reader.EmptyFrames > 0)
            cmdlet.WriteWarning($"{reader.Path}: {reader.EmptyFrames} of its {netlink} netlink records hold no netlink bytes (only the 16-byte header).");
        if (reader.SkippedFrames > 0 && netlink == 0)
            cmdlet.WriteWarning($"{reader.Path}: none of its {reader.RecordsRead} frames is netlink: all were skipped ({LinkTypes.Describe(reader.LinkType)} frames of other devices or protocols).");
        else if (reader.SkippedFrames > 0)
            cmdlet.WriteVerbose($"{reader.Path}: skipped {reader.SkippedFrames} frames that are not netlink (other devices in the capture).");
    }
}
