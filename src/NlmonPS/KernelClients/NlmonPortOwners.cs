using System.ComponentModel;
using System.Globalization;
using NlmonPS.Wire;

namespace NlmonPS.KernelClients;

/// <summary>The process that owns a netlink socket.</summary>
internal sealed record NetlinkPortOwner(int ProcessId, string ProcessName);

/// <summary>
/// Finds the process behind a netlink port id: sock_diag (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY for AF_NETLINK)
/// maps (protocol, port id) to the socket inode, /proc/*/fd maps the inode to a process, /proc/PID/comm names it.
/// When netlink_diag is unavailable, /proc/thread-self/net/netlink gives the same port-to-inode table.
/// Answers are cached and a miss refreshes at once: short-lived processes such as `ip` are gone within
/// milliseconds, so the lookup must happen when their first message arrives. Create and use it on a thread in
/// the namespace being captured (port ids and /proc/thread-self/net are per namespace).
/// </summary>
internal sealed class NetlinkPortOwners : IDisposable
{
    private const ushort SOCK_DIAG_BY_FAMILY = 20;
    private const byte AF_NETLINK = 16;

    private readonly NetlinkSocket? _diag;
    private bool _diagFailed;
    private readonly Dictionary<(NetlinkProtocol, uint), (NetlinkPortOwner? Owner, long ValidUntil)> _cache = new();
    private readonly Dictionary<ulong, int> _inodeToPid = new();
    private readonly string _procNet;

    public NetlinkPortOwners(string procRoot = "/proc", bool useSockDiag = true)
    {
        ProcRoot = procRoot;
        _procNet = Path.Combine(procRoot, "thread-self", "net", "netlink");
        if (!useSockDiag) return;
        try
        {
            _diag = new NetlinkSocket(NetlinkProtocol.SockDiag);
            _diag.SetReceiveBuffer(1 << 20);
        }
        catch (Win32Exception)
        {
            _diag = null;
        }
    }

    public string ProcRoot { get; }
    /// <summary>The port id of the sock_diag socket, so a capture can leave out this class's own queries.</summary>
    public uint? DiagPortId => _diag?.PortId;
    /// <summary>How many times the socket table was read (for -Verbose).</summary>
    public int Refreshes { get; private set; }
    /// <summary>Whether the last table came from /proc/net/netlink because sock_diag failed.</summary>
    public bool UsedProcFallback { get; private set; }

    /// <summary>The owner of (protocol, port id); null for the kernel (port 0) and for sockets already closed.</summary>
    public NetlinkPortOwner? Resolve(NetlinkProtocol protocol, uint portId)
    {
        if (portId == 0) return null;
        long now = Environment.TickCount64;
        if (_cache.TryGetValue((protocol, portId), out var hit) && now < hit.ValidUntil) return hit.Owner;
        NetlinkPortOwner? owner = null;
        // Autobind gives a process's first netlink socket its pid as port id: look at that process before the
        // (slower) socket table is read, so a process that exits meanwhile is still named once the table confirms it.
        var snapshot = portId <= int.MaxValue ? Snapshot((int)portId) : null;
        var sockets = SocketTable(protocol);
        if (sockets.TryGetValue(portId, out var inode))
        {
            if (snapshot is { } s && s.Inodes.Contains(inode))
                owner = new NetlinkPortOwner((int)portId, s.Comm);
            else if (PidOf(inode, portId) is int pid)
                owner = new NetlinkPortOwner(pid, Comm(pid) ?? pid.ToString(CultureInfo.InvariantCulture));
        }
        // Known owners stay valid a while (port ids are rarely reused quickly); unknown ones are retried soon.
        _cache[(protocol, portId)] = (owner, now + (owner is null ? 250 : 5_000));
        return owner;
    }

    /// <summary>port id → socket inode for one protocol of this namespace.</summary>
    public Dictionary<uint, ulong> SocketTable(NetlinkProtocol protocol)
    {
        Refreshes++;
        if (_diag is not null && !_diagFailed)
        {
            try
            {
                UsedProcFallback = false;
                return DiagTable(protocol);
            }
            catch (Exception ex) when (ex is NetlinkKernelException or TimeoutException or Win32Exception)
            {
                _diagFailed = true;    // netlink_diag missing (ENOENT): use /proc from now on
            }
        }
        UsedProcFallback = true;
        return ProcTable(protocol);
    }

