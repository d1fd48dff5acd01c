using System.Text;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.KernelClients;

/// <summary>One network device as RTM_NEWLINK describes it (the fields the nlmon cmdlets need).</summary>
internal sealed class LinkInfo
{
    public string Name { get; init; } = "";
    public int Index { get; init; }
    /// <summary>IFLA_INFO_KIND ("nlmon", "veth"...); null for devices without one (lo, physical NICs).</summary>
    public string? Kind { get; init; }
    /// <summary>ifi_flags (IFF_UP = 1, IFF_RUNNING = 0x40...).</summary>
    public uint Flags { get; init; }
    public bool IsUp => (Flags & Links.IFF_UP) != 0;
    /// <summary>IFLA_OPERSTATE as iproute2 prints it: UNKNOWN, DOWN, UP...</summary>
    public string OperState { get; init; } = "UNKNOWN";
    public uint Mtu { get; init; }
    /// <summary>ifi_type (ARPHRD_*; 824 for netlink devices).</summary>
    public ushort Type { get; init; }
    /// <summary>IFLA_STATS64, or null when the kernel sent none.</summary>
    public LinkStats? Stats { get; init; }

    public override string ToString() => $"{Index}: {Name} ({Kind ?? "no kind"}) mtu {Mtu} {(IsUp ? "up" : "down")} {OperState}";
}

/// <summary>The struct rtnl_link_stats64 counters the cmdlets show.</summary>
internal sealed record LinkStats(ulong RxPackets, ulong TxPackets, ulong RxBytes, ulong TxBytes, ulong RxErrors, ulong TxErrors, ulong RxDropped, ulong TxDropped);

/// <summary>
/// rtnetlink link operations over one NETLINK_ROUTE socket: list and get (RTM_GETLINK), create
/// (RTM_NEWLINK with IFLA_LINKINFO), change MTU and up/down (RTM_SETLINK with ifi_change), delete (RTM_DELLINK).
/// The socket is bound to the network namespace of the thread that created this object. Kernel refusals
/// surface as <see cref="NetlinkKernelException"/> with the extended-ACK text.
/// </summary>
internal sealed class Links : IDisposable
{
    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_DELLINK = 17;
    public const ushort RTM_GETLINK = 18;
    public const ushort RTM_SETLINK = 19;
    public const ushort IFLA_ADDRESS = 1;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_MTU = 4;
    public const ushort IFLA_OPERSTATE = 16;
    public const ushort IFLA_LINKINFO = 18;
    public const ushort IFLA_STATS64 = 23;
    public const ushort IFLA_INFO_KIND = 1;
    public const uint IFF_UP = 0x1;

    private static readonly string[] OperStates = { "UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP" };

    private readonly NetlinkSocket _socket;

    public Links() => _socket = new NetlinkSocket(NetlinkProtocol.Route);

    /// <summary>The port id of the rtnetlink socket (to recognise this client's own traffic).</summary>
    public uint PortId => _socket.PortId;

    /// <summary>Every device of the namespace (RTM_GETLINK dump).</summary>
    public List<LinkInfo> List()
    {
        var request = Message(RTM_GETLINK, Nl.NLM_F_DUMP, 0, 0, 0);
        return _socket.Request(request, "RTM_GETLINK dump").Select(Parse).OfType<LinkInfo>().ToList();
    }

    /// <summary>One device by name, or null when there is none (ENODEV).</summary>
    public LinkInfo? Get(string name)
    {
        var request = Message(RTM_GETLINK, 0, 0, 0, 0).AddString(IFLA_IFNAME, name);
        return GetOne(request, $"RTM_GETLINK {name}");
    }

    /// <summary>One device by index, or null when there is none (ENODEV).</summary>
    public LinkInfo? Get(int index) => GetOne(Message(RTM_GETLINK, 0, index, 0, 0), $"RTM_GETLINK index {index}");

    private LinkInfo? GetOne(MessageBuilder request, string what)
    {
        try
        {
            return _socket.Request(request, what).Select(Parse).OfType<LinkInfo>().FirstOrDefault();
        }
        catch (NetlinkKernelException ex) when (ex.Errno == Libc.ENODEV)
        {
            return null;
        }
    }

    /// <summary>Creates a device of <paramref name="kind"/> (ip link add NAME [mtu M] type KIND [up]).</summary>
    public void Create(string name, string kind, uint? mtu = null, bool up = false)
    {
        var request = Message(RTM_NEWLINK, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL, 0, up ? IFF_UP : 0, up ? IFF_UP : 0)
            .AddString(IFLA_IFNAME, name);
        if (mtu is uint m) request.AddU32(IFLA_MTU, m);
        request.BeginNest(IFLA_LINKINFO).AddString(IFLA_INFO_KIND, kind).EndNest();
        _socket.Request(request, $"RTM_NEWLINK {name} type {kind}");
    }

