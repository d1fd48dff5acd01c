using System.ComponentModel;
using System.Management.Automation;
using NlmonPS.Kernel;

namespace NlmonPS.Cmdlets;

/// <summary>Error records of the drop-monitor cmdlets: stable ErrorIds (DropMonitorNotInKernel...), categories by cause.</summary>
internal static class DropMonitorErrors
{
    public static ErrorRecord From(DropMonitorException e) => new(e, e.ErrorId, Category(e.Kind), e.Target);

    public static ErrorCategory Category(DropMonitorErrorKind kind) => kind switch
    {
        DropMonitorErrorKind.NotInKernel or DropMonitorErrorKind.NoModuleSupport or DropMonitorErrorKind.ModuleNotFound => ErrorCategory.NotInstalled,
        DropMonitorErrorKind.ModuleLoadDenied or DropMonitorErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        DropMonitorErrorKind.Busy => ErrorCategory.ResourceBusy,
        DropMonitorErrorKind.FeatureUnsupported => ErrorCategory.NotImplemented,
        DropMonitorErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        DropMonitorErrorKind.NotInInitialNamespace => ErrorCategory.InvalidOperation,
        _ => ErrorCategory.InvalidOperation,
    };

    /// <summary>Faults below the drop-monitor client: no netlink at all (not Linux), libc missing.</summary>
    public static ErrorRecord FromSystem(Exception e) => e switch
    {
        Win32Exception { NativeErrorCode: 1 or 13 } => new ErrorRecord(e, "DropMonitorPermissionDenied", ErrorCategory.PermissionDenied, NetDm.FamilyName),
        PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException =>
            new ErrorRecord(new PlatformNotSupportedException("The drop monitor needs Linux (generic netlink family NET_DM).", e), "DropMonitorKernelError", ErrorCategory.NotImplemented, NetDm.FamilyName),
        _ => new ErrorRecord(e, "DropMonitorKernelError", ErrorCategory.InvalidOperation, NetDm.FamilyName),
    };

    public static bool IsSystem(Exception e) =>
        e is Win32Exception or TimeoutException or PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException;
}
