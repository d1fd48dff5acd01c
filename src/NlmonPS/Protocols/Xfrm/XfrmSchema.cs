using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Xfrm;

/// <summary>NETLINK_XFRM: tables to come (decoder issue); until then messages keep numbered raw fields.</summary>
public sealed class XfrmSchema : IProtocolSchema
{
    public static readonly XfrmSchema Instance = new();

    private XfrmSchema() { }

    public NetlinkProtocol Protocol => NetlinkProtocol.Xfrm;

    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) => null;

    public string? TypeName(ushort type) => null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => Array.Empty<(ushort, string)>();
}
