using System.Management.Automation;
using NlmonPS.Cmdlets;
using NlmonPS.KernelClients;
using Xunit;

namespace NlmonPS.Tests.Live;

/// <summary>
/// The nlmon cmdlets on this machine, inside a named namespace of their own (`ip netns add`) so nothing touches the
/// host's links: errors, parameters, and the clear "this kernel has no nlmon" error where the kernel has none.
/// </summary>
public sealed class NlmonCmdletTests : IDisposable
{
    private readonly PowerShellHost _host = new();
    private readonly string _ns = $"nlmonps-test-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    public NlmonCmdletTests()
    {
        PrivateNetns.Sh($"ip netns add {_ns} && ip -n {_ns} link add va type veth peer name vb");
    }

    private PowerShellHost.Result Run(string script) => _host.Run(script, new Dictionary<string, object?> { ["ns"] = _ns });

    private static ErrorRecord Error(PowerShellHost.Result r) =>
        (r.Terminating as IContainsErrorRecord)?.ErrorRecord ?? Assert.Single(r.Errors);

    /// <summary>The reason this kernel cannot have nlmon, judged independently of the cmdlets; null when it can.</summary>
    private static NlmonUnavailableException? WhyNoNlmon()
    {
        if (Directory.Exists("/sys/module/nlmon")) return null;
        return NlmonKernelModule.Diagnose(new KernelModuleFacts());
    }

    private static readonly Dictionary<NlmonUnavailableReason, (string Id, ErrorCategory Category, string Evidence)> Expected = new()
    {
        [NlmonUnavailableReason.NotBuilt] = ("NlmonNotBuiltIntoKernel", ErrorCategory.NotInstalled, "CONFIG_NLMON"),
        [NlmonUnavailableReason.NoModuleSupport] = ("NlmonNoModuleSupport", ErrorCategory.NotInstalled, "/proc/modules"),
        [NlmonUnavailableReason.ModuleMissing] = ("NlmonModuleNotFound", ErrorCategory.NotInstalled, "nlmon"),
        [NlmonUnavailableReason.ModuleLoadFailed] = ("NlmonModuleLoadFailed", ErrorCategory.ResourceUnavailable, "modules_disabled"),
    };

    [Fact]
    public void TemporaryDeviceNamesAreNlmonpsAndDigits()
    {
        Assert.True(NlmonDevices.IsTemporaryName("nlmonps0"));
        Assert.True(NlmonDevices.IsTemporaryName("nlmonps31337"));
        Assert.False(NlmonDevices.IsTemporaryName("nlmonps"));
        Assert.False(NlmonDevices.IsTemporaryName("nlmonps-a"));
        Assert.False(NlmonDevices.IsTemporaryName("nlmon0"));
    }

