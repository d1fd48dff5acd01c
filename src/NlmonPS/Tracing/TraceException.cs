using System.Runtime.InteropServices;

namespace NlmonPS.Tracing;

/// <summary>Why tracing could not start or stopped working: lets the cmdlet pick an ErrorCategory.</summary>
internal enum TraceErrorKind
{
    /// <summary>Anything else; see <see cref="TraceException.ErrorName"/> for the errno when there is one.</summary>
    Other,

    /// <summary>The file name did not resolve to an executable (PATH search included).</summary>
    CommandNotFound,

    /// <summary>The file exists but may not be executed (no execute permission for this user, or a directory).</summary>
    CommandNotExecutable,

    /// <summary>ptrace was refused (EPERM): Yama ptrace_scope, missing CAP_SYS_PTRACE, seccomp, or already traced.</summary>
    PtraceNotPermitted,

    /// <summary>No such process to attach to.</summary>
    ProcessNotFound,

    /// <summary>The kernel lacks PTRACE_GET_SYSCALL_INFO (Linux 5.3+ needed).</summary>
    UnsupportedKernel,

    /// <summary>
    /// Attach refused: the process is a child of this (.NET) process. The runtime waits for the children it
    /// started (Process.Start, PowerShell's native commands and Start-Process) on every SIGCHLD and would take
    /// the ptrace stop reports of that child from the tracer thread, leaving it stopped for good.
    /// </summary>
    ChildOfTracer,
}

internal sealed class TraceException : Exception
{
    public TraceException(TraceErrorKind kind, string message, int errorNumber = 0, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        ErrorNumber = errorNumber;
    }

    public TraceErrorKind Kind { get; }

    /// <summary>errno of the failing call, 0 if none.</summary>
    public int ErrorNumber { get; }

    /// <summary>Symbolic errno (EPERM, ESRCH...), null if none.</summary>
    public string? ErrorName => ErrorNumber == 0 ? null : ErrnoName(ErrorNumber);

    internal static TraceException FromErrno(TraceErrorKind kind, string what, int errno) =>
        new(kind, $"{what}: {ErrnoName(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})", errno);

    internal static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        7 => "E2BIG",
        8 => "ENOEXEC",
        9 => "EBADF",
        10 => "ECHILD",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        23 => "ENFILE",
        24 => "EMFILE",
        26 => "ETXTBSY",
        36 => "ENAMETOOLONG",
        38 => "ENOSYS",
        40 => "ELOOP",
        95 => "EOPNOTSUPP",
        _ => "errno " + errno,
    };
}
