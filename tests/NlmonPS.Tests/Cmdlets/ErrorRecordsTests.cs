using NlmonPS.DropMonitoring;
using System.Management.Automation;
using NlmonPS.Cmdlets;
using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;
using NlmonPS.Tracing;
using Xunit;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>The one error mapper: a kernel that lacks a feature reads the same for every cmdlet; -Name patterns.</summary>
public sealed class ErrorRecordsTests
{
    public static TheoryData<string, Exception> KernelLacksAFeature() => new()
    {
        { "NlmonNotBuiltIntoKernel", new NlmonUnavailableException(NlmonUnavailableReason.NotBuilt, "6.1", "no CONFIG_NLMON") },
        { "NlmonNoModuleSupport", new NlmonUnavailableException(NlmonUnavailableReason.NoModuleSupport, "6.1", "no modules") },
        { "NlmonModuleNotFound", new NlmonUnavailableException(NlmonUnavailableReason.ModuleMissing, "6.1", "no nlmon.ko") },
        { "DropMonitorNotInKernel", new DropMonitorException(DropMonitorErrorKind.NotInKernel, "no NET_DM") },
        { "DropMonitorNoModuleSupport", new DropMonitorException(DropMonitorErrorKind.NoModuleSupport, "no modules") },
        { "DropMonitorModuleNotFound", new DropMonitorException(DropMonitorErrorKind.ModuleNotFound, "no drop_monitor.ko") },
        { "DropMonitorFeatureUnsupported", new DropMonitorException(DropMonitorErrorKind.FeatureUnsupported, "before 5.4") },
        { "PortMirrorKernelUnsupported", new PortMirrorException(PortMirrorErrorKind.KernelMissingFeature, "no mirred", "eth0") },
        { "PortMirrorKernelUnsupported", new PortMirrorException(PortMirrorErrorKind.KernelNotImplemented, "EOPNOTSUPP", "eth0") },
        { "TraceUnsupportedKernel", new TraceException(TraceErrorKind.UnsupportedKernel, "before 5.3") },
    };

    [Theory]
    [MemberData(nameof(KernelLacksAFeature))]
    public void AMissingKernelFeatureIsNotInstalledEverywhere(string errorId, Exception fault)
    {
        var record = ErrorRecords.From(fault, "target");
        Assert.Equal(errorId, record.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.NotInstalled, record.CategoryInfo.Category);
    }

    [Theory]
    [InlineData("eth0", "eth0", true)]
    [InlineData("eth0", "ETH0", false)]   // Linux device names are case-sensitive
    [InlineData("eth0", "eth*", true)]
    [InlineData("veth1", "eth*", false)]
    [InlineData("nlmon0", "nlmon[0-9]", true)]
    public void NamePatternsMatchExactlyOrByWildcard(string name, string pattern, bool matches)
    {
        Assert.Equal(matches, NamePattern.Matches(name, pattern));
        Assert.Equal(matches ? new[] { name } : Array.Empty<string>(), NamePattern.Select(new[] { name }, n => n, pattern));
    }
}
