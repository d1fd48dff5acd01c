using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Other;

/// <summary>NETLINK_NFLOG: tables to come (decoder issue); until then messages keep numbered raw fields.</summary>
public sealed class NflogSchema : IProtocolSchema
{
    public static readonly NflogSchema Instance = new();

    private NflogSchema() { }

    public NetlinkProtocol Protocol => NetlinkProtocol.Nflog;

    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) => null;

    public string? TypeName(ushort type) => null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => Array.Empty<(ushort, string)>();
}
