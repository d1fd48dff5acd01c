using NlmonPS.Decoding;
using NlmonPS.Wire;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Other;

/// <summary>
/// NETLINK_USERSOCK: reserved for protocols between user-space programs; the kernel only carries the messages.
/// Their types and payloads belong to the programs, so a message shows its header and its payload, raw.
/// </summary>
internal sealed class UsersockSchema : IProtocolSchema
{
    public static readonly StructSpec RawPayload = new("usersock-payload", 0) { { "payload", 0, Binary } };

    private static readonly MessageSpec Spec = new("USERSOCK_MSG", MessageKind.Other) { Header = RawPayload, Summary = Summary };

    private UsersockSchema() { }

    public NetlinkProtocol Protocol => NetlinkProtocol.Usersock;

    /// <summary>The payload is the "payload" field; HeaderOffset past its end keeps the attribute walker off it.</summary>
    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) =>
        new(Spec, payload.Length);

    public string? TypeName(ushort type) => type >= Nl.NLMSG_MIN_TYPE ? "USERSOCK_MSG" : null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => new[] { ((ushort)Nl.NLMSG_MIN_TYPE, "USERSOCK_MSG") };

    private static string? Summary(NetlinkMessage m) =>
        m.Header["payload"] is byte[] p ? $"type {m.Type} from port {m.PortId}: {p.Length} bytes {NetlinkFields.Hex(p, 32)}" : $"type {m.Type} from port {m.PortId}";

    // Last: static fields initialise in textual order, and the constructor uses the ones above.
    public static readonly UsersockSchema Instance = new();
}
