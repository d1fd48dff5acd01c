using System.IO.Compression;
using NlmonPS.KernelClients;
using Xunit;

namespace NlmonPS.Tests.Live;

/// <summary>Why a kernel cannot have nlmon, judged from fake file trees (one per case).</summary>
public sealed class NlmonAvailabilityTests : IDisposable
{
    private const string Release = "6.1.0-99-test";
    private readonly string _root = Directory.CreateTempSubdirectory("nlmonps-facts-").FullName;

    private void Write(string relative, string text = "")
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private NlmonUnavailableException? Diagnose(out KernelModuleFacts facts)
    {
        facts = new KernelModuleFacts(_root, Release);
        return NlmonKernelModule.Diagnose(facts);
    }

    [Fact]
    public void ConfigWithoutNlmonMeansNotBuilt()
    {
        Write($"boot/config-{Release}", "CONFIG_NET=y\n# CONFIG_NLMON is not set\n");
        Write("proc/modules");
        var why = Assert.IsType<NlmonUnavailableException>(Diagnose(out _));
        Assert.Equal(NlmonUnavailableReason.NotBuilt, why.Reason);
        Assert.Contains("CONFIG_NLMON", why.Message);
        Assert.Contains($"/boot/config-{Release}", why.Message);
        Assert.Contains("Trace-NetlinkCommand", why.Message);
    }

    [Fact]
    public void ProcConfigGzIsReadToo()
    {
        using (var gz = new GZipStream(File.Create(Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "proc")).FullName, "config.gz")), CompressionLevel.Fastest))
            gz.Write("CONFIG_MODULES=y\nCONFIG_DUMMY=m\n"u8);
        var why = Diagnose(out var facts)!;
        Assert.Equal("/proc/config.gz", facts.ConfigSource);
        Assert.Equal(NlmonUnavailableReason.NotBuilt, why.Reason);   // no CONFIG_NLMON line at all
        Assert.Contains("/proc/config.gz", why.Message);
    }

    [Fact]
    public void NoModulesAndNotBuiltIn()
    {
        var why = Diagnose(out var facts)!;
        Assert.False(facts.ModuleSupport);
        Assert.Equal(NlmonUnavailableReason.NoModuleSupport, why.Reason);
        Assert.Contains("/proc/modules", why.Message);
    }

    [Fact]
    public void ModuleFileMissing()
    {
        Write($"boot/config-{Release}", "CONFIG_NLMON=m\n");
        Write("proc/modules");
        Write($"lib/modules/{Release}/modules.dep", "kernel/drivers/net/dummy.ko.xz:\n");
        var why = Diagnose(out _)!;
        Assert.Equal(NlmonUnavailableReason.ModuleMissing, why.Reason);
        Assert.Contains("no nlmon.ko*", why.Message);
        Assert.Contains($"lib/modules/{Release}", why.Message);
    }

    [Fact]
    public void NoModuleDirectoryAtAll()
    {
        Write("proc/modules");
        var why = Diagnose(out _)!;
        Assert.Equal(NlmonUnavailableReason.ModuleMissing, why.Reason);
        Assert.Contains($"there is no /lib/modules/{Release}", why.Message);
    }

    [Fact]
    public void ModuleLoadingDisabled()
    {
        Write("proc/modules");
        Write("proc/sys/kernel/modules_disabled", "1\n");
        Write($"lib/modules/{Release}/kernel/drivers/net/nlmon.ko", "");
        Assert.Equal(NlmonUnavailableReason.ModuleLoadFailed, Diagnose(out _)!.Reason);
    }

    [Fact]
    public void ModuleFileFoundMeansTryLoading()
    {
        Write("proc/modules");
        Write($"lib/modules/{Release}/kernel/drivers/net/nlmon.ko.xz", "");
        Assert.Null(Diagnose(out var facts));
        Assert.EndsWith("kernel/drivers/net/nlmon.ko.xz", facts.ModuleFile);
    }

    [Fact]
    public void ModuleFileFoundThroughModulesDep()
    {
        Write("proc/modules");
        Write($"lib/modules/{Release}/modules.dep", "updates/extra/nlmon.ko.zst:\n");
        Write($"lib/modules/{Release}/updates/extra/nlmon.ko.zst", "");
        Assert.Null(Diagnose(out var facts));
        Assert.EndsWith("updates/extra/nlmon.ko.zst", facts.ModuleFile);
    }

    [Fact]
    public void BuiltInNeedsNoModule()
    {
        Write($"lib/modules/{Release}/modules.builtin", "kernel/drivers/net/nlmon.ko\n");
        Assert.Null(Diagnose(out var facts));
        Assert.True(facts.BuiltIn);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