    /// <summary>Changes the MTU and/or the administrative state (ip link set dev NAME mtu M up|down).</summary>
    public void Set(int index, uint? mtu = null, bool? up = null)
    {
        if (mtu is null && up is null) return;
        uint flags = up == true ? IFF_UP : 0, change = up is null ? 0 : IFF_UP;
        var request = Message(RTM_SETLINK, 0, index, flags, change);
        if (mtu is uint m) request.AddU32(IFLA_MTU, m);
        var what = $"RTM_SETLINK index {index}" + (mtu is null ? "" : $" mtu {mtu}") + (up is null ? "" : up.Value ? " up" : " down");
        _socket.Request(request, what);
    }

    /// <summary>Deletes a device (ip link del).</summary>
    public void Delete(int index) => _socket.Request(Message(RTM_DELLINK, 0, index, 0, 0), $"RTM_DELLINK index {index}");

    /// <summary>Deletes a device by name (ip link del NAME).</summary>
    public void Delete(string name) =>
        _socket.Request(Message(RTM_DELLINK, 0, 0, 0, 0).AddString(IFLA_IFNAME, name), $"RTM_DELLINK {name}");

    private MessageBuilder Message(ushort type, ushort flags, int index, uint ifFlags, uint change)
    {
        Span<byte> ifinfo = stackalloc byte[16];
        ifinfo.Clear();
        BitConverter.TryWriteBytes(ifinfo[4..], index);
        BitConverter.TryWriteBytes(ifinfo[8..], ifFlags);
        BitConverter.TryWriteBytes(ifinfo[12..], change);
        // Our own port in nlmsg_pid, so a capture can tell this client's requests from everyone else's.
        return new MessageBuilder(type, flags, 0, _socket.PortId).AddBytes(ifinfo);
    }

    /// <summary>Reads an RTM_NEWLINK message (host byte order, as the kernel sent it).</summary>
    public static LinkInfo? Parse(NetlinkMessage message)
    {
        if (message.Type != RTM_NEWLINK) return null;
        var bytes = message.Bytes;
        if (bytes.Length < Nl.HeaderLength + 16) return null;
        var ifi = bytes.AsSpan(Nl.HeaderLength);
        var attributes = new List<RawAttribute>();
        AttributeWalker.Walk(bytes.AsMemory(Nl.HeaderLength + 16), Nl.HeaderLength + 16, Endian.Host, attributes);
        string name = "", operState = "UNKNOWN";
        string? kind = null;
        uint mtu = 0;
        LinkStats? stats = null;
        foreach (var a in attributes)
        {
            var p = a.Payload.Span;
            switch (a.Type)
            {
                case IFLA_IFNAME: name = CString(p); break;
                case IFLA_MTU when p.Length >= 4: mtu = BitConverter.ToUInt32(p); break;
                case IFLA_OPERSTATE when p.Length >= 1: operState = p[0] < OperStates.Length ? OperStates[p[0]] : $"unknown({p[0]})"; break;
                case IFLA_STATS64 when p.Length >= 64:
                    stats = new LinkStats(U64(p, 0), U64(p, 1), U64(p, 2), U64(p, 3), U64(p, 4), U64(p, 5), U64(p, 6), U64(p, 7));
                    break;
                case IFLA_LINKINFO:
                    var info = new List<RawAttribute>();
                    AttributeWalker.Walk(a.Payload, 0, Endian.Host, info);
                    foreach (var i in info) if (i.Type == IFLA_INFO_KIND) kind = CString(i.Payload.Span);
                    break;
            }
        }
        return new LinkInfo
        {
            Name = name,
            Index = BitConverter.ToInt32(ifi[4..]),
            Type = BitConverter.ToUInt16(ifi[2..]),
            Flags = BitConverter.ToUInt32(ifi[8..]),
            Kind = kind,
            OperState = operState,
            Mtu = mtu,
            Stats = stats,
        };
    }

    private static ulong U64(ReadOnlySpan<byte> p, int i) => BitConverter.ToUInt64(p[(i * 8)..]);

    private static string CString(ReadOnlySpan<byte> p)
    {
        int end = p.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? p : p[..end]);
    }

    public void Dispose() => _socket.Dispose();
}
