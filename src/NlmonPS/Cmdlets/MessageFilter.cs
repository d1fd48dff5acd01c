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