    [Fact]
    public void NewNlmonDeviceSaysWhyThisKernelHasNoNlmon()
    {
        if (WhyNoNlmon() is not { } why) { Assert.Skip("this kernel can have nlmon: the Live suite covers it"); return; }
        var r = Run("New-NlmonDevice -Name nlmon7 -NetNamespace $ns -PassThru");
        var e = Error(r);
        var (id, category, evidence) = Expected[why.Reason];
        Assert.Equal(id, e.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(category, e.CategoryInfo.Category);
        Assert.Equal("nlmon7", e.TargetObject);
        Assert.Contains("This kernel", e.Exception.Message);
        Assert.Contains(evidence, e.Exception.Message);
        Assert.Contains("Trace-NetlinkCommand", e.Exception.Message);
        Assert.DoesNotContain("nlmon7", PrivateNetns.Sh($"ip -n {_ns} link"));
    }

    [Fact]
    public void LiveGetNetlinkMessageSaysWhyThisKernelHasNoNlmon()
    {
        if (WhyNoNlmon() is not { } why) { Assert.Skip("this kernel can have nlmon: the Live suite covers it"); return; }
        var r = Run("Get-NetlinkMessage -Count 1 -NetNamespace $ns");
        var e = Error(r);
        Assert.Equal(Expected[why.Reason].Id, e.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains(Expected[why.Reason].Evidence, e.Exception.Message);
        Assert.Contains("Trace-NetlinkCommand", e.Exception.Message);
        Assert.Empty(r.Output);
        // No temporary device is left behind (none could be made).
        Assert.DoesNotContain("nlmonps", PrivateNetns.Sh($"ip -n {_ns} link"));
    }

    [Fact]
    public void ProtocolsNlmonNeverPassesAreRefused()
    {
        var r = Run("Get-NetlinkMessage -Protocol Route, Audit, KobjectUevent -Count 1");
        var e = Error(r);
        Assert.Equal("NlmonProtocolNotCaptured", e.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.Contains("Audit, KobjectUevent", e.Exception.Message);
        foreach (var p in NlmonPS.Wire.NetlinkProtocols.SeenByNlmon) Assert.Contains(p.ToString(), e.Exception.Message);
    }

    [Fact]
    public void DevicesOfOtherKindsAreNeverTouched()
    {
        var get = Run("Get-NlmonDevice -Name va -NetNamespace $ns");
        Assert.Equal("NotAnNlmonDevice", Error(get).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("va", Error(get).TargetObject);
        var remove = Run("Remove-NlmonDevice -Name va -NetNamespace $ns");
        Assert.Equal("NotAnNlmonDevice", Error(remove).FullyQualifiedErrorId.Split(',')[0]);
        var set = Run("Set-NlmonDevice -Name va -State Up -NetNamespace $ns");
        Assert.Equal("NotAnNlmonDevice", Error(set).FullyQualifiedErrorId.Split(',')[0]);
        var links = PrivateNetns.Sh($"ip -n {_ns} link show va");
        Assert.Contains("va@vb", links);
        Assert.DoesNotContain(",UP", links);
        var wildcard = Run("Remove-NlmonDevice -Name v* -NetNamespace $ns");
        Assert.Empty(wildcard.Errors);
        Assert.Contains("va@vb", PrivateNetns.Sh($"ip -n {_ns} link show va"));
    }

    [Fact]
    public void MissingDevicesAndNamespaces()
    {
        var r = Run("Get-NlmonDevice -NetNamespace $ns; Get-NlmonDevice -Name nothere -NetNamespace $ns; Get-NlmonDevice -Name 'no*' -NetNamespace $ns");
        Assert.Empty(r.Output);
        var e = Error(r);
        Assert.Equal("NlmonDeviceNotFound", e.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Equal("nothere", e.TargetObject);

        var ns = Run("Get-NlmonDevice -NetNamespace no-such-namespace-here");
        Assert.Equal("NetNamespaceNotFound", Error(ns).FullyQualifiedErrorId.Split(',')[0]);
        var live = Run("Get-NetlinkMessage -NetNamespace no-such-namespace-here -Count 1");
        Assert.Equal("NetNamespaceNotFound", Error(live).FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void NamespacesResolveByNamePathAndInode()
    {
        var inode = NlmonNetns.InodeOf($"/run/netns/{_ns}");
        Assert.NotNull(inode);
        Assert.Equal($"/run/netns/{_ns}", NlmonNetns.ResolvePath(_ns));
        Assert.Equal(_ns, NlmonNetns.Describe(inode.Value));
        Assert.Equal(inode, NlmonNetns.InodeOf(NlmonNetns.ResolvePath(inode.Value.ToString())));
        Assert.Equal(inode, NlmonNetns.InodeOf(NlmonNetns.ResolvePath($"net:[{inode}]")));
        Assert.Null(NlmonDeviceClients.ResolveNamespace(NlmonNetns.CurrentInode().ToString()));
        Assert.Equal(inode, NlmonNetns.Run($"/run/netns/{_ns}", NlmonNetns.CurrentInode));
        Assert.NotEqual(inode, NlmonNetns.CurrentInode());
    }

    [Fact]
    public void WhatIfChangesNothing()
    {
        var r = Run("New-NlmonDevice -Name nlmon5 -NetNamespace $ns -WhatIf -PassThru");
        Assert.Empty(r.Output);
        Assert.Null(r.Terminating);
        Assert.DoesNotContain("nlmon5", PrivateNetns.Sh($"ip -n {_ns} link"));
    }

    [Fact]
    public void DurationIsSecondsOrATimeSpan()
    {
        var t = new SecondsToTimeSpanAttribute();
        Assert.Equal(TimeSpan.FromSeconds(10), t.Transform(null!, 10));
        Assert.Equal(TimeSpan.FromSeconds(1.5), t.Transform(null!, 1.5));
        Assert.Equal(TimeSpan.FromSeconds(2.5), t.Transform(null!, "2.5"));
        Assert.Equal(TimeSpan.FromMinutes(1), t.Transform(null!, "00:01:00"));
        Assert.Equal(TimeSpan.FromMilliseconds(300), t.Transform(null!, TimeSpan.FromMilliseconds(300)));
        var r = Run("Get-NetlinkMessage -Duration 0");
        Assert.Equal("InvalidDuration", Error(r).FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void WithoutPathTheLiveSetIsChosen()
    {
        var sets = Run("(Get-Command Get-NetlinkMessage).ParameterSets | ForEach-Object { $_.Name + ':' + $_.IsDefault }").Output.Select(o => o.ToString()).ToList();
        Assert.Contains("Live:True", sets);
        Assert.Contains("Path:False", sets);
        // Files still bind by position, by pipeline and by name.
        var fixture = ModuleLoader.Fixture("native/kernel-link-addr.pcap");
        var r = _host.Run("@(Get-NetlinkMessage $f -ErrorAction Ignore).Count; @($f | Get-NetlinkMessage -ErrorAction Ignore).Count; @(Get-NetlinkMessage -LiteralPath $f -ErrorAction Ignore).Count",
            new Dictionary<string, object?> { ["f"] = fixture });
        Assert.Equal(3, r.Output.Count);
        Assert.All(r.Output, o => Assert.True((int)o.BaseObject > 10));
    }

    public void Dispose()
    {
        _host.Dispose();
        try { PrivateNetns.Sh($"ip netns del {_ns}"); } catch (InvalidOperationException) { }
    }
}
