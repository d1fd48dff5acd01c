using System.Management.Automation;
using NlmonPS.Cmdlets;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;
using Xunit;

namespace NlmonPS.Tests.Mirror;

/// <summary>
/// How kernel errors become port-mirror errors. The kernels that lack clsact, mirred or the classifiers cannot
/// be made here, so their answers (errno and extended ACK text from net/sched) are fed in directly.
/// </summary>
public class PortMirrorErrorTests
{
    private static NetlinkKernelException Kernel(int errno, string? text) =>
        new(new NetlinkError { Errno = errno, ErrorName = Errno.NameOf(errno), Text = Errno.TextOf(errno), ExtendedMessage = text }, "request");

    private static PortMirrorException Classify(int errno, string? text, PortMirrorManager.Operation op) =>
        PortMirrorManager.Classify(Kernel(errno, text), "do it", "eth0", op);

    [Fact]
    public void EpermIsPermissionDenied()
    {
        var e = Classify(1, null, PortMirrorManager.Operation.AddQdisc);
        Assert.Equal((PortMirrorErrorKind.PermissionDenied, "PortMirrorPermissionDenied", "eth0"), (e.Kind, e.ErrorId, e.Device));
        Assert.Contains("CAP_NET_ADMIN", e.Message);
        Assert.Equal(ErrorCategory.PermissionDenied, ErrorRecords.Category(e.Kind));
    }

    [Fact]
    public void NoClsactNamesTheKernelOption()
    {
        var e = Classify(2, "Specified qdisc kind is unknown", PortMirrorManager.Operation.AddQdisc);
        Assert.Equal(PortMirrorErrorKind.KernelMissingFeature, e.Kind);
        Assert.Equal("PortMirrorKernelUnsupported", e.ErrorId);
        Assert.Contains("CONFIG_NET_SCH_INGRESS", e.Message);
        Assert.Contains("Specified qdisc kind is unknown", e.Message);
        Assert.Equal(ErrorCategory.NotInstalled, ErrorRecords.Category(e.Kind));
    }

    [Fact]
    public void NoMirredNamesTheKernelOption()
    {
        var e = Classify(2, "Failed to load TC action module", PortMirrorManager.Operation.AddFilter);
        Assert.Equal(PortMirrorErrorKind.KernelMissingFeature, e.Kind);
        Assert.Contains("CONFIG_NET_ACT_MIRRED", e.Message);
        Assert.Contains("Failed to load TC action module", e.Message);
    }

    [Fact]
    public void NoFilterActionsIsNotImplemented()
    {
        var e = Classify(95, "Classifier actions are not supported per compile options (CONFIG_NET_CLS_ACT)", PortMirrorManager.Operation.AddFilter);
        Assert.Equal(PortMirrorErrorKind.KernelNotImplemented, e.Kind);
        Assert.Equal("PortMirrorKernelUnsupported", e.ErrorId);
        Assert.Contains("CONFIG_NET_CLS_ACT", e.Message);
        Assert.Equal(ErrorCategory.NotInstalled, ErrorRecords.Category(e.Kind));
    }

    [Fact]
    public void OtherErrorsKeepTheExtendedAck()
    {
        var e = Classify(22, "Filter kind and protocol must match", PortMirrorManager.Operation.AddFilter);
        Assert.Equal((PortMirrorErrorKind.KernelError, "PortMirrorKernelError"), (e.Kind, e.ErrorId));
        Assert.Contains("EINVAL", e.Message);
        Assert.Contains("Filter kind and protocol must match", e.Message);
        Assert.Equal(22, e.KernelError!.Errno);
        Assert.Equal(ErrorCategory.InvalidOperation, ErrorRecords.Category(e.Kind));
    }

    [Theory]
    [InlineData(2, "TC classifier not found", true)]
    [InlineData(2, null, true)]
    [InlineData(95, "unknown filter kind", true)]
    [InlineData(2, "Parent Qdisc doesn't exists", false)]
    [InlineData(2, "Failed to load TC action module", false)]
    [InlineData(22, "TC classifier not found", false)]
    [InlineData(1, null, false)]
    public void OnlyAnUnknownClassifierFallsBackToU32(int errno, string? text, bool fallback) =>
        Assert.Equal(fallback, PortMirrorManager.IsUnknownClassifier(Kernel(errno, text)));

    [Fact]
    public void EveryKindHasAStableIdAndCategory()
    {
        var expected = new Dictionary<PortMirrorErrorKind, (string, ErrorCategory)>
        {
            [PortMirrorErrorKind.DeviceNotFound] = ("PortMirrorDeviceNotFound", ErrorCategory.ObjectNotFound),
            [PortMirrorErrorKind.Loop] = ("PortMirrorLoop", ErrorCategory.InvalidArgument),
            [PortMirrorErrorKind.PermissionDenied] = ("PortMirrorPermissionDenied", ErrorCategory.PermissionDenied),
            [PortMirrorErrorKind.KernelMissingFeature] = ("PortMirrorKernelUnsupported", ErrorCategory.NotInstalled),
            [PortMirrorErrorKind.KernelNotImplemented] = ("PortMirrorKernelUnsupported", ErrorCategory.NotInstalled),
            [PortMirrorErrorKind.QdiscConflict] = ("PortMirrorQdiscConflict", ErrorCategory.ResourceExists),
            [PortMirrorErrorKind.KernelError] = ("PortMirrorKernelError", ErrorCategory.InvalidOperation),
        };
        Assert.Equal(Enum.GetValues<PortMirrorErrorKind>().Order(), expected.Keys.Order());
        foreach (var (kind, (id, category)) in expected)
        {
            var record = ErrorRecords.From(new PortMirrorException(kind, "m", "dev0"));
            Assert.Equal((id, category, (object)"dev0"), (record.FullyQualifiedErrorId, record.CategoryInfo.Category, record.TargetObject));
        }
    }
}
