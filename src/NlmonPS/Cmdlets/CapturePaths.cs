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
    /// stream). A file that cannot be read is written as an error and the next one is read; <paramref name="fileRead"/>
    /// hears how many messages each file read to its end gave.
    /// </summary>
    public static IEnumerable<NetlinkMessage> Messages(PSCmdlet cmdlet, string[] paths, bool literal, NetlinkDecoder decoder,
        Action<string, long>? fileRead = null)
    {
        foreach (var file in Resolve(cmdlet, paths, literal))
        {
            long count = 0;
            bool faulted = false;
            using (var messages = CaptureMessages.Read(file, decoder).GetEnumerator())
            {
                while (true)
                {
                    try
                    {
                        if (!messages.MoveNext()) break;
                    }
                    catch (CaptureFileException e)
                    {
                        cmdlet.WriteError(ErrorRecords.From(e));
                        faulted = true;
                        break;
                    }
                    count++;
                    yield return messages.Current;
                }
            }
            if (!faulted) fileRead?.Invoke(file, count);
        }
    }
}
