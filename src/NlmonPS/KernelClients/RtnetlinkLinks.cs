using System.Text;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.KernelClients;

/// <summary>A network interface as RTM_NEWLINK describes it: what the kernel clients need to name and address it.</summary>
internal sealed record RtnetlinkLink(int Index, string Name, string? Kind)
{
    /// <summary>
    /// The device IFLA_LINK names in this namespace (a veth's peer, a VLAN's lower device), or null: none, or it is in
    /// another namespace (IFLA_LINK_NETNSID).
    /// </summary>
    public int? LinkIndex { get; init; }

    public override string ToString() => Name;
}

/// <summary>Link lookup by name or index over rtnetlink (RTM_GETLINK), parsed from the raw attributes.</summary>
internal static class RtnetlinkLinks
{
    /// <summary>Every link of the socket's network namespace.</summary>
    public static List<RtnetlinkLink> Dump(NetlinkSocket socket)
    {
        var request = new MessageBuilder(Rtm.RTM_GETLINK, Nl.NLM_F_DUMP).AddBytes(new byte[Rtm.IfInfoMsgLength]);
        var links = new List<RtnetlinkLink>();
        foreach (var m in socket.Request(request, "RTM_GETLINK dump"))
            if (Parse(m) is { } link) links.Add(link);
        return links;
    }

    /// <summary>
    /// Teaches a stream the names of this network namespace's links, for summaries of live traffic ("dev d0"); the
    /// stream's own link messages still win. Best effort: a kernel that cannot be asked leaves the indexes as numbers.
    /// </summary>
    public static int Seed(LinkNames names)
    {
        try
        {
            using var socket = new NetlinkSocket(NetlinkProtocol.Route);
            var links = Dump(socket);
            foreach (var link in links) names.Seed(link.Index, link.Name);
            return links.Count;
        }
        catch (Exception e) when (e is NetlinkKernelException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            return 0;
        }
    }

    /// <summary>One link by name (the kernel also resolves alternative names); null when there is none.</summary>
    public static RtnetlinkLink? Get(NetlinkSocket socket, string name)
    {
        if (string.IsNullOrEmpty(name) || Encoding.UTF8.GetByteCount(name) >= 128) return null;
        var request = new MessageBuilder(Rtm.RTM_GETLINK, 0).AddBytes(new byte[Rtm.IfInfoMsgLength]).AddString(Rtm.IFLA_IFNAME, name);
        return GetOne(socket, request, $"RTM_GETLINK {name}");
    }

    /// <summary>One link by index; null when there is none.</summary>
    public static RtnetlinkLink? Get(NetlinkSocket socket, int index)
    {
        if (index <= 0) return null;
        var header = new byte[Rtm.IfInfoMsgLength];
        BitConverter.TryWriteBytes(header.AsSpan(4), index);
        var request = new MessageBuilder(Rtm.RTM_GETLINK, 0).AddBytes(header);
        return GetOne(socket, request, $"RTM_GETLINK index {index}");
    }

    /// <summary>A link by name, or by index when the text is a number that names no link.</summary>
    public static RtnetlinkLink? Resolve(NetlinkSocket socket, string nameOrIndex)
    {
        var link = Get(socket, nameOrIndex);
        if (link is null && int.TryParse(nameOrIndex, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
            link = Get(socket, index);
        return link;
    }

    private static RtnetlinkLink? GetOne(NetlinkSocket socket, MessageBuilder request, string what)
    {
        // A plain GET answers with the message itself; NLM_F_ACK would add a trailing ACK, which Request reads too.
        try
        {
            foreach (var m in socket.Request(request, what))
                if (Parse(m) is { } link) return link;
            return null;
        }
        catch (NetlinkKernelException e) when (e.Errno is 19 /* ENODEV */ or 2 /* ENOENT */)
        {
            return null;
        }
    }

    /// <summary>Reads index, name and kind out of an RTM_NEWLINK message.</summary>
    public static RtnetlinkLink? Parse(NetlinkMessage m)
    {
        if (m.Type != Rtm.RTM_NEWLINK || m.Bytes.Length < Nl.HeaderLength + Rtm.IfInfoMsgLength) return null;
        var order = m.ByteOrder;
        var body = m.Bytes.AsMemory(Nl.HeaderLength);
        int index = (int)Endian.U32(body.Span[4..], order);
        var attributes = RtAttributes.Walk(body[Rtm.IfInfoMsgLength..], order);
        var name = RtAttributes.String(attributes, Rtm.IFLA_IFNAME);
        if (name is null) return null;
        string? kind = null;
        if (RtAttributes.Find(attributes, Rtm.IFLA_LINKINFO) is { } linkInfo)
            kind = RtAttributes.String(RtAttributes.Walk(linkInfo.Payload, order), Rtm.IFLA_INFO_KIND);
        int? link = RtAttributes.Find(attributes, Rtm.IFLA_LINK_NETNSID) is null && RtAttributes.U32(attributes, Rtm.IFLA_LINK, order) is uint l and > 0
            ? (int)l : null;
        return new RtnetlinkLink(index, name, kind) { LinkIndex = link };
    }
}

/// <summary>Small helpers over <see cref="AttributeWalker"/> for clients that read only a few attributes.</summary>
internal static class RtAttributes
{
    public static List<RawAttribute> Walk(ReadOnlyMemory<byte> data, ByteOrder order)
    {
        var list = new List<RawAttribute>();
        AttributeWalker.Walk(data, 0, order, list);
        return list;
    }

    public static RawAttribute? Find(List<RawAttribute> attributes, ushort type)
    {
        foreach (var a in attributes) if (a.Type == type) return a;
        return null;
    }

    public static string? String(List<RawAttribute> attributes, ushort type) =>
        Find(attributes, type) is { } a ? String(a.Payload.Span) : null;

    public static string String(ReadOnlySpan<byte> payload)
    {
        int end = payload.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? payload : payload[..end]);
    }

    public static uint? U32(List<RawAttribute> attributes, ushort type, ByteOrder order) =>
        Find(attributes, type) is { Payload.Length: >= 4 } a ? Endian.U32(a.Payload.Span, order) : null;
}
