using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.SockDiag;

/// <summary>NETLINK_SOCKDIAG: tables to come (decoder issue); until then messages keep numbered raw fields.</summary>
public sealed class SockDiagSchema : IProtocolSchema
{
    public static readonly SockDiagSchema Instance = new();

    private SockDiagSchema() { }

    public NetlinkProtocol Protocol => NetlinkProtocol.SockDiag;

    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) => null;

    public string? TypeName(ushort type) => null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => Array.Empty<(ushort, string)>();
}
