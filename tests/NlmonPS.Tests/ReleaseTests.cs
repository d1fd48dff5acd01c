using System.Management.Automation;
using System.Reflection;
using Xunit;

namespace NlmonPS.Tests;

/// <summary>The release files agree with the manifest: one version, a licence, a changelog entry for it.</summary>
public sealed class ReleaseTests
{
    private static PSModuleInfo Manifest()
    {
        using var host = new PowerShellHost();
        var r = host.Run("Test-ModuleManifest -Path $p", new Dictionary<string, object?> { ["p"] = ModuleLoader.ManifestPath });
        return (PSModuleInfo)Assert.Single(r.Output).BaseObject;
    }

    [Fact]
    public void AssemblyVersionIsTheModuleVersion()
    {
        var version = Manifest().Version;
        var assembly = typeof(NlmonPS.Decoding.NetlinkMessage).Assembly;
        var built = assembly.GetName().Version!;
        Assert.Equal(version, new Version(built.Major, built.Minor, built.Build));
        Assert.StartsWith(version.ToString(), assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion, StringComparison.Ordinal);
    }

    [Fact]
    public void ChangelogHasTheModuleVersion()
    {
        var changelog = File.ReadAllText(Path.Combine(ModuleLoader.RepoRoot, "CHANGELOG.md"));
        Assert.Contains("## [Unreleased]", changelog);
        Assert.Contains($"## [{Manifest().Version}] - ", changelog);
    }

    [Fact]
    public void LicenseIsTheManifestsAndShipsWithTheModule()
    {
        var manifest = Manifest();
        Assert.EndsWith("/MIT", manifest.LicenseUri.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("First release", manifest.ReleaseNotes, StringComparison.Ordinal);
        Assert.StartsWith("MIT License", File.ReadAllText(Path.Combine(ModuleLoader.RepoRoot, "LICENSE")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(ModuleLoader.ModuleDirectory, "LICENSE")), "LICENSE is in the module folder");
    }
}
