using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using NlmonPS.KernelClients;

namespace NlmonPS.DropMonitoring;

/// <summary>What the running kernel says about the drop monitor, gathered when NET_DM is not registered.</summary>
internal sealed record DropMonitorKernelFacts
{
    /// <summary>uname -r.</summary>
    public string KernelRelease { get; init; } = "";
    /// <summary>CONFIG_NET_DROP_MONITOR: "y", "m", "n" (not set), or null when no kernel config could be read.</summary>
    public string? ConfigValue { get; init; }
    /// <summary>Where the config was read (/boot/config-R or /proc/config.gz).</summary>
    public string? ConfigSource { get; init; }
    /// <summary>The kernel can load modules (/proc/modules exists: CONFIG_MODULES).</summary>
    public bool ModulesSupported { get; init; }
    /// <summary>modules.builtin lists drop_monitor.</summary>
    public bool BuiltIn { get; init; }
    /// <summary>drop_monitor's module file, when modules.dep (or the module tree) has it.</summary>
    public string? ModuleFile { get; init; }
    /// <summary>/lib/modules/R exists.</summary>
    public bool ModulesDirectoryExists { get; init; }
    /// <summary>This process may load modules (CAP_SYS_MODULE in its effective set).</summary>
    public bool CanLoadModules { get; init; }
    /// <summary>The process is in the initial network namespace (null when that cannot be told).</summary>
    public bool? InInitialNetNamespace { get; init; }
}

/// <summary>
/// Finds out why NET_DM is missing and, when the kernel can, loads drop_monitor (modprobe). Each cause becomes a
/// <see cref="DropMonitorException"/> of its own kind, saying what to do.
/// </summary>
internal static class DropMonitorAvailability
{
    private const int CAP_SYS_MODULE = 16;
    /// <summary>The fixed inode of init_net's nsfs entry on kernels that allocate it statically (PROC_NET_INIT_INO).</summary>
    private const long ProcNetInitIno = 0xEFFFFFF9;

    public static DropMonitorKernelFacts Gather()
    {
        var release = KernelRelease();
        var (config, source) = ReadConfig(release);
        var modulesDir = $"/lib/modules/{release}";
        return new DropMonitorKernelFacts
        {
            KernelRelease = release,
            ConfigValue = config,
            ConfigSource = source,
            ModulesSupported = File.Exists("/proc/modules"),
            BuiltIn = ListsModule(Path.Combine(modulesDir, "modules.builtin")) is not null,
            ModuleFile = FindModuleFile(modulesDir),
            ModulesDirectoryExists = Directory.Exists(modulesDir),
            CanLoadModules = HasCapability(CAP_SYS_MODULE),
            InInitialNetNamespace = InInitialNetNamespace(),
        };
    }

    /// <summary>
    /// Why NET_DM is missing, when the facts alone tell (null when loading the module is worth a try).
    /// Order: what the config says, the namespace, module support, the module file, the privilege to load it.
    /// </summary>
    public static DropMonitorException? Diagnose(DropMonitorKernelFacts f)
    {
        var kernel = $"kernel {f.KernelRelease}";
        if (f.ConfigValue == "n")
            return new DropMonitorException(DropMonitorErrorKind.NotInKernel,
                $"The {kernel} has no drop monitor: CONFIG_NET_DROP_MONITOR is not set ({f.ConfigSource}). " +
                "The kernel must be built with CONFIG_NET_DROP_MONITOR=y or =m (distribution kernels such as Debian's have it as the module drop_monitor): boot such a kernel.")
            { Target = NetDm.FamilyName };
        if (f.InInitialNetNamespace == false)
            return new DropMonitorException(DropMonitorErrorKind.NotInInitialNamespace,
                "The generic netlink family NET_DM exists only in the initial network namespace (the drop monitor is not namespace-aware) and this process runs in another one. " +
                "Run the command in the host's namespace (outside the container or 'ip netns exec'); it sees the drops of every namespace.")
            { Target = NetDm.FamilyName };
        if (!f.ModulesSupported)
            return f.ConfigValue == "y"
                ? new DropMonitorException(DropMonitorErrorKind.KernelError,
                    $"The {kernel} is configured with CONFIG_NET_DROP_MONITOR=y ({f.ConfigSource}) but has no generic netlink family NET_DM.") { Target = NetDm.FamilyName }
                : new DropMonitorException(DropMonitorErrorKind.NoModuleSupport,
                    $"The {kernel} has no drop monitor built in and cannot load modules (no /proc/modules: CONFIG_MODULES is off), so drop_monitor cannot be added. " +
                    "Boot a kernel built with CONFIG_NET_DROP_MONITOR=y, or one with module support and CONFIG_NET_DROP_MONITOR=m.")
                { Target = NetDm.FamilyName };
        if (f.ModuleFile is null && !f.BuiltIn)
            return new DropMonitorException(DropMonitorErrorKind.ModuleNotFound,
                f.ModulesDirectoryExists
                    ? $"The {kernel} has no drop_monitor module: /lib/modules/{f.KernelRelease}/modules.dep does not list it{(f.ConfigValue == "m" ? " although the kernel config has CONFIG_NET_DROP_MONITOR=m" : "")}. Install the package with this kernel's modules (Debian: linux-image-{f.KernelRelease}) or build the module."
                    : $"The modules of the {kernel} are not installed (/lib/modules/{f.KernelRelease} is missing), so drop_monitor cannot be loaded. Install them (Debian: linux-image-{f.KernelRelease}).")
            { Target = NetDm.FamilyName };
        if (!f.CanLoadModules)
            return new DropMonitorException(DropMonitorErrorKind.ModuleLoadDenied,
                "The drop monitor module (drop_monitor) is not loaded, and loading it needs root (CAP_SYS_MODULE). Run 'sudo modprobe drop_monitor' once, or run this command as root.")
            { Target = NetDm.FamilyName };
        return null;
    }

