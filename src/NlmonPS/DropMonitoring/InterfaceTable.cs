using System.ComponentModel;
using System.Runtime.InteropServices;
using NlmonPS.KernelClients;
using NlmonPS.Wire;

namespace NlmonPS.DropMonitoring;

/// <summary>A network device as the drop monitor's consumers need it: index, name, ARPHRD type.</summary>
internal sealed record InterfaceInfo(int Index, string Name, ushort HardwareType)
{
    public override string ToString() => Name;
}

/// <summary>
/// Interface index to name (and ARPHRD type) for one network namespace, over rtnetlink, cached and refreshed when
/// an unknown index shows up (devices made while monitoring). A named namespace is entered only by a short-lived
/// thread that opens the socket there: the socket keeps the namespace, nothing else changes namespace.
/// </summary>
internal sealed partial class InterfaceTable : IDisposable
{
    private const int CLONE_NEWNET = 0x40000000;
    private readonly NetlinkSocket _socket;
    private Dictionary<int, InterfaceInfo> _byIndex = new();
    private long _refreshedAt;
    private bool _loaded;

    private InterfaceTable(NetlinkSocket socket, string? netNamespace)
    {
        _socket = socket;
        NetNamespace = netNamespace;
    }

    /// <summary>The namespace given (a name under /run/netns or a path), null for the current one.</summary>
    public string? NetNamespace { get; }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    /// <summary>Opens the table for the current namespace or for <paramref name="netNamespace"/> (ip netns name, or a path such as /proc/PID/ns/net).</summary>
    public static InterfaceTable Open(string? netNamespace)
    {
        if (string.IsNullOrEmpty(netNamespace)) return new InterfaceTable(new NetlinkSocket(NetlinkProtocol.Route), null);
        var path = netNamespace.Contains('/', StringComparison.Ordinal) ? netNamespace : $"/run/netns/{netNamespace}";
        if (!File.Exists(path))
            throw new DropMonitorException(DropMonitorErrorKind.NotFound,
                $"There is no network namespace '{netNamespace}' ({path} does not exist; 'ip netns list' shows the named ones).") { Target = netNamespace };
        NetlinkSocket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(path);
                if (setns((int)handle.DangerousGetHandle(), CLONE_NEWNET) != 0)
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), $"setns({path})");
                socket = new NetlinkSocket(NetlinkProtocol.Route);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null || socket is null)
            throw new DropMonitorException(failure is Win32Exception { NativeErrorCode: 1 } or UnauthorizedAccessException ? DropMonitorErrorKind.PermissionDenied : DropMonitorErrorKind.NotFound,
                $"Cannot enter the network namespace '{netNamespace}' ({path}): {failure?.Message}", failure) { Target = netNamespace };
        return new InterfaceTable(socket, netNamespace);
    }

    /// <summary>Every device of the namespace (dumped now).</summary>
    public IReadOnlyCollection<InterfaceInfo> All
    {
        get { Refresh(); return _byIndex.Values; }
    }

    /// <summary>The device with this index; an unknown index refreshes the table (at most every 500 ms).</summary>
    public InterfaceInfo? Get(int index)
    {
        if (index <= 0) return null;
        if (_byIndex.TryGetValue(index, out var info)) return info;
        if (_loaded && Environment.TickCount64 - _refreshedAt < 500) return null;
        Refresh();
        return _byIndex.GetValueOrDefault(index);
    }

    public InterfaceInfo? Find(string name)
    {
        foreach (var i in _byIndex.Values) if (i.Name == name) return i;
        Refresh();
        foreach (var i in _byIndex.Values) if (i.Name == name) return i;
        return null;
    }

    private void Refresh()
    {
        var request = new MessageBuilder(Rtm.RTM_GETLINK, Nl.NLM_F_DUMP).AddBytes(new byte[Rtm.IfInfoMsgLength]);
        var table = new Dictionary<int, InterfaceInfo>();
        foreach (var m in _socket.Request(request, "RTM_GETLINK dump"))
            if (Parse(m.Bytes, m.ByteOrder) is { } info) table[info.Index] = info;
        _byIndex = table;
        _refreshedAt = Environment.TickCount64;
        _loaded = true;
    }

    /// <summary>Reads index, ARPHRD type and name out of an RTM_NEWLINK message.</summary>
    public static InterfaceInfo? Parse(byte[] message, ByteOrder order)
    {
        if (message.Length < Nl.HeaderLength + Rtm.IfInfoMsgLength) return null;
        var header = NetlinkHeader.Read(message, order);
        if (header.Type != Rtm.RTM_NEWLINK) return null;
        var body = message.AsMemory(Nl.HeaderLength, (int)Math.Min(header.Length, (uint)message.Length) - Nl.HeaderLength);
        ushort type = Endian.U16(body.Span[2..], order);
        int index = (int)Endian.U32(body.Span[4..], order);
        var attributes = GenericNetlinkClient.Walk(body[Rtm.IfInfoMsgLength..], order);
        var name = GenericNetlinkClient.Find(attributes, Rtm.IFLA_IFNAME) is { } n ? GenericNetlinkClient.String(n.Payload.Span) : null;
        return name is null ? null : new InterfaceInfo(index, name, type);
    }

    public void Dispose() => _socket.Dispose();
}
