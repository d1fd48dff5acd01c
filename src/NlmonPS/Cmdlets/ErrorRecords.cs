using NlmonPS.DropMonitoring;
using System.ComponentModel;
using System.Management.Automation;
using NlmonPS.Capture;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;
using NlmonPS.Tracing;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// The one place faults become ErrorRecords. The engines name the fault (an exception type and its kind: see
/// <see cref="DropMonitorErrorKind"/>); here it gets its stable ErrorId (listed in the help), a precise category and
/// the device, path or process as TargetObject. A kernel that lacks a feature (not built, no module support, the
/// module missing, too old) is NotInstalled for every cmdlet; a system that is not Linux is NotImplemented.
/// </summary>
internal static class ErrorRecords
{
    /// <summary>Whose ErrorIds a fault below the engines (socket, libc, kernel errno, timeout) gets.</summary>
    public enum Area { Nlmon, DropMonitor, PortMirror }

    public static ErrorRecord From(Exception e, object? target = null, Area area = Area.Nlmon) => e switch
    {
        CaptureFileException c => new(c, c.Problem switch
        {
            CaptureFileProblem.NotFound => "NetlinkCaptureFileNotFound",
            CaptureFileProblem.IsDirectory => "NetlinkCapturePathIsDirectory",
            CaptureFileProblem.Empty => "NetlinkCaptureFileEmpty",
            CaptureFileProblem.NotACapture => "NetlinkCaptureFileUnreadable",
            CaptureFileProblem.WrongLinkType => "NetlinkCaptureWrongLinkType",
            CaptureFileProblem.Truncated => "NetlinkCaptureTruncated",
            CaptureFileProblem.LinkTypeMismatch => "NetlinkPcapLinkTypeMismatch",
            CaptureFileProblem.WriteFailed => "NetlinkPcapWriteFailed",
            CaptureFileProblem.PermissionDenied => "NetlinkCapturePermissionDenied",
            CaptureFileProblem.TargetIsLink => "NetlinkPcapTargetIsLink",
            _ => "NetlinkCaptureReadFailed",
        }, c.Problem switch
        {
            CaptureFileProblem.NotFound => ErrorCategory.ObjectNotFound,
            CaptureFileProblem.IsDirectory => ErrorCategory.InvalidArgument,
            CaptureFileProblem.WriteFailed => ErrorCategory.WriteError,
            CaptureFileProblem.ReadFailed => ErrorCategory.ReadError,
            CaptureFileProblem.PermissionDenied => ErrorCategory.PermissionDenied,
            CaptureFileProblem.TargetIsLink => ErrorCategory.SecurityError,
            _ => ErrorCategory.InvalidData,
        }, c.Path),
        NlmonUnavailableException u => new(u, u.Reason switch
        {
            NlmonUnavailableReason.NotBuilt => "NlmonNotBuiltIntoKernel",
            NlmonUnavailableReason.NoModuleSupport => "NlmonNoModuleSupport",
            NlmonUnavailableReason.ModuleMissing => "NlmonModuleNotFound",
            NlmonUnavailableReason.ModuleLoadFailed => "NlmonModuleLoadFailed",
            NlmonUnavailableReason.PermissionDenied => "NlmonPermissionDenied",
            _ => "NlmonUnavailable",
        }, u.Reason switch
        {
            NlmonUnavailableReason.NotBuilt or NlmonUnavailableReason.NoModuleSupport or NlmonUnavailableReason.ModuleMissing
                or NlmonUnavailableReason.Unknown => ErrorCategory.NotInstalled,
            NlmonUnavailableReason.PermissionDenied => ErrorCategory.PermissionDenied,
            _ => ErrorCategory.ResourceUnavailable,
        }, target ?? "nlmon"),   // no device named: what is missing is the kernel's nlmon driver
        NotAnNlmonDeviceException n => new(n, "NotAnNlmonDevice", ErrorCategory.InvalidArgument, n.Name),
        NlmonDeviceNotFoundException nf => new(nf, "NlmonDeviceNotFound", ErrorCategory.ObjectNotFound, nf.Name),
        NlmonDeviceDownException d => new(d, "NlmonDeviceDown", ErrorCategory.InvalidOperation, d.Name),
        NetNamespaceException ns => new(ns, ns.NotFound ? "NetNamespaceNotFound" : "NetNamespaceEnterFailed",
            ns.NotFound ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidArgument, ns.Name),
        DropMonitorException d => new(d, d.ErrorId, Category(d.Kind), d.Target),
        PortMirrorException p => new(p, p.ErrorId, Category(p.Kind), p.Device),
        TraceException t => new(t, TraceErrors.IdOf(t.Kind), Category(t), target),
        _ => area switch
        {
            Area.DropMonitor => DropMonitorSystem(e),
            Area.PortMirror => PortMirrorSystem(e, target),
            _ => NlmonSystem(e, target),
        },
    };

