using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Other;

/// <summary>NETLINK_USERSOCK: tables to come (decoder issue); until then messages keep numbered raw fields.</summary>
public sealed class UsersockSchema : IProtocolSchema
{
    public static readonly UsersockSchema Instance = new();

    private UsersockSchema() { }

    public NetlinkProtocol Protocol => NetlinkProtocol.Usersock;

    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) => null;

    public string? TypeName(ushort type) => null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => Array.Empty<(ushort, string)>();
}
