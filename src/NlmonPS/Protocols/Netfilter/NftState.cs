using System.Runtime.CompilerServices;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>What one stream of nf_tables messages taught: the key and data types of the sets it created or listed.</summary>
internal sealed class NftState
{
    private readonly Dictionary<ResolvedMessage, ResolvedMessage> _bound = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(string? Family, string? Table, string? Name), NftSetInfo> _sets = new();

    /// <summary>The message layout with a summary that can read this state.</summary>
    public ResolvedMessage Bind(ResolvedMessage resolved)
    {
        if (_bound.TryGetValue(resolved, out var bound)) return bound;
        var spec = resolved.Spec with { Summary = m => NftSummaries.Nft(m, this) };
        return _bound[resolved] = resolved with { Spec = spec };
    }

    public void LearnSet(NetlinkMessage m)
    {
        var a = m.Attributes;
        if (a["key_len"] is not uint keyLen) return;
        _sets[(m.Header["family"] as string, a["table"] as string, a["name"] as string)] = new NftSetInfo(
            a.Field("key_type")?.Value as string, keyLen, a.Field("data_type")?.Value as string,
            a["flags"] as string[] ?? Array.Empty<string>());
    }

    private readonly HashSet<uint> _pendingGets = new();
    private readonly ConditionalWeakTable<NetlinkMessage, object> _replies = new();

    /// <summary>
    /// Tells replies to a plain GET from notifications: both are NEW* messages without NLM_F_MULTI, but a reply
    /// answers a GET request of the same sequence number seen just before in the stream.
    /// </summary>
    public void Track(NetlinkMessage m)
    {
        bool get = m.TypeName.Contains("_GET", StringComparison.Ordinal) && !m.TypeName.EndsWith("GEN", StringComparison.Ordinal);
        if (m.Direction == NetlinkDirection.ToKernel)
        {
            if (get && (m.Flags & Nl.NLM_F_DUMP) != Nl.NLM_F_DUMP) _pendingGets.Add(m.Sequence);
            return;
        }
        if (m.Type < Nl.NLMSG_MIN_TYPE) { _pendingGets.Remove(m.Sequence); return; }
        if ((m.Flags & Nl.NLM_F_MULTI) == 0 && _pendingGets.Contains(m.Sequence) && m.TypeName.Contains("_NEW", StringComparison.Ordinal))
            _replies.AddOrUpdate(m, this);
    }

    public bool IsReply(NetlinkMessage m) => _replies.TryGetValue(m, out _);

    public NftSetInfo? Set(string? family, string? table, string? name) => _sets.GetValueOrDefault((family, table, name));
}

/// <summary>A set's key type (an nft datatype name when known) and flags.</summary>
internal sealed record NftSetInfo(string? KeyType, uint KeyLen, string? DataType, string[] Flags);
