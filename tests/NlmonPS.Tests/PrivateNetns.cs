using System.Runtime.InteropServices;

namespace NlmonPS.Tests;

/// <summary>
/// Runs code in a fresh network namespace of its own: a dedicated thread calls unshare(CLONE_NEWNET), which
/// moves only that thread, so the rest of the test process (and the host) is untouched.
/// </summary>
public static partial class PrivateNetns
{
    private const int CLONE_NEWNET = 0x40000000;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int unshare(int flags);

    public static T Run<T>(Func<T> body)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (unshare(CLONE_NEWNET) != 0)
                    throw new InvalidOperationException($"unshare(CLONE_NEWNET) failed: errno {Marshal.GetLastPInvokeError()} (needs root or CAP_SYS_ADMIN)");
                result = body();
            }
            catch (Exception ex) { failure = ex; }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new AggregateException(failure);
        return result;
    }

    public static void Run(Action body) => Run(() => { body(); return 0; });

    /// <summary>Runs a command (ip, tc...) in the calling thread's namespace: the child inherits it.</summary>
    public static string Sh(string command)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh", new[] { "-c", command })
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"`{command}` failed ({p.ExitCode}): {output}");
        return output;
    }
}