    /// <summary>Whether <see cref="From"/> knows this exception (anything else is a bug and should surface as one).</summary>
    public static bool IsExpected(Exception e) => e is NlmonUnavailableException or NotAnNlmonDeviceException or NlmonDeviceNotFoundException
        or NlmonDeviceDownException or NetNamespaceException or NetlinkKernelException or Win32Exception or TimeoutException;

    /// <summary>Faults below the kernel clients: no netlink at all (not Linux), libc missing, the socket refused, no answer.</summary>
    public static bool IsSystem(Exception e) =>
        e is Win32Exception or TimeoutException or PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException;

    public static ErrorCategory Category(DropMonitorErrorKind kind) => kind switch
    {
        DropMonitorErrorKind.NotInKernel or DropMonitorErrorKind.NoModuleSupport or DropMonitorErrorKind.ModuleNotFound
            or DropMonitorErrorKind.FeatureUnsupported => ErrorCategory.NotInstalled,
        DropMonitorErrorKind.ModuleLoadDenied or DropMonitorErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        DropMonitorErrorKind.Busy => ErrorCategory.ResourceBusy,
        DropMonitorErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        _ => ErrorCategory.InvalidOperation,
    };

    public static ErrorCategory Category(PortMirrorErrorKind kind) => kind switch
    {
        PortMirrorErrorKind.DeviceNotFound => ErrorCategory.ObjectNotFound,
        PortMirrorErrorKind.Loop => ErrorCategory.InvalidArgument,
        PortMirrorErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        PortMirrorErrorKind.KernelMissingFeature or PortMirrorErrorKind.KernelNotImplemented => ErrorCategory.NotInstalled,
        PortMirrorErrorKind.QdiscConflict => ErrorCategory.ResourceExists,
        _ => ErrorCategory.InvalidOperation,
    };

    public static ErrorCategory Category(TraceException e) => e.Kind switch
    {
        TraceErrorKind.CommandNotFound => ErrorCategory.ObjectNotFound,
        TraceErrorKind.CommandNotExecutable => ErrorCategory.PermissionDenied,
        TraceErrorKind.PtraceNotPermitted => ErrorCategory.PermissionDenied,
        TraceErrorKind.ProcessNotFound => ErrorCategory.ObjectNotFound,
        TraceErrorKind.UnsupportedKernel => ErrorCategory.NotInstalled,
        TraceErrorKind.ChildOfTracer => ErrorCategory.InvalidOperation,
        _ when e.ErrorNumber == 2 => ErrorCategory.ObjectNotFound,
        _ when e.ErrorNumber is 1 or 13 => ErrorCategory.PermissionDenied,
        _ => ErrorCategory.InvalidOperation,
    };

