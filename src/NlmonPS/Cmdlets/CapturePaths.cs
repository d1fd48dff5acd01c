using System.Management.Automation;
using NlmonPS.Capture;

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
}
