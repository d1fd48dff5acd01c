using NlmonPS.KernelClients;

namespace NlmonPS.DropMonitoring;

/// <summary>Why the drop monitor cannot do what was asked. Each kind has its own stable ErrorId (listed in the help).</summary>
internal enum DropMonitorErrorKind
{
    /// <summary>The kernel was built without CONFIG_NET_DROP_MONITOR.</summary>
    NotInKernel,
    /// <summary>NET_DM is not built in and the kernel cannot load modules (CONFIG_MODULES off).</summary>
    NoModuleSupport,
    /// <summary>drop_monitor is a module of this kernel but its file is not installed.</summary>
    ModuleNotFound,
    /// <summary>Loading drop_monitor needs root (CAP_SYS_MODULE).</summary>
    ModuleLoadDenied,
    /// <summary>modprobe drop_monitor failed, or NET_DM did not appear after it.</summary>
    ModuleLoadFailed,
    /// <summary>NET_DM exists only in the initial network namespace.</summary>
    NotInInitialNamespace,
    /// <summary>The kernel answered EPERM: configuring, starting and stopping need CAP_NET_ADMIN.</summary>
    PermissionDenied,
    /// <summary>Monitoring is on (another session): the kernel refuses configuration (EBUSY) or a second start (EAGAIN).</summary>
    Busy,
    /// <summary>The kernel predates packet mode (5.4) or per-origin monitoring.</summary>
    FeatureUnsupported,
    /// <summary>A name given to a filter does not exist (interface, network namespace).</summary>
    NotFound,
    /// <summary>Any other kernel error (its extended ACK is quoted).</summary>
    KernelError,
}

internal sealed class DropMonitorException : Exception
{
    public DropMonitorException(DropMonitorErrorKind kind, string message, Exception? inner = null, int errno = 0)
        : base(message, inner) { Kind = kind; Errno = errno; }

    public DropMonitorErrorKind Kind { get; }
    /// <summary>The kernel's errno when the kernel refused (0 otherwise).</summary>
    public int Errno { get; }
    /// <summary>What the error is about (a device, a namespace, "NET_DM").</summary>
    public object? Target { get; init; }

    public string ErrorId => "DropMonitor" + Kind switch
    {
        DropMonitorErrorKind.NotInKernel => "NotInKernel",
        DropMonitorErrorKind.NoModuleSupport => "NoModuleSupport",
        DropMonitorErrorKind.ModuleNotFound => "ModuleNotFound",
        DropMonitorErrorKind.ModuleLoadDenied => "ModuleLoadDenied",
        DropMonitorErrorKind.ModuleLoadFailed => "ModuleLoadFailed",
        DropMonitorErrorKind.NotInInitialNamespace => "NotInInitialNamespace",
        DropMonitorErrorKind.PermissionDenied => "PermissionDenied",
        DropMonitorErrorKind.Busy => "Busy",
        DropMonitorErrorKind.FeatureUnsupported => "FeatureUnsupported",
        DropMonitorErrorKind.NotFound => "NotFound",
        _ => "KernelError",
    };
}
