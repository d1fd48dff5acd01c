using System.Text;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.KernelClients;

/// <summary>Numbers from include/uapi/linux/genetlink.h.</summary>
internal static class Genl
{
    public const ushort GENL_ID_CTRL = Nl.GENL_ID_CTRL;   // checked against genetlink.h with the rest of Genl
    public const int GenlHeaderLength = 4;

    public const byte CTRL_CMD_NEWFAMILY = 1;
    public const byte CTRL_CMD_GETFAMILY = 3;

    public const ushort CTRL_ATTR_FAMILY_ID = 1;
    public const ushort CTRL_ATTR_FAMILY_NAME = 2;
    public const ushort CTRL_ATTR_VERSION = 3;
    public const ushort CTRL_ATTR_HDRSIZE = 4;
    public const ushort CTRL_ATTR_MAXATTR = 5;
    public const ushort CTRL_ATTR_OPS = 6;
    public const ushort CTRL_ATTR_MCAST_GROUPS = 7;

    public const ushort CTRL_ATTR_OP_ID = 1;
    public const ushort CTRL_ATTR_OP_FLAGS = 2;

    public const ushort CTRL_ATTR_MCAST_GRP_NAME = 1;
    public const ushort CTRL_ATTR_MCAST_GRP_ID = 2;

    public const uint GENL_ADMIN_PERM = 0x01;
}

/// <summary>A generic netlink family as CTRL_CMD_GETFAMILY describes it: its run-time id, version, sizes, commands and multicast groups.</summary>
internal sealed class GenericNetlinkFamily
{
    public string Name { get; init; } = "";
    /// <summary>The family id: the nlmsg_type of its messages, assigned when the family registers.</summary>
    public ushort Id { get; init; }
    public uint Version { get; init; }
    /// <summary>Bytes of family header after genlmsghdr (0 for most families).</summary>
    public uint HeaderSize { get; init; }
    /// <summary>The highest attribute type the family accepts (grows with the kernel: tells features apart).</summary>
    public uint MaxAttribute { get; init; }
    /// <summary>Command number to its GENL_* flags (GENL_ADMIN_PERM...).</summary>
    public IReadOnlyDictionary<uint, uint> Operations { get; init; } = new Dictionary<uint, uint>();
    /// <summary>Multicast group name to group id.</summary>
    public IReadOnlyDictionary<string, uint> MulticastGroups { get; init; } = new Dictionary<string, uint>();

    public override string ToString() => $"{Name} (id {Id}, version {Version}, maxattr {MaxAttribute})";

    /// <summary>Reads a CTRL_CMD_NEWFAMILY message (the answer to GETFAMILY, or a notification).</summary>
    public static GenericNetlinkFamily? Parse(ReadOnlySpan<byte> message, ByteOrder order)
    {
        if (message.Length < Nl.HeaderLength + Genl.GenlHeaderLength) return null;
        var header = NetlinkHeader.Read(message, order);
        if (header.Type != Genl.GENL_ID_CTRL || message[Nl.HeaderLength] != Genl.CTRL_CMD_NEWFAMILY) return null;
        var attributes = GenericNetlinkClient.Walk(message.ToArray().AsMemory(Nl.HeaderLength + Genl.GenlHeaderLength), order);
        string? name = null;
        ushort id = 0;
        uint version = 0, hdrsize = 0, maxattr = 0;
        var ops = new Dictionary<uint, uint>();
        var groups = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var a in attributes)
        {
            var p = a.Payload.Span;
            switch (a.Type)
            {
                case Genl.CTRL_ATTR_FAMILY_ID when p.Length >= 2: id = Endian.U16(p, order); break;
                case Genl.CTRL_ATTR_FAMILY_NAME: name = GenericNetlinkClient.String(p); break;
                case Genl.CTRL_ATTR_VERSION when p.Length >= 4: version = Endian.U32(p, order); break;
                case Genl.CTRL_ATTR_HDRSIZE when p.Length >= 4: hdrsize = Endian.U32(p, order); break;
                case Genl.CTRL_ATTR_MAXATTR when p.Length >= 4: maxattr = Endian.U32(p, order); break;
                case Genl.CTRL_ATTR_OPS:
                    foreach (var op in GenericNetlinkClient.Walk(a.Payload, order))
                    {
                        var fields = GenericNetlinkClient.Walk(op.Payload, order);
                        if (GenericNetlinkClient.U32(fields, Genl.CTRL_ATTR_OP_ID, order) is uint opId)
                            ops[opId] = GenericNetlinkClient.U32(fields, Genl.CTRL_ATTR_OP_FLAGS, order) ?? 0;
                    }
                    break;
                case Genl.CTRL_ATTR_MCAST_GROUPS:
                    foreach (var g in GenericNetlinkClient.Walk(a.Payload, order))
                    {
                        var fields = GenericNetlinkClient.Walk(g.Payload, order);
                        var groupName = GenericNetlinkClient.Find(fields, Genl.CTRL_ATTR_MCAST_GRP_NAME) is { } n ? GenericNetlinkClient.String(n.Payload.Span) : null;
                        if (groupName is not null && GenericNetlinkClient.U32(fields, Genl.CTRL_ATTR_MCAST_GRP_ID, order) is uint groupId)
                            groups[groupName] = groupId;
                    }
                    break;
            }
        }
        if (name is null || id == 0) return null;
        return new GenericNetlinkFamily
        {
            Name = name, Id = id, Version = version, HeaderSize = hdrsize, MaxAttribute = maxattr,
            Operations = ops, MulticastGroups = groups,
        };
    }
}