    /// <summary>
    /// Loads drop_monitor with modprobe. Returns the verbose line to report; throws
    /// <see cref="DropMonitorErrorKind.ModuleLoadFailed"/> with modprobe's own words when it fails.
    /// </summary>
    public static string LoadModule(int timeoutMs = 30000)
    {
        var modprobe = FindModprobe() ?? throw new DropMonitorException(DropMonitorErrorKind.ModuleLoadFailed,
            "The drop monitor module (drop_monitor) is not loaded and modprobe was not found (install kmod), so it cannot be loaded.") { Target = NetDm.FamilyName };
        var psi = new ProcessStartInfo(modprobe, new[] { "drop_monitor" })
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(timeoutMs))
            {
                try { p.Kill(); } catch (InvalidOperationException) { }
                throw new DropMonitorException(DropMonitorErrorKind.ModuleLoadFailed, $"'{modprobe} drop_monitor' did not finish within {timeoutMs / 1000} s.") { Target = NetDm.FamilyName };
            }
            var text = (stderr.Result + stdout.Result).Trim();
            if (p.ExitCode != 0)
                throw new DropMonitorException(DropMonitorErrorKind.ModuleLoadFailed,
                    $"'{modprobe} drop_monitor' failed (exit {p.ExitCode}){(text.Length > 0 ? ": " + text : "")}.") { Target = NetDm.FamilyName };
            return $"Loaded the drop monitor module: {modprobe} drop_monitor";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new DropMonitorException(DropMonitorErrorKind.ModuleLoadFailed, $"Cannot run {modprobe}: {e.Message}", e) { Target = NetDm.FamilyName };
        }
    }

    public static string? FindModprobe()
    {
        foreach (var dir in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" }.Concat(
                     (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)))
        {
            var candidate = Path.Combine(dir, "modprobe");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static string KernelRelease()
    {
        try { return File.ReadAllText("/proc/sys/kernel/osrelease").Trim(); }
        catch (IOException) { return Environment.OSVersion.Version.ToString(); }
        catch (UnauthorizedAccessException) { return Environment.OSVersion.Version.ToString(); }
    }

    /// <summary>CONFIG_NET_DROP_MONITOR from /boot/config-R or /proc/config.gz: y, m, n (not set) or null (no config, or not mentioned).</summary>
    public static (string? Value, string? Source) ReadConfig(string release)
    {
        foreach (var path in new[] { $"/boot/config-{release}", "/proc/config.gz" })
        {
            try
            {
                if (!File.Exists(path)) continue;
                using var file = File.OpenRead(path);
                using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
                using var reader = new StreamReader(stream);
                var value = ParseConfig(reader);
                if (value is not null) return (value, path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                // Unreadable: try the next place.
            }
        }
        return (null, null);
    }

    /// <summary>The value of CONFIG_NET_DROP_MONITOR in a kernel .config text (y, m, n) or null when it is not mentioned.</summary>
    public static string? ParseConfig(TextReader reader)
    {
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.StartsWith("CONFIG_NET_DROP_MONITOR=", StringComparison.Ordinal))
                return line["CONFIG_NET_DROP_MONITOR=".Length..].Trim();
            if (line.StartsWith("# CONFIG_NET_DROP_MONITOR is not set", StringComparison.Ordinal))
                return "n";
        }
        return null;
    }

    private static string? ListsModule(string listPath)
    {
        try
        {
            if (!File.Exists(listPath)) return null;
            foreach (var line in File.ReadLines(listPath))
            {
                var entry = line.Split(':', 2)[0].Trim();
                var name = Path.GetFileName(entry);
                if (name.StartsWith("drop_monitor.ko", StringComparison.Ordinal)) return entry;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static string? FindModuleFile(string modulesDir)
    {
        if (ListsModule(Path.Combine(modulesDir, "modules.dep")) is { } entry)
            return Path.IsPathRooted(entry) ? entry : Path.Combine(modulesDir, entry);
        var net = Path.Combine(modulesDir, "kernel", "net", "core");
        try
        {
            if (Directory.Exists(net))
                return Directory.EnumerateFiles(net, "drop_monitor.ko*").FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>Whether a capability is in this process's effective set (CapEff of /proc/self/status).</summary>
    public static bool HasCapability(int capability)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("CapEff:", StringComparison.Ordinal)) continue;
                var mask = ulong.Parse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                return (mask & (1UL << capability)) != 0;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return Libc.geteuid() == 0;
    }

    /// <summary>
    /// Whether this thread is in the initial network namespace: its nsfs inode is init_net's fixed one (newer
    /// kernels), or the same as PID 1's. Null when neither can be read.
    /// </summary>
    public static bool? InInitialNetNamespace()
    {
        var self = NamespaceInode("/proc/thread-self/ns/net") ?? NamespaceInode("/proc/self/ns/net");
        if (self is null) return null;
        if (self == ProcNetInitIno) return true;
        var init = NamespaceInode("/proc/1/ns/net");
        if (init is null) return null;
        return self == init;
    }

    private static long? NamespaceInode(string path)
    {
        try
        {
            var target = new FileInfo(path).LinkTarget;
            if (target is null) return null;
            int open = target.IndexOf('['), close = target.IndexOf(']');
            if (open < 0 || close <= open) return null;
            return long.TryParse(target.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var inode) ? inode : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
