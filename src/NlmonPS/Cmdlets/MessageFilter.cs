using System.Management.Automation;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>The -Protocol / -MessageType / -Count selection shared by every cmdlet that emits messages.</summary>
internal sealed class MessageFilter
{
    private readonly HashSet<NetlinkProtocol>? _protocols;
    private readonly WildcardPattern[]? _types;
    private readonly int _limit;

    public MessageFilter(NetlinkProtocol[]? protocols, string[]? messageTypes, int count)
    {
        if (protocols is { Length: > 0 }) _protocols = new HashSet<NetlinkProtocol>(protocols);
        if (messageTypes is { Length: > 0 })
            _types = messageTypes.Select(t => new WildcardPattern(t, WildcardOptions.IgnoreCase)).ToArray();
        _limit = count;
    }

    public int Emitted { get; private set; }
    public bool IsComplete => _limit > 0 && Emitted >= _limit;

    /// <summary>Whether a record of this protocol can hold anything wanted (skip decoding it otherwise).</summary>
    public bool WantsProtocol(NetlinkProtocol protocol) => _protocols is null || _protocols.Contains(protocol);

    /// <summary>
    /// Whether a message of this type may pass, judged from its number alone so unwanted messages are never
    /// decoded. Undecided (true) where only decoding tells: generic netlink commands, nlctrl (which teaches
    /// family ids and so is always decoded), types without a static name.
    /// </summary>
    public bool MayMatch(NetlinkProtocol protocol, ushort type)
    {
        if (!WantsProtocol(protocol) && protocol != NetlinkProtocol.Generic) return false;
        if (_types is null) return true;
        string? name = type < Nl.NLMSG_MIN_TYPE ? NetlinkDecoder.ControlTypeName(type)
            : protocol == NetlinkProtocol.Generic ? null
            : Schemas.For(protocol)?.TypeName(type);
        return name is null || _types.Any(p => p.IsMatch(name));
    }

    /// <summary>Whether to emit the message; counts it when so.</summary>
    public bool Accept(NetlinkMessage m)
    {
        if (IsComplete || !WantsProtocol(m.Protocol)) return false;
        if (_types is not null && !_types.Any(p => p.IsMatch(m.TypeName) || (m.Command is not null && p.IsMatch(m.Command))))
            return false;
        Emitted++;
        return true;
    }
}