    private static ErrorRecord NlmonSystem(Exception e, object? target) => e switch
    {
        NetlinkKernelException k => new(k, k.Errno switch
        {
            Libc.EPERM => "NlmonPermissionDenied",
            Libc.ENODEV => "NlmonDeviceNotFound",
            Libc.EEXIST => "NlmonDeviceExists",
            Libc.EINVAL or 34 /* ERANGE */ => "NlmonInvalidSetting",
            _ => "NetlinkKernelError",
        }, k.Errno switch
        {
            Libc.EPERM => ErrorCategory.PermissionDenied,
            Libc.ENODEV => ErrorCategory.ObjectNotFound,
            Libc.EEXIST => ErrorCategory.ResourceExists,
            Libc.EINVAL or 34 => ErrorCategory.InvalidArgument,
            16 /* EBUSY */ => ErrorCategory.ResourceBusy,
            _ => ErrorCategory.NotSpecified,
        }, target),
        Win32Exception { NativeErrorCode: Libc.EPERM or Libc.EACCES } => new(e, "NlmonPermissionDenied", ErrorCategory.PermissionDenied, target),
        Win32Exception => new(e, "NlmonCaptureFailed", ErrorCategory.ReadError, target),
        TimeoutException => new(e, "NetlinkKernelTimeout", ErrorCategory.OperationTimeout, target),
        _ => new(e, "NlmonOperationFailed", ErrorCategory.NotSpecified, target),
    };

    private static ErrorRecord DropMonitorSystem(Exception e) => e switch
    {
        Win32Exception { NativeErrorCode: Libc.EPERM or Libc.EACCES } => new(e, "DropMonitorPermissionDenied", ErrorCategory.PermissionDenied, NetDm.FamilyName),
        PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException =>
            new(new PlatformNotSupportedException("The drop monitor needs Linux (generic netlink family NET_DM).", e), "DropMonitorKernelError", ErrorCategory.NotImplemented, NetDm.FamilyName),
        _ => new(e, "DropMonitorKernelError", ErrorCategory.InvalidOperation, NetDm.FamilyName),
    };

    private static ErrorRecord PortMirrorSystem(Exception e, object? target) => e switch
    {
        Win32Exception { NativeErrorCode: Libc.EPERM or Libc.EACCES } => new(e, "PortMirrorPermissionDenied", ErrorCategory.PermissionDenied, target),
        Win32Exception { NativeErrorCode: 97 or 93 } => new(e, "PortMirrorKernelUnsupported", ErrorCategory.NotInstalled, target),   // EAFNOSUPPORT, EPROTONOSUPPORT
        PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException =>
            new(new PlatformNotSupportedException("Port mirroring needs Linux (rtnetlink and tc).", e), "PortMirrorKernelUnsupported", ErrorCategory.NotImplemented, target),
        _ => new(e, "PortMirrorKernelError", ErrorCategory.InvalidOperation, target),
    };

    public static ErrorRecord ProtocolNotCaptured(IEnumerable<NetlinkProtocol> wrong) => new(
        new ArgumentException($"nlmon never passes {string.Join(", ", wrong)} messages: the kernel's netlink tap only sees " +
            $"{string.Join(", ", NetlinkProtocols.SeenByNlmon)}.{NameSuggestions.DidYouMean(wrong.SelectMany(w => NameSuggestions.Closest(w.ToString(), NetlinkProtocols.SeenByNlmon.Select(p => p.ToString()), 1)).ToList())}" +
            " Use Trace-NetlinkCommand to see the other protocols of one command."),
        "NlmonProtocolNotCaptured", ErrorCategory.InvalidArgument, wrong.ToArray());

    public static ErrorRecord NlmonDeviceNotFound(string name, string ns) => new(
        new ItemNotFoundException($"There is no nlmon device '{name}' in network namespace {ns}."),
        "NlmonDeviceNotFound", ErrorCategory.ObjectNotFound, name);

    public static ErrorRecord NlmonDeviceNameInUse(NotAnNlmonDeviceException e, string name) => new(e, "NlmonDeviceNameInUse", ErrorCategory.ResourceExists, name);

