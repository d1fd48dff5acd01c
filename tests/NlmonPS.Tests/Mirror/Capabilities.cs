using System.Runtime.InteropServices;

namespace NlmonPS.Tests.Mirror;

/// <summary>
/// Linux capabilities are per thread: a test thread can drop one from its effective set (capset(2)) to see how
/// the cmdlets report the kernel's EPERM, without touching the rest of the process.
/// </summary>
public static class Capabilities
{
    public const int CAP_NET_ADMIN = 12;
    private const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    [StructLayout(LayoutKind.Sequential)]
    private struct Header
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Data
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int capget(ref Header header, [In, Out] Data[] data);

    [DllImport("libc", SetLastError = true)]
    private static extern int capset(ref Header header, Data[] data);

    /// <summary>Clears a capability from the calling thread's effective set. Use on threads made for the test.</summary>
    public static void DropFromThisThread(int capability)
    {
        var header = new Header { Version = LINUX_CAPABILITY_VERSION_3 };
        var data = new Data[2];
        if (capget(ref header, data) != 0) throw new InvalidOperationException($"capget: errno {Marshal.GetLastPInvokeError()}");
        data[capability / 32].Effective &= ~(1u << (capability % 32));
        header = new Header { Version = LINUX_CAPABILITY_VERSION_3 };
        if (capset(ref header, data) != 0) throw new InvalidOperationException($"capset: errno {Marshal.GetLastPInvokeError()}");
    }
}
