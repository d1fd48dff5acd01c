using System.Buffers.Text;

namespace NlmonPS.Tracing;

/// <summary>What we know about one netlink socket (keyed by its sockfs inode).</summary>
internal sealed class NetlinkSocket(ulong inode)
{
    public ulong Inode { get; } = inode;

    /// <summary>NETLINK_* protocol, -1 until the socket shows up in /proc/PID/net/netlink.</summary>
    public int Protocol { get; set; } = -1;

    public uint PortId { get; set; }

    /// <summary>Listed in /proc/PID/net/netlink, i.e. bound: protocol and port id are final.</summary>
    public bool Bound { get; set; }
}

/// <summary>
/// Decides whether a tracee fd is an AF_NETLINK socket and finds its protocol and port id.
///
/// A check is readlink(/proc/TID/fd/FD) -> "socket:[INODE]", and what is known about a socket is
/// cached by that inode rather than by (pid, fd): fds get closed, dup2'ed over, inherited, closed on
/// exec or passed around, and keying on the inode is immune to all of that. (sockfs inode numbers come
/// from a counter and repeat only after ~2^32 allocations.) The readlink itself is not cheap (procfs
/// permission checks: several µs), so the engine puts a per-process fd-number cache in front of it.
///
/// /proc/TID/net/netlink (the tracee's own network namespace) lists only *bound* netlink sockets, so a
/// socket that has not been bound yet (autobind happens inside its first send) is recognised through
/// the sockfs xattr "system.sockprotoname" == "NETLINK" (as strace -yy does) and looked up again later.
/// </summary>
internal sealed unsafe class NetlinkSocketResolver
{
    private const int MaxCacheEntries = 4096;
    private readonly Dictionary<ulong, NetlinkSocket?> _byInode = new();

    /// <summary>
    /// What fd is in thread tid: true with the socket if it is netlink, true with null if it is
    /// something else, false if that could not be determined (fd not open, thread gone): only the
    /// first two may be cached by fd number.
    /// </summary>
    public bool TryResolve(int tid, int fd, out NetlinkSocket? socket)
    {
        socket = null;
        if (fd < 0)
            return false;

        byte* path = stackalloc byte[64];
        WriteFdPath(path, tid, fd);
        byte* link = stackalloc byte[256];
        nint n = Native.readlink(path, link, 256);
        if (n <= 0)
            return false;
        if (!TryParseSocketInode(new ReadOnlySpan<byte>(link, (int)n), out ulong inode))
            return true; // a file, pipe, anon inode...: not netlink

        if (_byInode.TryGetValue(inode, out NetlinkSocket? known))
        {
            if (known is { Bound: false })
                Refresh(tid, known);
            socket = known;
            return true;
        }

        var sock = new NetlinkSocket(inode);
        if (!LookupProcNetNetlink(tid, sock) && !HasNetlinkProtoName(path))
            sock = null;

        if (_byInode.Count >= MaxCacheEntries)
            _byInode.Clear();
        _byInode[inode] = sock;
        socket = sock;
        return true;
    }

    /// <summary>Re-reads the table for a socket that was not bound yet (after a send it usually is).</summary>
    public void Refresh(int tid, NetlinkSocket sock)
    {
        if (!sock.Bound)
            LookupProcNetNetlink(tid, sock);
    }

    private static void WriteFdPath(byte* dst, int tid, int fd)
    {
        var span = new Span<byte>(dst, 64);
        "/proc/"u8.CopyTo(span);
        int pos = 6;
        Utf8Formatter.TryFormat(tid, span[pos..], out int w);
        pos += w;
        "/fd/"u8.CopyTo(span[pos..]);
        pos += 4;
        Utf8Formatter.TryFormat(fd, span[pos..], out w);
        pos += w;
        span[pos] = 0;
    }

    internal static bool TryParseSocketInode(ReadOnlySpan<byte> link, out ulong inode)
    {
        inode = 0;
        ReadOnlySpan<byte> prefix = "socket:["u8;
        if (!link.StartsWith(prefix) || link[^1] != (byte)']')
            return false;
        return Utf8Parser.TryParse(link[prefix.Length..^1], out inode, out int consumed) && consumed == link.Length - prefix.Length - 1;
    }

    private static bool HasNetlinkProtoName(byte* fdPath)
    {
        byte* value = stackalloc byte[32];
        fixed (byte* name = "system.sockprotoname\0"u8)
        {
            nint n = Native.getxattr(fdPath, name, value, 32);
            if (n <= 0)
                return false;
            var v = new ReadOnlySpan<byte>(value, (int)n).TrimEnd((byte)0);
            return v.SequenceEqual("NETLINK"u8);
        }
    }

    /// <summary>Finds the inode in /proc/TID/net/netlink: "sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode".</summary>
    private static bool LookupProcNetNetlink(int tid, NetlinkSocket sock)
    {
        byte[] table;
        try
        {
            table = File.ReadAllBytes("/proc/" + tid + "/net/netlink");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }

        if (!TryFindInTable(table, sock.Inode, out int protocol, out uint portId))
            return false;
        sock.Protocol = protocol;
        sock.PortId = portId;
        sock.Bound = true;
        return true;
    }

    internal static bool TryFindInTable(ReadOnlySpan<byte> table, ulong inode, out int protocol, out uint portId)
    {
        protocol = -1;
        portId = 0;
        bool header = true;
        while (!table.IsEmpty)
        {
            int nl = table.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = nl < 0 ? table : table[..nl];
            table = nl < 0 ? default : table[(nl + 1)..];
            if (header)
            {
                header = false;
                continue;
            }

            // Columns 1 (Eth = protocol), 2 (Pid = port id) and 9 (Inode).
            ReadOnlySpan<byte> eth = default, pid = default, ino = default;
            int col = 0;
            while (!line.IsEmpty)
            {
                line = line.TrimStart((byte)' ');
                if (line.IsEmpty)
                    break;
                int sp = line.IndexOf((byte)' ');
                ReadOnlySpan<byte> field = sp < 0 ? line : line[..sp];
                line = sp < 0 ? default : line[sp..];
                switch (col++)
                {
                    case 1: eth = field; break;
                    case 2: pid = field; break;
                    case 9: ino = field; break;
                }
            }

            if (Utf8Parser.TryParse(ino, out ulong lineInode, out _) && lineInode == inode &&
                Utf8Parser.TryParse(eth, out int proto, out _) && Utf8Parser.TryParse(pid, out uint port, out _))
            {
                protocol = proto;
                portId = port;
                return true;
            }
        }
        return false;
    }
}
