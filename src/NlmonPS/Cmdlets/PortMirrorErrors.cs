using System.ComponentModel;
using System.Management.Automation;
using NlmonPS.Kernel;

namespace NlmonPS.Cmdlets;

/// <summary>Error records of the port-mirror cmdlets: stable error ids, categories by cause, the device as target.</summary>
internal static class PortMirrorErrors
{
    public static ErrorRecord From(PortMirrorException e) => new(e, e.ErrorId, Category(e.Kind), e.Device);

    public static ErrorCategory Category(PortMirrorErrorKind kind) => kind switch
    {
        PortMirrorErrorKind.DeviceNotFound => ErrorCategory.ObjectNotFound,
        PortMirrorErrorKind.Loop => ErrorCategory.InvalidArgument,
        PortMirrorErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        PortMirrorErrorKind.KernelMissingFeature => ErrorCategory.NotInstalled,
        PortMirrorErrorKind.KernelNotImplemented => ErrorCategory.NotImplemented,
        PortMirrorErrorKind.QdiscConflict => ErrorCategory.ResourceExists,
        _ => ErrorCategory.InvalidOperation,
    };

    /// <summary>The socket itself could not be opened or the kernel did not answer.</summary>
    public static ErrorRecord FromSystem(Exception e, object? target) => e switch
    {
        Win32Exception { NativeErrorCode: 1 or 13 } => new ErrorRecord(e, "PortMirrorPermissionDenied", ErrorCategory.PermissionDenied, target),
        Win32Exception { NativeErrorCode: 97 or 93 } => new ErrorRecord(e, "PortMirrorKernelUnsupported", ErrorCategory.NotInstalled, target),
        PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException =>
            new ErrorRecord(new PlatformNotSupportedException("Port mirroring needs Linux (rtnetlink and tc).", e), "PortMirrorKernelUnsupported", ErrorCategory.NotImplemented, target),
        _ => new ErrorRecord(e, "PortMirrorKernelError", ErrorCategory.InvalidOperation, target),
    };

    public static bool IsSystem(Exception e) =>
        e is Win32Exception or TimeoutException or PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException;

    /// <summary>A name with wildcards matches by pattern, otherwise exactly (case-sensitive: Linux device names are).</summary>
    public static bool Matches(string value, string pattern) =>
        WildcardPattern.ContainsWildcardCharacters(pattern)
            ? new WildcardPattern(pattern, WildcardOptions.None).IsMatch(value)
            : string.Equals(value, pattern, StringComparison.Ordinal);
}
