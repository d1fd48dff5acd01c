using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.SockDiag;

/// <summary>
/// NETLINK_SOCK_DIAG (linux/sock_diag.h): what `ss` talks to. SOCK_DIAG_BY_FAMILY and SOCK_DESTROY have one layout
/// per address family and direction: the first payload byte (the family) picks inet/unix/netlink/packet, and
/// requests carry *_diag_req where replies carry *_diag_msg. The legacy TCPDIAG/DCCPDIAG_GETSOCK take inet_diag_req.
/// </summary>
internal sealed class SockDiagSchema : IProtocolSchema, IMessageObserver
{
    private const ushort TcpDiag = 18, DccpDiag = 19, ByFamily = 20, Destroy = 21;
    private const byte AfUnix = 1, AfInet = 2, AfInet6 = 10, AfNetlink = 16, AfPacket = 17;

    private static readonly Dictionary<ushort, (string Name, MessageKind Kind)> Types = new()
    {
        [TcpDiag] = ("TCPDIAG_GETSOCK", MessageKind.Get), [DccpDiag] = ("DCCPDIAG_GETSOCK", MessageKind.Get),
        [ByFamily] = ("SOCK_DIAG_BY_FAMILY", MessageKind.Get), [Destroy] = ("SOCK_DESTROY", MessageKind.Delete),
    };

    /// <summary>(request?, family) to family header and attribute set; any other family gets sock_diag_req only.</summary>
    private static readonly Dictionary<(bool Request, byte Family), (StructSpec Header, AttributeTable? Attributes)> Layouts = new()
    {
        [(true, AfInet)] = (SockDiagStructs.InetRequestV2, SockDiagTables.InetRequest),
        [(true, AfInet6)] = (SockDiagStructs.InetRequestV2, SockDiagTables.InetRequest),
        [(true, AfUnix)] = (SockDiagStructs.UnixRequest, null),
        [(true, AfNetlink)] = (SockDiagStructs.NetlinkRequest, null),
        [(true, AfPacket)] = (SockDiagStructs.PacketRequest, null),
        [(false, AfInet)] = (SockDiagStructs.InetMessage, SockDiagTables.Inet),
        [(false, AfInet6)] = (SockDiagStructs.InetMessage, SockDiagTables.Inet),
        [(false, AfUnix)] = (SockDiagStructs.UnixMessage, SockDiagTables.Unix),
        [(false, AfNetlink)] = (SockDiagStructs.NetlinkMessage, SockDiagTables.Netlink),
        [(false, AfPacket)] = (SockDiagStructs.PacketMessage, SockDiagTables.Packet),
    };

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(ushort, bool, byte, string?), ResolvedMessage> _cache = new();

    /// <summary>
    /// inet_diag_msg does not say which IP protocol it describes; the request did. Per stream, the protocol of
    /// recent requests by sequence number, so replies can read "tcp"/"udp" as ss prints them.
    /// </summary>
    private const ushort INET_DIAG_REQ_PROTOCOL = 3;

    private sealed class RequestProtocols : Dictionary<uint, string>;

    private SockDiagSchema() { }

    public NetlinkProtocol Protocol => NetlinkProtocol.SockDiag;

    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction)
    {
        if (!Types.TryGetValue(header.Type, out var type)) return null;
        bool request = direction != NetlinkDirection.FromKernel;
        byte family = payload.Length > 0 ? payload[0] : (byte)0;
        string? protocol = null;
        if (!request && family is AfInet or AfInet6 && context.StateFor<RequestProtocols>(Protocol) is var seqs)
            lock (seqs) seqs.TryGetValue(header.Sequence, out protocol);
        var key = (header.Type, request, family, protocol);
        return _cache.TryGetValue(key, out var cached) ? cached
            : _cache.GetOrAdd(key, Build(header.Type, type, request, family, protocol)); // built outside: no closure per message
    }

    private static ResolvedMessage Build(ushort typeNumber, (string Name, MessageKind Kind) type, bool request, byte family, string? protocol)
    {
        StructSpec header;
        AttributeTable? attributes;
        if (typeNumber is TcpDiag or DccpDiag)
        {
            // The legacy requests name the protocol by their type: TCP or DCCP.
            (header, attributes) = request
                ? (SockDiagStructs.InetRequest, SockDiagTables.InetRequest)
                : (SockDiagStructs.InetMessage, SockDiagTables.Inet);
            protocol ??= typeNumber == TcpDiag ? "tcp" : "dccp";
        }
        else if (!Layouts.TryGetValue((request, family), out var layout))
            (header, attributes) = (SockDiagStructs.Request, null);
        else
            (header, attributes) = layout;
        var spec = new MessageSpec(type.Name, type.Kind)
        {
            Header = header,
            Attributes = attributes,
            Summary = m => SockDiagSummaries.Summary(m, protocol),
        };
        return new ResolvedMessage(spec, 0);
    }

    public string? TypeName(ushort type) => Types.TryGetValue(type, out var t) ? t.Name : null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => Types.Select(p => (p.Key, p.Value.Name));

    /// <summary>Every layout a type can take: each direction and socket family (and one the tables do not know).</summary>
    public IEnumerable<MessageSpec>? LayoutsOf(ushort type) =>
        Types.TryGetValue(type, out var t)
            ? from request in new[] { true, false }
              from family in Layouts.Keys.Select(k => k.Family).Append((byte)0).Distinct()
              select Build(type, t, request, family, null).Spec
            : null;

    /// <summary>
    /// Requests by family (and destroys) tell the protocol their replies are about (judged by type: replies share it);
    /// an NLMSG_ERROR echoes its request, which is observed too.
    /// </summary>
    public Learning LearnsFrom(ushort type) => type is ByFamily or Destroy or Nl.NLMSG_ERROR ? Learning.OnlyWhenDecoded : Learning.Nothing;

    /// <summary>Remembers the IP protocol each inet request asked about, by sequence number (the last 256).</summary>
    public void Observe(DecodeContext context, NetlinkMessage message)
    {
        if (message.Direction != NetlinkDirection.ToKernel || message.Type is not (ByFamily or Destroy)) return;
        // Read without decoding the sets (every such request passes here): the INET_DIAG_REQ_PROTOCOL attribute,
        // which overrides inet_diag_req_v2's protocol (for protocols above 255), and the family.
        var protocol = message.TopScalar(INET_DIAG_REQ_PROTOCOL) ?? message.HeaderScalar("protocol");
        if (protocol is null || message.HeaderScalar("family") is not ("inet" or "inet6")) return;
        var seqs = context.StateFor<RequestProtocols>(Protocol);
        lock (seqs)
        {
            if (seqs.Count >= 256) seqs.Clear();
            seqs[message.Sequence] = NetlinkFields.Format(protocol);
        }
    }

    // Last: static fields initialise in textual order.
    public static readonly SockDiagSchema Instance = new();
}