/// <summary>
/// A generic netlink client: resolves families by name through nlctrl (CTRL_CMD_GETFAMILY), builds and sends
/// family commands, and opens listeners joined to a family's multicast group. Replies are read from the raw
/// attributes, independent of the decoder's family tables.
/// </summary>
internal sealed class GenericNetlinkClient : IDisposable
{
    private const int ENOENT = 2;
    private readonly bool _ownsSocket;

    public GenericNetlinkClient() : this(new NetlinkSocket(NetlinkProtocol.Generic), true) { }

    public GenericNetlinkClient(NetlinkSocket socket, bool ownsSocket = false)
    {
        Socket = socket;
        _ownsSocket = ownsSocket;
    }

    public NetlinkSocket Socket { get; }

    /// <summary>The family by name, or null when the kernel has no family of that name (ENOENT).</summary>
    public GenericNetlinkFamily? GetFamily(string name)
    {
        var request = new MessageBuilder(Genl.GENL_ID_CTRL, 0)
            .AddBytes(new byte[] { Genl.CTRL_CMD_GETFAMILY, 1, 0, 0 })
            .AddString(Genl.CTRL_ATTR_FAMILY_NAME, name);
        try
        {
            foreach (var m in Socket.Request(request, $"CTRL_CMD_GETFAMILY {name}"))
                if (GenericNetlinkFamily.Parse(m.Bytes, m.ByteOrder) is { } family && family.Name == name) return family;
            return null;
        }
        catch (NetlinkKernelException e) when (e.Errno == ENOENT)
        {
            return null;
        }
    }

    /// <summary>A request for one command of a family: netlink header, genlmsghdr (command, family version), zeroed family header.</summary>
    public static MessageBuilder NewRequest(GenericNetlinkFamily family, byte command, ushort flags = 0)
    {
        var b = new MessageBuilder(family.Id, flags).AddBytes(new byte[] { command, (byte)Math.Min(family.Version, 255u), 0, 0 });
        if (family.HeaderSize > 0) b.AddBytes(new byte[family.HeaderSize]);
        return b;
    }

    /// <summary>Sends a request and returns the replies (up to the ACK or NLMSG_DONE); kernel errors throw <see cref="NetlinkKernelException"/>.</summary>
    public List<NetlinkMessage> Request(MessageBuilder request, string what, int timeoutMs = 5000) => Socket.Request(request, what, timeoutMs);

    /// <summary>
    /// A new socket joined to one of the family's multicast groups: a separate socket, so notifications never
    /// mix with the replies of <see cref="Request"/>.
    /// </summary>
    public static NetlinkSocket OpenListener(GenericNetlinkFamily family, string group, int receiveBufferBytes)
    {
        if (!family.MulticastGroups.TryGetValue(group, out var groupId))
            throw new InvalidOperationException($"The generic netlink family {family.Name} has no multicast group '{group}' (it has: {string.Join(", ", family.MulticastGroups.Keys)}).");
        var socket = new NetlinkSocket(NetlinkProtocol.Generic);
        try
        {
            if (receiveBufferBytes > 0) socket.SetReceiveBuffer(receiveBufferBytes);
            socket.JoinGroup(groupId);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The attributes of a family message (after the netlink header, genlmsghdr and the family header).</summary>
    public static List<RawAttribute> Attributes(ReadOnlyMemory<byte> message, ByteOrder order, uint headerSize = 0)
    {
        int start = Nl.HeaderLength + Genl.GenlHeaderLength + (int)headerSize;
        if (message.Length <= start) return new List<RawAttribute>();
        int length = message.Length;
        if (message.Length >= Nl.HeaderLength)
            length = (int)Math.Min((uint)message.Length, NetlinkHeader.Read(message.Span, order).Length);
        return length <= start ? new List<RawAttribute>() : Walk(message[start..length], order, start);
    }

    public static List<RawAttribute> Walk(ReadOnlyMemory<byte> data, ByteOrder order, int baseOffset = 0)
    {
        var list = new List<RawAttribute>();
        AttributeWalker.Walk(data, baseOffset, order, list);
        return list;
    }

    public static RawAttribute? Find(List<RawAttribute> attributes, ushort type)
    {
        foreach (var a in attributes) if (a.Type == type) return a;
        return null;
    }

    public static string String(ReadOnlySpan<byte> payload)
    {
        int end = payload.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? payload : payload[..end]);
    }

    public static uint? U32(List<RawAttribute> attributes, ushort type, ByteOrder order) =>
        Find(attributes, type) is { Payload.Length: >= 4 } a ? Endian.U32(a.Payload.Span, order) : null;

    public void Dispose()
    {
        if (_ownsSocket) Socket.Dispose();
    }
}
