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
    /// The messages of every file, decoded in order by one decoder (a capture rotated into several files is one
    /// stream). A file that cannot be read is written as an error and the next one is read; a bad record is an error
    /// and reading goes on; what a whole file lost is a warning (<see cref="ReportLoss"/>), as Get-NetlinkMessage
    /// gives. <paramref name="fileRead"/> hears how many messages each file read to its end gave.
    /// </summary>
    public static IEnumerable<NetlinkMessage> Messages(PSCmdlet cmdlet, string[] paths, bool literal, NetlinkDecoder decoder,
        Action<string, long>? fileRead = null)
    {
        var decoded = new List<NetlinkMessage>();
        foreach (var file in Resolve(cmdlet, paths, literal))
        {
            NetlinkCaptureReader reader;
            try
            {
                reader = NetlinkCaptureReader.Open(file);
            }
            catch (CaptureFileException e)
            {
                cmdlet.WriteError(ErrorRecords.From(e));
                continue;
            }
            using (reader)
            {
                long count = 0, doubts = decoder.Context.ByteOrderDoubts;
                while (true)
                {
                    NetlinkRecord? record;
                    try
                    {
                        record = reader.ReadNext();
                    }
                    catch (CaptureFileException e)
                    {
                        cmdlet.WriteError(ErrorRecords.From(e));
                        break;
                    }
                    if (record is null)
                    {
                        ReportLoss(cmdlet, reader, decoder.Context.ByteOrderDoubts - doubts);
                        fileRead?.Invoke(file, count);
                        break;
                    }
                    if (reader.RecordProblem is { } problem) cmdlet.WriteError(ErrorRecords.BadRecord(problem, record));
                    decoded.Clear();
                    decoder.Decode(record, null, decoded);
                    foreach (var message in decoded)
                    {
                        count++;
                        yield return message;
                    }
                }
            }
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