    public static ErrorRecord PortMirrorNotFound(string source, string[]? destinations) => new(
        new ItemNotFoundException($"There is no port mirror from '{source}'{(destinations is null ? "" : $" to {string.Join(", ", destinations)}")}."),
        "PortMirrorNotFound", ErrorCategory.ObjectNotFound, source);

    public static ErrorRecord FilterNeedsPacketMode() => new(new ArgumentException(
        "-InterfaceName, -Reason and -Protocol need packet mode: summary alerts carry only drop locations and counts. Use -Mode Packet, or filter by -Symbol."),
        "DropMonitorFilterNeedsPacketMode", ErrorCategory.InvalidArgument, null);

    public static ErrorRecord UnknownProtocol(DropMonitorException e) => new(e, "DropMonitorUnknownProtocol", ErrorCategory.InvalidArgument, e.Target);

    /// <summary>-Duration not longer than zero, for every cmdlet that has it.</summary>
    public static ErrorRecord InvalidDuration(TimeSpan duration) =>
        new(new ArgumentOutOfRangeException("Duration", duration, "-Duration must be longer than zero."), "InvalidDuration", ErrorCategory.InvalidArgument, duration);

    public static ErrorRecord PortMirrorDeviceNotFound(string name) => From(new PortMirrorException(PortMirrorErrorKind.DeviceNotFound,
        $"Cannot find network device '{name}' in this network namespace.", name));

    public static ErrorRecord HostOutputInRemoteSession(string? commandLine) => new(
        new PSInvalidOperationException("-CommandOutput Host would write the traced command's output to this session's own standard output, " +
            "which in a remote session is the remoting channel (the session would break). Use -CommandOutput Stream (the default: the lines " +
            "come back in the Information stream) or None."),
        "TraceCommandOutputHostInRemoteSession", ErrorCategory.InvalidOperation, commandLine);

    public static ErrorRecord InvalidScriptBlock(NativeCommandLineException e, ScriptBlock block) =>
        new(new ArgumentException(e.Message, e), TraceErrors.NotACommandLine, ErrorCategory.InvalidArgument, block);

    /// <summary>The traced command exited non-zero or was killed: category by how it ended (126/127 as shells use them).</summary>
    public static ErrorRecord CommandFailed(string commandLine, int processId, int? exitCode, int? signal, NetlinkMessage? lastKernelError)
    {
        string how = signal is int s ? $"was killed by signal {s} ({TraceErrors.SignalName(s)})" : $"exited with code {exitCode}";
        string message = $"The traced command '{commandLine}' (process {processId}) {how}.";
        if (lastKernelError?.Error is { } ke)
            message += $" The last error the kernel answered was {ke} (to {ke.RequestName ?? ke.Request?.TypeName ?? "a request"} seq {lastKernelError.Sequence}).";
        var category = signal is not null ? ErrorCategory.OperationStopped
            : exitCode == 126 ? ErrorCategory.PermissionDenied
            : exitCode == 127 ? ErrorCategory.ObjectNotFound
            : ErrorCategory.InvalidResult;
        var exception = new TracedCommandFailedException(message, commandLine, processId, exitCode, signal, lastKernelError?.Error);
        return new ErrorRecord(exception, TraceErrors.CommandFailed, category, commandLine);
    }

    /// <summary>A record read with something wrong that is not in its messages (an impossible timestamp); the record is still decoded.</summary>
    public static ErrorRecord BadRecord(string problem, NlmonPS.Decoding.NetlinkRecord record) => BadRecord(problem, $"{record.Source}#{record.RecordNumber}");

    /// <summary>A record that could not be read (a corrupt pcapng packet block, skipped): its file and number as "path#n".</summary>
    public static ErrorRecord BadRecord(string problem, string target) => new(
        new InvalidDataException(problem), "NetlinkCaptureBadRecord", ErrorCategory.InvalidData, target);

