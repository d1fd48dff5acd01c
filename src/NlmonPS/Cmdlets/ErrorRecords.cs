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
}
