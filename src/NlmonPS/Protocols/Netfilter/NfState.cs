using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>
/// What one stream of netfilter messages taught, for the summaries of later messages: which kernel messages answer
/// a GET (rather than notify a change), and the key and data types of the nf_tables sets created or listed.
/// </summary>
internal sealed class NfState
{
    private readonly Dictionary<ResolvedMessage, ResolvedMessage> _bound = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(string? Family, string? Table, string? Name), NftSetInfo> _sets = new();
    // Plain GETs awaiting their answer: by sequence number, a bit per subsystem (nfnetlink has 13). An ACK or error
    // closes a sequence whatever the subsystem, so this is one lookup, not a scan.
    private readonly Dictionary<uint, ulong> _pendingGets = new();

    /// <summary>The message layout with a summary that can read this state.</summary>
    public ResolvedMessage Bind(ResolvedMessage resolved, Func<NetlinkMessage, NfState?, string?> summary)
    {
        return _bound.TryGetValue(resolved, out var bound) ? bound : _bound[resolved] = Bound(resolved, summary);
    }

    // Apart from Bind: a lambda capturing a parameter allocates its closure on entry, even when the cache answers.
    private ResolvedMessage Bound(ResolvedMessage resolved, Func<NetlinkMessage, NfState?, string?> summary) =>
        resolved with { Spec = resolved.Spec with { Summary = m => summary(m, this) } };

    /// <summary>
    /// Tells replies to a plain GET from notifications: both are NEW* messages without NLM_F_MULTI, but a reply
    /// answers a GET request of the same subsystem and sequence number, seen before its ACK or error.
    /// </summary>
    public void Track(NetlinkMessage m)
    {
        if (Track(m.Type, m.TypeName, m.Direction, m.Flags, m.Sequence)) m.AnswersRequest = true;
    }

    /// <summary>The same for a message seen only as bytes (a filter left it undecoded); true when it answers a GET.</summary>
    public bool Track(ushort type, string typeName, NetlinkDirection direction, ushort flags, uint sequence)
    {
        if (type < Nl.NLMSG_MIN_TYPE)
        {
            if (direction != NetlinkDirection.ToKernel && _pendingGets.Count > 0) _pendingGets.Remove(sequence);
            return false;
        }
        int subsystem = type >> 8;
        if (subsystem >= 64) return false;
        ulong bit = 1UL << subsystem;
        if (direction == NetlinkDirection.ToKernel)
        {
            bool get = typeName.Contains("_GET", StringComparison.Ordinal) && !typeName.EndsWith("GEN", StringComparison.Ordinal);
            if (!get || (flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP) return false;
            // Bounded: a GET whose answer the capture missed must not pile up over a long capture.
            if (_pendingGets.Count >= 1024) _pendingGets.Clear();
            _pendingGets[sequence] = _pendingGets.GetValueOrDefault(sequence) | bit;
            return false;
        }
        // A plain GET has one answer (without NLM_F_ACK, no ACK follows it to close the request).
        if ((flags & Nl.NLM_F_MULTI) != 0 || !_pendingGets.TryGetValue(sequence, out var waiting) || (waiting & bit) == 0) return false;
        if ((waiting &= ~bit) == 0) _pendingGets.Remove(sequence);
        else _pendingGets[sequence] = waiting;
        return true;
    }

    /// <summary>Whether a kernel message answers a request rather than notifies: dump parts, and GET replies.</summary>
    public bool IsReply(NetlinkMessage m) => (m.Flags & Nl.NLM_F_MULTI) != 0 || m.AnswersRequest;

    /// <summary>A NEWSET's table, name and types, read from its top-level attributes (every NEWSET of a stream passes here).</summary>
    public void LearnSet(NetlinkMessage m)
    {
        if (m.TopScalar(NFTA_SET_KEY_LEN) is not uint keyLen) return;
        var family = m.HeaderScalar("family") as string;
        var info = new NftSetInfo(m.TopScalar(NFTA_SET_KEY_TYPE) as string, keyLen, m.TopScalar(NFTA_SET_DATA_TYPE) as string,
            m.TopScalar(NFTA_SET_FLAGS) as string[] ?? Array.Empty<string>());
        lock (_sets) _sets[(family, m.TopScalar(NFTA_SET_TABLE) as string, m.TopScalar(NFTA_SET_NAME) as string)] = info;
    }

    // nf_tables.h, enum nft_set_attributes.
    private const ushort NFTA_SET_TABLE = 1, NFTA_SET_NAME = 2, NFTA_SET_FLAGS = 3, NFTA_SET_KEY_TYPE = 4, NFTA_SET_KEY_LEN = 5, NFTA_SET_DATA_TYPE = 6;

    /// <summary>A set's types, as the NEWSET messages decoded so far tell them (summaries may run on another thread).</summary>
    public NftSetInfo? Set(string? family, string? table, string? name)
    {
        lock (_sets) return _sets.GetValueOrDefault((family, table, name));
    }
}

/// <summary>A set's key type (an nft datatype name when known) and flags.</summary>
internal sealed record NftSetInfo(string? KeyType, uint KeyLen, string? DataType, string[] Flags);
