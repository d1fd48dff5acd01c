using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace NlmonPS.Tests.Mirror;

/// <summary>
/// A private network namespace for one test: made with <c>ip netns add nlmonps-test-&lt;random&gt;</c> (so
/// <c>ip netns exec</c> can run tc in it) and entered with setns(2) on a dedicated thread that runs the test body.
/// No other thread of the xUnit process ever changes namespace. Deleted on dispose.
/// </summary>
public sealed class NetNamespace : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;

    public NetNamespace()
    {
        Name = $"nlmonps-test-{Guid.NewGuid().ToString("N")[..10]}";
        Shell("ip", "netns", "add", Name);
        // No IPv6 autoconfiguration chatter on the test links (the tests count only their own frames anyway).
        foreach (var key in new[] { "all", "default" })
        {
            try { Exec("sysctl", "-qw", $"net.ipv6.conf.{key}.disable_ipv6=1"); }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        }
    }

    public string Name { get; }

    /// <summary>Why the live tests cannot run here, or null when they can (root on Linux with ip and tc).</summary>
    public static string? Unavailable { get; } = Probe();

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux";
        if (geteuid() != 0) return "needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for network namespaces)";
        foreach (var tool in new[] { "/usr/sbin/ip", "/usr/sbin/tc", "/sbin/ip", "/sbin/tc", "/usr/bin/ip", "/usr/bin/tc" })
            if (File.Exists(tool)) return null;
        return "needs iproute2 (ip, tc)";
    }

    /// <summary>Adds a veth pair and sets both ends up.</summary>
    public void AddVeth(string name, string peer)
    {
        Ip("link", "add", name, "type", "veth", "peer", "name", peer);
        Ip("link", "set", name, "up");
        Ip("link", "set", peer, "up");
    }

    public string Ip(params string[] args) => Shell("ip", new[] { "-n", Name }.Concat(args).ToArray());

    /// <summary>Runs tc inside the namespace (ip netns exec).</summary>
    public string Tc(params string[] args) => Exec(new[] { "tc" }.Concat(args).ToArray());

    public string Exec(params string[] args) => Shell("ip", new[] { "netns", "exec", Name }.Concat(args).ToArray());

    public static string Shell(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Trim()}");
        return stdout.Result;
    }

    /// <summary>
    /// Runs <paramref name="body"/> on a new thread that has entered the namespace; exceptions (assertion
    /// failures) come back to the caller. Everything the body opens (netlink and packet sockets, a runspace with
    /// UseCurrentThread) lives in the namespace.
    /// </summary>
    public void Run(Action body)
    {
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter();
                body();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        }, 16 * 1024 * 1024) { Name = $"netns {Name}", IsBackground = true };
        thread.Start();
        thread.Join();
        failure?.Throw();
    }

    /// <summary>Moves the calling thread into the namespace. Only for threads made for that purpose.</summary>
    public void Enter()
    {
        using var handle = File.OpenHandle(Path.Combine("/run/netns", Name));
        if (setns((int)handle.DangerousGetHandle(), CLONE_NEWNET) != 0)
            throw new InvalidOperationException($"setns({Name}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Interface index inside the namespace.</summary>
    public int IndexOf(string device) =>
        int.Parse(Exec("cat", $"/sys/class/net/{device}/ifindex").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        try { Shell("ip", "netns", "del", Name); } catch (InvalidOperationException) { }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    [DllImport("libc")]
    private static extern uint geteuid();
}
