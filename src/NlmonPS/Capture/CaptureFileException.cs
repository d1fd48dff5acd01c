namespace NlmonPS.Capture;

/// <summary>Why a capture file cannot be read (or read on): each maps to a stable ErrorId in the cmdlets.</summary>
internal enum CaptureFileProblem
{
    NotFound,
    IsDirectory,
    Empty,
    NotACapture,
    WrongLinkType,
    Truncated,
    ReadFailed,
    WriteFailed,
    LinkTypeMismatch,
    PermissionDenied,
    /// <summary>An export target that is a symbolic link: never written through.</summary>
    TargetIsLink,
}

internal sealed class CaptureFileException : Exception
{
    public CaptureFileException(CaptureFileProblem problem, string path, string message, Exception? inner = null)
        : base(message, inner) { Problem = problem; Path = path; }

    public CaptureFileProblem Problem { get; }
    public string Path { get; }
}
