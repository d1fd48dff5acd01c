using System.Globalization;
using System.Runtime.InteropServices;

namespace NlmonPS.KernelClients;

/// <summary>A network namespace that cannot be found or entered.</summary>
internal sealed class NetNamespaceException : Exception
{
    public NetNamespaceException(string name, bool notFound, string message, Exception? inner = null) : base(message, inner)
    {
        Name = name;
        NotFound = notFound;
    }

    public string Name { get; }
    public bool NotFound { get; }
}

/// <summary>
/// Network namespaces for the nlmon cmdlets: resolve a name (/run/netns/NAME, as `ip netns` makes them), a path
/// (/proc/PID/ns/net) or an inode number; describe the namespace a socket lives in; run code on a dedicated
/// thread that setns()'d into a namespace. Sockets opened there stay in that namespace whatever thread uses
/// them later, so only the opening has to happen on that thread.
/// </summary>
internal static unsafe partial class NlmonNetns
{
    private const int O_RDONLY = 0, O_CLOEXEC = 0x80000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    private const int AT_FDCWD = -100;
    private const uint STATX_INO = 0x100;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    public const string NamedDirectory = "/run/netns";

    /// <summary>The path of a namespace given as a name under /run/netns, a path, or an inode number.</summary>
    public static string ResolvePath(string nameOrPath)
    {
        if (string.IsNullOrWhiteSpace(nameOrPath))
            throw new NetNamespaceException(nameOrPath, true, "The network namespace name is empty.");
        if (nameOrPath.Contains('/'))
        {
            if (File.Exists(nameOrPath)) return nameOrPath;
            throw new NetNamespaceException(nameOrPath, true, $"The network namespace file '{nameOrPath}' does not exist.");
        }
        var named = Path.Combine(NamedDirectory, nameOrPath);
        if (File.Exists(named)) return named;
        var digits = nameOrPath.StartsWith("net:[", StringComparison.Ordinal) ? nameOrPath[5..].TrimEnd(']') : nameOrPath;
        if (ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
        {
            if (inode == CurrentInode()) return "/proc/thread-self/ns/net";
            var found = Named().Where(n => n.Inode == inode).Select(n => n.Path).FirstOrDefault() ?? FindProcessWithNamespace(inode);
            if (found is not null) return found;
        }
        var known = Named().Select(n => n.Name).ToList();
        throw new NetNamespaceException(nameOrPath, true,
            $"There is no network namespace '{nameOrPath}': no {named}" + (known.Count > 0 ? $" (named namespaces: {string.Join(", ", known)})" : " (there are no named namespaces)") +
            ". Give a name from `ip netns list`, a path such as /proc/PID/ns/net, or a namespace inode number.");
    }

    /// <summary>The inode of the calling thread's network namespace (/proc/thread-self/ns/net).</summary>
    public static ulong CurrentInode() => ParseLink(new FileInfo("/proc/thread-self/ns/net").LinkTarget) ?? 0;

    /// <summary>The inode of the namespace a file refers to (an nsfs bind mount or /proc/PID/ns/net), or null.</summary>
    public static ulong? InodeOf(string path)
    {
        // statx has one layout on every architecture (stx_ino at 32); readlink of an nsfs bind mount's fd gives
        // its path, not "net:[inode]", so it is only the fallback for /proc/PID/ns/net symlinks.
        var buffer = stackalloc byte[256];
        if (statx(AT_FDCWD, path, 0, STATX_INO, buffer) == 0) return *(ulong*)(buffer + 32);
        try
        {
            return ParseLink(new FileInfo(path).LinkTarget);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The name under /run/netns whose namespace has this inode, else the inode number itself.</summary>
    public static string Describe(ulong inode) =>
        Named().FirstOrDefault(n => n.Inode == inode).Name ?? inode.ToString(CultureInfo.InvariantCulture);

    /// <summary>The namespaces `ip netns` created: name, path, inode.</summary>
    public static IEnumerable<(string Name, string Path, ulong Inode)> Named()
    {
        string[] files;
        try
        {
            files = Directory.Exists(NamedDirectory) ? Directory.GetFiles(NamedDirectory) : Array.Empty<string>();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var f in files)
            if (InodeOf(f) is ulong inode) yield return (Path.GetFileName(f), f, inode);
    }

    private static string? FindProcessWithNamespace(ulong inode)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                if (ParseLink(new FileInfo(Path.Combine(dir, "ns", "net")).LinkTarget) == inode) return Path.Combine(dir, "ns", "net");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
        return null;
    }

    private static ulong? ParseLink(string? link)
    {
        // "net:[4026531840]"
        if (link is null) return null;
        int open = link.IndexOf('['), close = link.IndexOf(']');
        return open >= 0 && close > open && ulong.TryParse(link.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    /// <summary>Moves the calling thread (only it) into the namespace at <paramref name="path"/>.</summary>
    public static void EnterOnThisThread(string path)
    {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new NetNamespaceException(path, errno == Libc.ENOENT, $"Cannot open the network namespace '{path}': {Decoding.Errno.NameOf(errno)} {Decoding.Errno.TextOf(errno)}.");
        }
        try
        {
            if (Libc.setns(fd, Libc.CLONE_NEWNET) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EPERM)
                    throw new NlmonUnavailableException(NlmonUnavailableReason.PermissionDenied, NlmonDevices.ReadRelease(),
                        $"Permission denied entering the network namespace '{path}': setns needs CAP_SYS_ADMIN. Run as root (sudo pwsh).");
                throw new NetNamespaceException(path, false, $"Cannot enter the network namespace '{path}': setns failed with {Decoding.Errno.NameOf(errno)} {Decoding.Errno.TextOf(errno)}" +
                    (errno == Libc.EINVAL ? " (it is not a network namespace file)." : "."));
            }
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> inside the namespace at <paramref name="path"/> on a dedicated thread (or on
    /// this thread when <paramref name="path"/> is null) and returns its result; exceptions come back as they are.
    /// </summary>
    public static T Run<T>(string? path, Func<T> body)
    {
        if (path is null) return body();
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                EnterOnThisThread(path);
                result = body();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }) { IsBackground = true, Name = "nlmonps-netns" };
        thread.Start();
        thread.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        return result;
    }
}
