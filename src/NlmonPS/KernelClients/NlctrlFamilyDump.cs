using System.ComponentModel;
using NlmonPS.Wire;

namespace NlmonPS.KernelClients;

/// <summary>
/// Asks the running kernel for every generic netlink family (nlctrl CTRL_CMD_GETFAMILY dump), so a live capture
/// or a trace names families whose ids were resolved before it started (by programs that looked them up long ago).
/// Family ids are global, not per network namespace.
/// </summary>
internal static class NlctrlFamilyDump
{
    /// <summary>Family id to name, from the kernel of the calling thread's namespace.</summary>
    public static Dictionary<int, string> Query(int timeoutMs = 5000)
    {
        using var socket = new NetlinkSocket(NetlinkProtocol.Generic);
        var request = new MessageBuilder(Nl.GENL_ID_CTRL, Nl.NLM_F_DUMP, 0, socket.PortId).AddBytes(new byte[] { Genl.CTRL_CMD_GETFAMILY, 1, 0, 0 });
        var families = new Dictionary<int, string>();
        foreach (var m in socket.Request(request, "nlctrl CTRL_CMD_GETFAMILY dump", timeoutMs))
            if (GenericNetlinkFamily.Parse(m.Bytes, m.ByteOrder) is { } family) families[family.Id] = family.Name;
        return families;
    }

    /// <summary>The faults <see cref="Query"/> can meet; callers go on without the names.</summary>
    public static bool IsFault(Exception e) =>
        e is Win32Exception or TimeoutException or NetlinkKernelException or PlatformNotSupportedException or DllNotFoundException or EntryPointNotFoundException;
}