    private Dictionary<uint, ulong> DiagTable(NetlinkProtocol protocol)
    {
        // struct netlink_diag_req: family, protocol, pad, ino, show, cookie[2].
        var req = new byte[20];
        req[0] = AF_NETLINK;
        req[1] = (byte)protocol;
        BitConverter.TryWriteBytes(req.AsSpan(12), uint.MaxValue);
        BitConverter.TryWriteBytes(req.AsSpan(16), uint.MaxValue);
        var request = new MessageBuilder(SOCK_DIAG_BY_FAMILY, Nl.NLM_F_DUMP, 0, _diag!.PortId).AddBytes(req);
        var table = new Dictionary<uint, ulong>();
        foreach (var m in _diag.Request(request, "SOCK_DIAG_BY_FAMILY AF_NETLINK dump"))
        {
            // struct netlink_diag_msg: family, type, protocol, state, portid, dst_portid, dst_group, ino, cookie[2].
            var b = m.Bytes.AsSpan();
            if (m.Type != SOCK_DIAG_BY_FAMILY || b.Length < Nl.HeaderLength + 20) continue;
            var d = b[Nl.HeaderLength..];
            if (d[2] != (byte)protocol) continue;
            table[BitConverter.ToUInt32(d[4..])] = BitConverter.ToUInt32(d[16..]);
        }
        return table;
    }

    private Dictionary<uint, ulong> ProcTable(NetlinkProtocol protocol)
    {
        // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
        var table = new Dictionary<uint, ulong>();
        string[] lines;
        try
        {
            lines = File.ReadAllLines(_procNet);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return table;
        }
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || !int.TryParse(f[1], out var eth) || eth != (int)protocol) continue;
            if (uint.TryParse(f[2], out var port) && ulong.TryParse(f[9], out var inode)) table[port] = inode;
        }
        return table;
    }

    private (string Comm, HashSet<ulong> Inodes)? Snapshot(int pid) =>
        Comm(pid) is { } comm ? (comm, ScanProcess(pid)) : null;

    /// <summary>The process holding the socket inode; tries the process whose pid equals the port id first (autobind).</summary>
    private int? PidOf(ulong inode, uint portHint)
    {
        if (_inodeToPid.TryGetValue(inode, out var known) && Directory.Exists(Path.Combine(ProcRoot, known.ToString(CultureInfo.InvariantCulture))))
            return known;
        if (portHint <= int.MaxValue && ScanProcess((int)portHint).Contains(inode)) return (int)portHint;
        _inodeToPid.Clear();
        foreach (var dir in SafeEnumerate(ProcRoot))
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) ScanProcess(pid);
        return _inodeToPid.TryGetValue(inode, out var found) ? found : null;
    }

    /// <summary>The socket inodes of one process (also recorded in the inode-to-pid map).</summary>
    private HashSet<ulong> ScanProcess(int pid)
    {
        var found = new HashSet<ulong>();
        foreach (var fd in SafeEnumerate(Path.Combine(ProcRoot, pid.ToString(CultureInfo.InvariantCulture), "fd")))
        {
            string? link;
            try
            {
                link = new FileInfo(fd).LinkTarget;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (link is null || !link.StartsWith("socket:[", StringComparison.Ordinal)) continue;
            if (!ulong.TryParse(link.AsSpan(8, link.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode)) continue;
            _inodeToPid[inode] = pid;
            found.Add(inode);
        }
        return found;
    }

    private static IEnumerable<string> SafeEnumerate(string dir)
    {
        try
        {
            return Directory.GetFileSystemEntries(dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    private string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText(Path.Combine(ProcRoot, pid.ToString(CultureInfo.InvariantCulture), "comm")).TrimEnd('\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Dispose() => _diag?.Dispose();
}
