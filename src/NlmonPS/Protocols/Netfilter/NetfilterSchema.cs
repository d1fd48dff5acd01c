using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>NETLINK_NETFILTER: tables to come (decoder issue); until then messages keep numbered raw fields.</summary>
public sealed class NetfilterSchema : IProtocolSchema
{
    public static readonly NetfilterSchema Instance = new();

    private NetfilterSchema() { }

    public NetlinkProtocol Protocol => NetlinkProtocol.Netfilter;

    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) => null;

    public string? TypeName(ushort type) => null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => Array.Empty<(ushort, string)>();
}
