using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace NlmonPS.KernelClients;

/// <summary>Why this kernel cannot give us an nlmon device. Each maps to a stable ErrorId in the cmdlets.</summary>
internal enum NlmonUnavailableReason
{
    /// <summary>Built without CONFIG_NLMON: neither built in nor a module.</summary>
    NotBuilt,
    /// <summary>nlmon is not built in and the kernel cannot load modules (no CONFIG_MODULES).</summary>
    NoModuleSupport,
    /// <summary>nlmon is a module, but no nlmon.ko* is installed for the running kernel.</summary>
    ModuleMissing,
    /// <summary>The module is there but loading it failed (modules_disabled, signature, modprobe error).</summary>
    ModuleLoadFailed,
    /// <summary>No CAP_NET_ADMIN (creating links) or CAP_SYS_MODULE (loading the module).</summary>
    PermissionDenied,
    /// <summary>The kernel refuses kind "nlmon" for a reason none of the checks explain.</summary>
    Unknown,
}

/// <summary>This kernel cannot give us nlmon, with the reason, the evidence, and what to do instead.</summary>
internal sealed class NlmonUnavailableException : Exception
{
    public NlmonUnavailableException(NlmonUnavailableReason reason, string kernelRelease, string message, Exception? inner = null)
        : base(message, inner)
    {
        Reason = reason;
        KernelRelease = kernelRelease;
    }

    public NlmonUnavailableReason Reason { get; }
    public string KernelRelease { get; }
}

/// <summary>
/// What the file system says about nlmon in the running kernel: the kernel config (/boot/config-$(uname -r) or
/// /proc/config.gz), modules.builtin, module support (/proc/modules), the module file, whether it is loaded.
/// Everything is read under <see cref="Root"/> so tests can build a fake tree for each case.
/// </summary>
internal sealed class KernelModuleFacts
{
    public KernelModuleFacts(string root = "/", string? release = null)
    {
        Root = root;
        Release = release ?? ReadRelease(root);
        (ConfigSource, ConfigValue) = ReadConfig();
        ModuleDirectory = new[] { "lib/modules", "usr/lib/modules" }.Select(d => P($"{d}/{Release}")).FirstOrDefault(Directory.Exists);
        BuiltIn = ModuleDirectory is not null && ReadLines(Path.Combine(ModuleDirectory, "modules.builtin")).Any(l => l.EndsWith("/nlmon.ko", StringComparison.Ordinal));
        ModuleSupport = File.Exists(P("proc/modules"));
        Loaded = Directory.Exists(P("sys/module/nlmon"));
        ModulesDisabled = ReadLines(P("proc/sys/kernel/modules_disabled")).FirstOrDefault()?.Trim() == "1";
        ModuleFile = FindModuleFile();
    }

    public string Root { get; }
    /// <summary>uname -r.</summary>
    public string Release { get; }
    /// <summary>Where the config was read ("/boot/config-6.1.0-13-amd64", "/proc/config.gz"), or null when neither exists.</summary>
    public string? ConfigSource { get; }
    /// <summary>CONFIG_NLMON: "y", "m", "n" (not set), or null when no config was found.</summary>
    public string? ConfigValue { get; }
    /// <summary>/lib/modules/$(uname -r), or null when the running kernel's modules are not installed.</summary>
    public string? ModuleDirectory { get; }
    public bool BuiltIn { get; }
    public bool ModuleSupport { get; }
    public bool Loaded { get; }
    public bool ModulesDisabled { get; }
    /// <summary>The nlmon.ko* file for the running kernel, or null.</summary>
    public string? ModuleFile { get; }

    private string P(string relative) => Path.Combine(Root, relative);