    public static ErrorRecord Malformed(NetlinkMessage message) => new(
        new InvalidDataException($"Malformed {message.Protocol} message {message.TypeName} (record {message.RecordNumber}, message {message.Index}" +
            $"{(message.Source is null ? "" : $", {message.Source}")}): {message.MalformedReason}. It is still emitted, with IsMalformed set; the messages around it are unaffected."),
        "NetlinkMessageMalformed", ErrorCategory.InvalidData, message);

    /// <summary>
    /// Checks the file an export is about to write, the same way for every export cmdlet, and changes nothing (so
    /// -WhatIf is safe): not a directory; not a symbolic link (never written through: another user may have planted
    /// it); an existing file replaced only when neither -NoClobber nor its read-only mode stands in the way (-Force
    /// overrides both: the file is then replaced, never chmodded). ErrorIds are the cmdlet's
    /// <paramref name="errorPrefix"/> + PathIsDirectory / TargetIsLink / DirectoryNotFound / FileExists / FileReadOnly. Returns the full path.
    /// </summary>
    public static string PrepareExportTarget(PSCmdlet cmdlet, string target, bool append, bool noClobber, bool force, string errorPrefix)
    {
        string file = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(target);
        if (NetlinkPcapWriter.IsLink(file, out var linkTarget))
            cmdlet.ThrowTerminatingError(new ErrorRecord(new IOException(
                    $"'{file}' is a symbolic link (to '{linkTarget}'). Exports never write through a link, which another user could have planted; give the real path (Resolve-Path -Path '{file}' shows it)."),
                errorPrefix + "TargetIsLink", ErrorCategory.SecurityError, file));
        if (Directory.Exists(file))
            cmdlet.ThrowTerminatingError(new ErrorRecord(new IOException($"'{file}' is a directory; give a file name for the capture."),
                errorPrefix + "PathIsDirectory", ErrorCategory.InvalidArgument, file));
        if (Path.GetDirectoryName(file) is { Length: > 0 } directory && !Directory.Exists(directory))
            cmdlet.ThrowTerminatingError(new ErrorRecord(new DirectoryNotFoundException(File.Exists(directory)
                    ? $"'{directory}' is a file, not a directory: the capture cannot be written inside it. Give a path in a directory."
                    : $"The directory '{directory}' does not exist (or this user cannot search it): create it first (New-Item -ItemType Directory -Path '{directory}'), or give a path in one that does."),
                errorPrefix + "DirectoryNotFound", ErrorCategory.ObjectNotFound, directory));
        if (!File.Exists(file)) return file;
        if (noClobber && !force && !append)
            cmdlet.ThrowTerminatingError(new ErrorRecord(new IOException($"The file '{file}' already exists and -NoClobber was given. Use -Force to overwrite it or -Append to add to it."),
                errorPrefix + "FileExists", ErrorCategory.ResourceExists, file));
        if (!force && IsReadOnly(file))
            cmdlet.ThrowTerminatingError(new ErrorRecord(new UnauthorizedAccessException(
                    $"'{file}' is read-only (mode {Convert.ToString((int)File.GetUnixFileMode(file), 8)}). Use -Force to {(append ? "append to" : "replace")} it anyway."),
                errorPrefix + "FileReadOnly", ErrorCategory.PermissionDenied, file));
        return file;
    }

    /// <summary>Read-only as PowerShell's own cmdlets see it: no write bit (for root too, which could write anyway).</summary>
    private static bool IsReadOnly(string file) =>
        (File.GetUnixFileMode(file) & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0
        || File.GetAttributes(file).HasFlag(FileAttributes.ReadOnly);

    /// <summary>True when <paramref name="file"/> exists and starts with the pcapng section header magic.</summary>
    public static bool IsPcapng(string file)
    {
        try
        {
            using var f = new FileStream(file, FileMode.Open, FileAccess.Read);
            Span<byte> magic = stackalloc byte[4];
            return f.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(magic) == 0x0A0D0D0A;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
