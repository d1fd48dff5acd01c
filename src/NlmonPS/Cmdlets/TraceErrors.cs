using System.Management.Automation;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.Tracing;

namespace NlmonPS.Cmdlets;

/// <summary>
/// The traced command ended badly: a non-zero exit code or a signal. Carried by the TracedCommandFailed error
/// record of Trace-NetlinkCommand (<c>$err.Exception.ExitCode</c>).
/// </summary>
public sealed class TracedCommandFailedException : Exception
{
    public TracedCommandFailedException(string message, string commandLine, int processId, int? exitCode, int? signal, NetlinkError? lastKernelError)
        : base(message)
    {
        CommandLine = commandLine;
        ProcessId = processId;
        ExitCode = exitCode;
        Signal = signal;
        LastKernelError = lastKernelError;
    }

    public string CommandLine { get; }
    public int ProcessId { get; }
    /// <summary>The exit status when the command exited; null when a signal killed it.</summary>
    public int? ExitCode { get; }
    /// <summary>The signal that killed the command (9 for SIGKILL), null when it exited.</summary>
    public int? Signal { get; }
    public string? SignalName => Signal is int s ? TraceErrors.SignalName(s) : null;
    /// <summary>The last error (not ACK) the kernel answered any traced request with, if any.</summary>
    public NetlinkError? LastKernelError { get; }
}

/// <summary>Stable ErrorIds of Trace-NetlinkCommand (listed in its help) and signal names.</summary>
internal static class TraceErrors
{
    public const string CommandNotFound = "TraceCommandNotFound";
    public const string CommandNotExecutable = "TraceCommandNotExecutable";
    public const string PtraceNotPermitted = "TracePtraceNotPermitted";
    public const string ProcessNotFound = "TraceProcessNotFound";
    public const string UnsupportedKernel = "TraceUnsupportedKernel";
    public const string ChildOfHost = "TraceProcessIsChildOfHost";
    public const string Failed = "TraceFailed";
    public const string NotACommandLine = "TraceScriptBlockNotCommandLine";
    public const string CommandFailed = "TracedCommandFailed";

    /// <summary>The ErrorId of an engine fault (its record is made by <see cref="ErrorRecords.From"/>).</summary>
    public static string IdOf(TraceErrorKind kind) => kind switch
    {
        TraceErrorKind.CommandNotFound => CommandNotFound,
        TraceErrorKind.CommandNotExecutable => CommandNotExecutable,
        TraceErrorKind.PtraceNotPermitted => PtraceNotPermitted,
        TraceErrorKind.ProcessNotFound => ProcessNotFound,
        TraceErrorKind.UnsupportedKernel => UnsupportedKernel,
        TraceErrorKind.ChildOfTracer => ChildOfHost,
        _ => Failed,
    };

    /// <summary>Linux signal names (x86-64 and arm64 share the numbering).</summary>
    public static string SignalName(int signal) => signal switch
    {
        1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", 4 => "SIGILL", 5 => "SIGTRAP", 6 => "SIGABRT", 7 => "SIGBUS",
        8 => "SIGFPE", 9 => "SIGKILL", 10 => "SIGUSR1", 11 => "SIGSEGV", 12 => "SIGUSR2", 13 => "SIGPIPE",
        14 => "SIGALRM", 15 => "SIGTERM", 16 => "SIGSTKFLT", 17 => "SIGCHLD", 18 => "SIGCONT", 19 => "SIGSTOP",
        20 => "SIGTSTP", 21 => "SIGTTIN", 22 => "SIGTTOU", 23 => "SIGURG", 24 => "SIGXCPU", 25 => "SIGXFSZ",
        26 => "SIGVTALRM", 27 => "SIGPROF", 28 => "SIGWINCH", 29 => "SIGIO", 30 => "SIGPWR", 31 => "SIGSYS",
        _ when signal >= 34 && signal <= 64 => $"SIGRTMIN+{signal - 34}",
        _ => $"signal {signal}",
    };
}
