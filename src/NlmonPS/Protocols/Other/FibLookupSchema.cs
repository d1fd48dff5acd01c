using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Other;

/// <summary>NETLINK_FIBLOOKUP: tables to come (decoder issue); until then messages keep numbered raw fields.</summary>
public sealed class FibLookupSchema : IProtocolSchema
{
    public static readonly FibLookupSchema Instance = new();

    private FibLookupSchema() { }

    public NetlinkProtocol Protocol => NetlinkProtocol.FibLookup;

    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) => null;

    public string? TypeName(ushort type) => null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => Array.Empty<(ushort, string)>();
}
