using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace NlmonPS.Tests;

/// <summary>
/// Points the test process at the built module folder out/NlmonPS so the tests exercise exactly what users import,
/// and so Import-Module and the typed tests share one copy of NlmonPS.dll.
/// </summary>
public static class ModuleLoader
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>out/NlmonPS, or NLMONPS_MODULE_DIR when set (the kernel rig uses the same path).</summary>
    public static string ModuleDirectory { get; } =
        Environment.GetEnvironmentVariable("NLMONPS_MODULE_DIR") is { Length: > 0 } d ? d : Path.Combine(RepoRoot, "out", "NlmonPS");

    public static string ManifestPath => Path.Combine(ModuleDirectory, "NlmonPS.psd1");

    [ModuleInitializer]
    public static void Initialize()
    {
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(ModuleDirectory, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
    }

    private static string FindRepoRoot()
    {
        if (Environment.GetEnvironmentVariable("NLMONPS_REPO_ROOT") is { Length: > 0 } root) return root;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NlmonPS.psd1"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (NlmonPS.psd1) above " + AppContext.BaseDirectory);
    }

    /// <summary>A file under tests/fixtures.</summary>
    public static string Fixture(string name) => Path.Combine(RepoRoot, "tests", "fixtures", name);

    /// <summary>A public capture under ../shared/captures, or null when that folder is absent.</summary>
    public static string? SharedCapture(string name)
    {
        var path = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "captures", name));
        return File.Exists(path) ? path : null;
    }
}
