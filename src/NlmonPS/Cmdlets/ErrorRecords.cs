using System.Management.Automation;
using NlmonPS.Capture;

namespace NlmonPS.Cmdlets;

/// <summary>Stable ErrorIds and categories, listed in the help, for the faults cmdlets report.</summary>
internal static class ErrorRecords
{
    public static ErrorRecord From(CaptureFileException ex) => new(ex, ex.Problem switch
    {
        CaptureFileProblem.NotFound => "NetlinkCaptureFileNotFound",
        CaptureFileProblem.IsDirectory => "NetlinkCapturePathIsDirectory",
        CaptureFileProblem.Empty => "NetlinkCaptureFileEmpty",
        CaptureFileProblem.NotACapture => "NetlinkCaptureFileUnreadable",
        CaptureFileProblem.WrongLinkType => "NetlinkCaptureWrongLinkType",
        CaptureFileProblem.Truncated => "NetlinkCaptureTruncated",
        CaptureFileProblem.LinkTypeMismatch => "NetlinkPcapLinkTypeMismatch",
        CaptureFileProblem.WriteFailed => "NetlinkPcapWriteFailed",
        _ => "NetlinkCaptureReadFailed",
    }, ex.Problem switch
    {
        CaptureFileProblem.NotFound => ErrorCategory.ObjectNotFound,
        CaptureFileProblem.IsDirectory => ErrorCategory.InvalidArgument,
        CaptureFileProblem.WriteFailed => ErrorCategory.WriteError,
        CaptureFileProblem.ReadFailed => ErrorCategory.ReadError,
        CaptureFileProblem.LinkTypeMismatch => ErrorCategory.InvalidData,
        _ => ErrorCategory.InvalidData,
    }, ex.Path);

    public static ErrorRecord Malformed(NlmonPS.Decoding.NetlinkMessage message) => new(
        new InvalidDataException($"Malformed {message.Protocol} message {message.TypeName} (record {message.RecordNumber}, message {message.Index}" +
            $"{(message.Source is null ? "" : $", {message.Source}")}): {message.MalformedReason}. It is still emitted, with IsMalformed set; the messages around it are unaffected."),
        "NetlinkMessageMalformed", ErrorCategory.InvalidData, message);

    /// <summary>
    /// Checks the file an export is about to write, the same way for every export cmdlet: not a directory, and an
    /// existing file replaced only when neither -NoClobber nor a read-only bit stands in the way (-Force clears both).
    /// ErrorIds are the cmdlet's <paramref name="errorPrefix"/> + PathIsDirectory / FileExists. Returns the full path.
    /// </summary>
    public static string PrepareExportTarget(PSCmdlet cmdlet, string target, bool append, bool noClobber, bool force, string errorPrefix)
    {
        string file = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(target);
        if (Directory.Exists(file))
            cmdlet.ThrowTerminatingError(new ErrorRecord(new IOException($"'{file}' is a directory; give a file name for the capture."),
                errorPrefix + "PathIsDirectory", ErrorCategory.InvalidArgument, file));
        if (File.Exists(file) && !append)
        {
            if (noClobber && !force)
                cmdlet.ThrowTerminatingError(new ErrorRecord(new IOException($"The file '{file}' already exists and -NoClobber was given. Use -Force to overwrite it or -Append to add to it."),
                    errorPrefix + "FileExists", ErrorCategory.ResourceExists, file));
            if (force && File.GetAttributes(file).HasFlag(FileAttributes.ReadOnly))
                File.SetAttributes(file, File.GetAttributes(file) & ~FileAttributes.ReadOnly);
        }
        return file;
    }
}
