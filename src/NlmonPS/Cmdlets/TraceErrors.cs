using System.ComponentModel;
using System.Management.Automation;
using NlmonPS.Decoding;
using NlmonPS.Kernel;
using NlmonPS.Tracing;
using NlmonPS.Wire;

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

/// <summary>Stable ErrorIds and categories of Trace-NetlinkCommand (listed in its help).</summary>
internal static class TraceErrors
{
    public const string CommandNotFound = "TraceCommandNotFound";
    public const string PtraceNotPermitted = "TracePtraceNotPermitted";
    public const string ProcessNotFound = "TraceProcessNotFound";
    public const string UnsupportedKernel = "TraceUnsupportedKernel";
    public const string ChildOfHost = "TraceProcessIsChildOfHost";
    public const string Failed = "TraceFailed";
    public const string NotACommandLine = "TraceScriptBlockNotCommandLine";
    public const string CommandFailed = "TracedCommandFailed";

    /// <summary>Why tracing could not start (or broke down): the engine's kind picks id and category.</summary>
    public static ErrorRecord From(TraceException e, object? target) => new(e, IdOf(e.Kind), CategoryOf(e), target);

    public static string IdOf(TraceErrorKind kind) => kind switch
    {
        TraceErrorKind.CommandNotFound => CommandNotFound,
        TraceErrorKind.PtraceNotPermitted => PtraceNotPermitted,
        TraceErrorKind.ProcessNotFound => ProcessNotFound,
        TraceErrorKind.UnsupportedKernel => UnsupportedKernel,
        TraceErrorKind.ChildOfTracer => ChildOfHost,
        _ => Failed,
    };

    public static ErrorCategory CategoryOf(TraceException e) => e.Kind switch
    {
        TraceErrorKind.CommandNotFound => ErrorCategory.ObjectNotFound,
        TraceErrorKind.PtraceNotPermitted => ErrorCategory.PermissionDenied,
        TraceErrorKind.ProcessNotFound => ErrorCategory.ObjectNotFound,
        TraceErrorKind.UnsupportedKernel => ErrorCategory.NotImplemented,
        TraceErrorKind.ChildOfTracer => ErrorCategory.InvalidOperation,
        _ when e.ErrorNumber == 2 => ErrorCategory.ObjectNotFound,
        _ when e.ErrorNumber is 1 or 13 => ErrorCategory.PermissionDenied,
        _ => ErrorCategory.InvalidOperation,
    };

    public static ErrorRecord HostOutputInRemoteSession(string? commandLine) => new(
        new PSInvalidOperationException("-CommandOutput Host would write the traced command's output to this session's own standard output, " +
            "which in a remote session is the remoting channel (the session would break). Use -CommandOutput Stream (the default: the lines " +
            "come back in the Information stream) or None."),
        "TraceCommandOutputHostInRemoteSession", ErrorCategory.InvalidOperation, commandLine);

    public static ErrorRecord InvalidScriptBlock(NativeCommandLineException e, ScriptBlock block) =>
        new(new ArgumentException(e.Message, e), NotACommandLine, ErrorCategory.InvalidArgument, block);

    /// <summary>The traced command exited non-zero or was killed: category by how it ended (126/127 as shells use them).</summary>
    public static ErrorRecord CommandFailedRecord(string commandLine, int processId, int? exitCode, int? signal, NetlinkMessage? lastKernelError)
    {
        string how = signal is int s ? $"was killed by signal {s} ({SignalName(s)})" : $"exited with code {exitCode}";
        string message = $"The traced command '{commandLine}' (process {processId}) {how}.";
        if (lastKernelError?.Error is { } ke)
            message += $" The last error the kernel answered was {ke} (to {ke.Request?.TypeName ?? "a request"} seq {lastKernelError.Sequence}).";
        var category = signal is not null ? ErrorCategory.OperationStopped
            : exitCode == 126 ? ErrorCategory.PermissionDenied
            : exitCode == 127 ? ErrorCategory.ObjectNotFound
            : ErrorCategory.InvalidResult;
        var exception = new TracedCommandFailedException(message, commandLine, processId, exitCode, signal, lastKernelError?.Error);
        return new ErrorRecord(exception, CommandFailed, category, commandLine);
    }

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

    /// <summary>
    /// Every generic netlink family of the running kernel (nlctrl CTRL_CMD_GETFAMILY dump), so traffic of a family
    /// the traced command never resolves in the trace still decodes by name. Family ids are global, not per netns.
    /// </summary>
    public static Dictionary<int, string> KernelGenericFamilies()
    {
        const ushort GENL_ID_CTRL = 16;
        const byte CTRL_CMD_GETFAMILY = 3;
        var families = new Dictionary<int, string>();
        using var socket = new NlmonPS.Kernel.NetlinkSocket(NetlinkProtocol.Generic);
        var request = new MessageBuilder(GENL_ID_CTRL, Nl.NLM_F_DUMP).AddBytes(new byte[] { CTRL_CMD_GETFAMILY, 1, 0, 0 });
        foreach (var m in socket.Request(request, "nlctrl CTRL_CMD_GETFAMILY dump", timeoutMs: 2000))
            if (m.Attributes["family_id"] is ushort id && m.Attributes["family_name"] is string name)
                families[id] = name;
        return families;
    }

    /// <summary>The faults <see cref="KernelGenericFamilies"/> can meet; tracing goes on without the names.</summary>
    public static bool IsFamilyDumpFault(Exception e) =>
        e is Win32Exception or TimeoutException or NetlinkKernelException or PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException;
}
