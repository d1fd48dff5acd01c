using System.ComponentModel;
using System.Management.Automation;
using NlmonPS.Capture;
using NlmonPS.Kernel;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>Stable ErrorIds and categories for the nlmon device and live capture cmdlets (listed in their help).</summary>
internal static class NlmonErrorRecords
{
    /// <summary>Turns what the kernel clients throw into an ErrorRecord whose TargetObject is the device name.</summary>
    public static ErrorRecord From(Exception ex, object? target) => ex switch
    {
        NlmonUnavailableException u => new ErrorRecord(u, u.Reason switch
        {
            NlmonUnavailableReason.NotBuilt => "NlmonNotBuiltIntoKernel",
            NlmonUnavailableReason.NoModuleSupport => "NlmonNoModuleSupport",
            NlmonUnavailableReason.ModuleMissing => "NlmonModuleNotFound",
            NlmonUnavailableReason.ModuleLoadFailed => "NlmonModuleLoadFailed",
            NlmonUnavailableReason.PermissionDenied => "NlmonPermissionDenied",
            _ => "NlmonUnavailable",
        }, u.Reason switch
        {
            NlmonUnavailableReason.NotBuilt or NlmonUnavailableReason.NoModuleSupport or NlmonUnavailableReason.Unknown => ErrorCategory.NotImplemented,
            NlmonUnavailableReason.ModuleMissing => ErrorCategory.NotInstalled,
            NlmonUnavailableReason.PermissionDenied => ErrorCategory.PermissionDenied,
            _ => ErrorCategory.ResourceUnavailable,
        }, target),
        NotAnNlmonDeviceException n => new ErrorRecord(n, "NotAnNlmonDevice", ErrorCategory.InvalidArgument, n.Name),
        NlmonDeviceNotFoundException nf => new ErrorRecord(nf, "NlmonDeviceNotFound", ErrorCategory.ObjectNotFound, nf.Name),
        NlmonDeviceDownException d => new ErrorRecord(d, "NlmonDeviceDown", ErrorCategory.InvalidOperation, d.Name),
        NetNamespaceException ns => new ErrorRecord(ns, ns.NotFound ? "NetNamespaceNotFound" : "NetNamespaceEnterFailed",
            ns.NotFound ? ErrorCategory.ObjectNotFound : ErrorCategory.InvalidArgument, ns.Name),
        NetlinkKernelException k => new ErrorRecord(k, k.Errno switch
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
        Win32Exception w when w.NativeErrorCode is Libc.EPERM or Libc.EACCES =>
            new ErrorRecord(w, "NlmonPermissionDenied", ErrorCategory.PermissionDenied, target),
        Win32Exception w => new ErrorRecord(w, "NlmonCaptureFailed", ErrorCategory.ReadError, target),
        TimeoutException t => new ErrorRecord(t, "NetlinkKernelTimeout", ErrorCategory.OperationTimeout, target),
        _ => new ErrorRecord(ex, "NlmonOperationFailed", ErrorCategory.NotSpecified, target),
    };

    /// <summary>Whether <see cref="From"/> knows this exception (anything else is a bug and should surface as one).</summary>
    public static bool IsExpected(Exception ex) => ex is NlmonUnavailableException or NotAnNlmonDeviceException or NlmonDeviceNotFoundException
        or NlmonDeviceDownException or NetNamespaceException or NetlinkKernelException or Win32Exception or TimeoutException;

    public static ErrorRecord ProtocolNotCaptured(IEnumerable<NetlinkProtocol> wrong) => new(
        new ArgumentException($"nlmon never passes {string.Join(", ", wrong)} messages: the kernel's netlink tap only sees " +
            $"{string.Join(", ", NetlinkProtocols.SeenByNlmon)}.{NameSuggestions.DidYouMean(wrong.SelectMany(w => NameSuggestions.Closest(w.ToString(), NetlinkProtocols.SeenByNlmon.Select(p => p.ToString()), 1)).ToList())}" +
            " Use Trace-NetlinkCommand to see the other protocols of one command."),
        "NlmonProtocolNotCaptured", ErrorCategory.InvalidArgument, wrong.ToArray());

    public static ErrorRecord NotFound(string name, string ns) => new(
        new ItemNotFoundException($"There is no nlmon device '{name}' in network namespace {ns}."),
        "NlmonDeviceNotFound", ErrorCategory.ObjectNotFound, name);
}