    private static string ReadRelease(string root)
    {
        var text = ReadLines(Path.Combine(root, "proc/sys/kernel/osrelease")).FirstOrDefault()?.Trim();
        return string.IsNullOrEmpty(text) ? Environment.OSVersion.Version.ToString() : text;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path) : Array.Empty<string>();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    private (string?, string?) ReadConfig()
    {
        foreach (var (path, display) in new[] { (P($"boot/config-{Release}"), $"/boot/config-{Release}"), (P("proc/config.gz"), "/proc/config.gz") })
        {
            IEnumerable<string> lines;
            try
            {
                if (!File.Exists(path)) continue;
                if (path.EndsWith(".gz", StringComparison.Ordinal))
                {
                    using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
                    using var reader = new StreamReader(gz);
                    lines = reader.ReadToEnd().Split('\n');
                }
                else
                {
                    lines = File.ReadAllLines(path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                continue;
            }
            foreach (var line in lines)
            {
                if (line.StartsWith("CONFIG_NLMON=", StringComparison.Ordinal)) return (display, line["CONFIG_NLMON=".Length..].Trim());
                if (line.StartsWith("# CONFIG_NLMON is not set", StringComparison.Ordinal)) return (display, "n");
            }
            // A config without the symbol at all: its dependencies were off, so it is not built either.
            return (display, "n");
        }
        return (null, null);
    }

    private string? FindModuleFile()
    {
        if (ModuleDirectory is null) return null;
        var usual = Path.Combine(ModuleDirectory, "kernel", "drivers", "net");
        if (Directory.Exists(usual))
            foreach (var f in Directory.EnumerateFiles(usual, "nlmon.ko*")) return f;
        // modules.dep names every module file relative to the directory.
        foreach (var line in ReadLines(Path.Combine(ModuleDirectory, "modules.dep")))
        {
            var file = line.Split(':', 2)[0];
            if (Path.GetFileName(file).StartsWith("nlmon.ko", StringComparison.Ordinal) && File.Exists(Path.Combine(ModuleDirectory, file)))
                return Path.Combine(ModuleDirectory, file);
        }
        try
        {
            return Directory.EnumerateFiles(ModuleDirectory, "nlmon.ko*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }
}

/// <summary>
/// Explains and fixes "Unknown device type" for kind nlmon: loads the module (modprobe, else finit_module on the
/// file) or says precisely why the kernel cannot have nlmon, and what to use instead.
/// </summary>
internal static class NlmonKernelModule
{
    /// <summary>What to do when live capture is impossible here.</summary>
    public const string Alternatives =
        "Without nlmon, use Trace-NetlinkCommand, which needs no nlmon, to see the netlink conversation of one command, " +
        "or read a capture recorded on another machine (tcpdump -i nlmon0 -w file.pcap) with Get-NetlinkMessage -Path.";

    /// <summary>
    /// Why nlmon cannot be loaded, judged from the file system after the kernel refused kind "nlmon"; null when
    /// loading the module is worth a try.
    /// </summary>
    public static NlmonUnavailableException? Diagnose(KernelModuleFacts f)
    {
        string kernel = $"This kernel ({f.Release})";
        if (f.ConfigValue == "n")
            return new(NlmonUnavailableReason.NotBuilt, f.Release,
                $"{kernel} has no nlmon: it was built without CONFIG_NLMON ({f.ConfigSource}: '# CONFIG_NLMON is not set'), " +
                $"so it cannot create the netlink tap device that live capture reads. {Alternatives}");
        if (f.BuiltIn || f.Loaded || f.ConfigValue == "y")
            return null;
        if (!f.ModuleSupport)
            return new(NlmonUnavailableReason.NoModuleSupport, f.Release,
                $"{kernel} has no nlmon built in and cannot load modules (/proc/modules is absent: built without CONFIG_MODULES), " +
                $"so the nlmon module cannot be added. {Alternatives}");
        if (f.ModulesDisabled)
            return new(NlmonUnavailableReason.ModuleLoadFailed, f.Release,
                $"{kernel} has nlmon only as a module, and module loading is disabled (/proc/sys/kernel/modules_disabled is 1 until reboot). " +
                $"Load nlmon at boot (echo nlmon > /etc/modules-load.d/nlmon.conf). {Alternatives}");
        if (f.ModuleFile is null)
            return new(NlmonUnavailableReason.ModuleMissing, f.Release,
                f.ModuleDirectory is null
                    ? $"{kernel} has nlmon only as a module, and the module file is missing: there is no /lib/modules/{f.Release} here " +
                      $"(the running kernel's modules are not installed; inside a container, load nlmon on the host with `modprobe nlmon`). {Alternatives}"
                    : $"{kernel} has nlmon only as a module, and the module file is missing: no nlmon.ko* under {f.ModuleDirectory}. " +
                      $"Install the modules of the running kernel (Debian: linux-image-{f.Release}; Ubuntu: linux-modules-extra-{f.Release}). {Alternatives}");
        return null;
    }

    /// <summary>Loads nlmon with modprobe (or finit_module on the file when there is no modprobe).</summary>
    public static void Load(KernelModuleFacts f, Action<string>? verbose = null)
    {
        var modprobe = FindModprobe();
        if (modprobe is not null)
        {
            verbose?.Invoke($"Loading the nlmon module: {modprobe} nlmon");
            var psi = new ProcessStartInfo(modprobe, new[] { "nlmon" }) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi) ?? throw LoadFailed(f, "modprobe could not be started");
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(120_000))
            {
                try { p.Kill(); } catch (InvalidOperationException) { }
                throw LoadFailed(f, "modprobe nlmon did not finish within 120 s");
            }
            var said = stderr.Result.Trim();
            if (p.ExitCode == 0) return;
            if (said.Contains("Operation not permitted", StringComparison.OrdinalIgnoreCase) || Libc.geteuid() != 0)
                throw PermissionDenied(f.Release, $"modprobe nlmon failed ({said})");
            throw LoadFailed(f, $"modprobe nlmon failed with exit code {p.ExitCode}: {said}");
        }
        if (f.ModuleFile is null) throw Diagnose(f) ?? LoadFailed(f, "there is no modprobe and no nlmon.ko* to load");
        verbose?.Invoke($"Loading the nlmon module: finit_module {f.ModuleFile} (no modprobe found)");
        using var file = File.OpenHandle(f.ModuleFile);
        int flags = f.ModuleFile.EndsWith(".ko", StringComparison.Ordinal) ? 0 : 4; // MODULE_INIT_COMPRESSED_FILE
        if (Libc.FinitModule(file, flags) == 0) return;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.EEXIST) return;
        if (errno == Libc.EPERM) throw PermissionDenied(f.Release, $"finit_module({f.ModuleFile}) failed: EPERM");
        throw LoadFailed(f, $"finit_module({f.ModuleFile}) failed: {Decoding.Errno.NameOf(errno)} {Decoding.Errno.TextOf(errno)}");
    }

    public static NlmonUnavailableException PermissionDenied(string release, string detail) => new(NlmonUnavailableReason.PermissionDenied, release,
        $"Permission denied: creating an nlmon device needs CAP_NET_ADMIN, and loading the nlmon module CAP_SYS_MODULE ({detail}). " +
        "Run as root (sudo pwsh), or have an administrator run New-NlmonDevice once; capturing from an existing nlmon device needs CAP_NET_RAW.");

    private static NlmonUnavailableException LoadFailed(KernelModuleFacts f, string detail) => new(NlmonUnavailableReason.ModuleLoadFailed, f.Release,
        $"This kernel ({f.Release}) has nlmon as a module ({f.ModuleFile ?? "nlmon.ko"}), but loading it failed: {detail}. {Alternatives}");

    private static string? FindModprobe()
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" });
        return dirs.Select(d => Path.Combine(d, "modprobe")).FirstOrDefault(File.Exists);
    }
}
