using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>
/// State that lives as long as one stream of messages: options, the generic-netlink family ids learned from
/// nlctrl messages, and the current message's byte order and redactions.
/// </summary>
internal sealed class DecodeContext
{
    public DecodeContext(DecodeOptions? options = null)
    {
        Options = options ?? new DecodeOptions();
        GenericFamilies = new GenericFamilyRegistry(Options.GenericFamilies);
    }

    public DecodeOptions Options { get; }
    public GenericFamilyRegistry GenericFamilies { get; }

    /// <summary>Messages flagged because their header mixes byte orders (the stream's count, for a warning).</summary>
    public long ByteOrderDoubts { get; internal set; }
    /// <summary>Interface names by index, learned from the stream's RTM_NEWLINK messages (or seeded from the kernel).</summary>
    public LinkNames Links { get; } = new();

    // Recent requests by (protocol, type, sequence), to name the request an ACK or error answers when its echo is
    // capped to a bare header (generic netlink then loses the command): a direct-mapped table of references to
    // layouts already made, so remembering a request costs a store.
    private readonly RecentRequest[] _recentRequests = new RecentRequest[1024];

    private struct RecentRequest
    {
        public ulong Key;   // protocol, type and sequence packed, with the top bit set: 0 is an empty slot
        public ResolvedMessage? Layout;
    }

    private static ulong RequestKey(NetlinkProtocol protocol, ushort type, uint sequence) =>
        1UL << 63 | (ulong)(ushort)protocol << 48 | (ulong)type << 32 | sequence;

    private ref RecentRequest Slot(ulong key) => ref _recentRequests[(int)((key ^ key >> 29) * 0x9E3779B97F4A7C15UL >> 54)];

    internal void RememberRequest(NetlinkProtocol protocol, ushort type, uint sequence, ResolvedMessage layout)
    {
        ulong key = RequestKey(protocol, type, sequence);
        ref var slot = ref Slot(key);
        slot.Key = key;
        slot.Layout = layout;
    }

    /// <summary>The layout of the request of this protocol, type and sequence seen last in the stream, if still remembered.</summary>
    internal ResolvedMessage? RecentRequestLayout(NetlinkProtocol protocol, ushort type, uint sequence)
    {
        ulong key = RequestKey(protocol, type, sequence);
        ref var slot = ref Slot(key);
        return slot.Key == key ? slot.Layout : null;
    }

    /// <summary>Payload byte order of the message being decoded.</summary>
    public ByteOrder Order { get; internal set; } = Endian.Host;

    /// <summary>Key material the check of the message being decoded found (zeroed in its bytes), and of an echoed request.</summary>
    internal List<(int Offset, int Length)> Redactions { get; } = new();
    internal List<(int Offset, int Length)> EchoRedactions { get; } = new();

    // What a protocol's schema learns from this stream (netfilter's pending GETs, sock_diag's request protocols),
    // one slot per protocol: looked up for every message, so an array index rather than a table keyed by context.
    private readonly object?[] _protocolState = new object?[32];

    /// <summary>The state a protocol keeps for this stream, made on first use.</summary>
    internal T StateFor<T>(NetlinkProtocol protocol) where T : class, new() =>
        (T)(_protocolState[(int)protocol & 31] ??= new T());
}

/// <summary>
/// Generic netlink family ids are assigned at run time. Learned, in order of trust: nlctrl messages seen in the
/// stream, the running kernel (for live sources), and the user's map. nlctrl itself is always 16.
/// </summary>
internal sealed class GenericFamilyRegistry
{
    private readonly Dictionary<int, string> _byId = new() { [16] = "nlctrl" };
    private readonly Dictionary<int, string> _fromUser = new();

    public GenericFamilyRegistry(IReadOnlyDictionary<int, string>? userMap = null)
    {
        if (userMap is null) return;
        foreach (var (id, name) in userMap) _fromUser[id] = name;
    }

    /// <summary>Records a family id seen in the stream or asked of the kernel (this wins over the user's map).</summary>
    public void Learn(int id, string name)
    {
        // A name from the wire becomes TypeName and Family, which Select-Object and Format-List print as they are:
        // control characters escaped (no terminal sequences), and no longer than a view can hold (the kernel's are 15).
        name = SafeText.Printable(name.Length > MaxNameLength ? name[..MaxNameLength] + "..." : name);
        if (_byId.TryGetValue(id, out var known) && known == name) return;
        _byId[id] = name;
        Version++;
    }

    /// <summary>Moves on whenever an id is learned anew, so what was resolved through the old names can be dropped.</summary>
    internal int Version { get; private set; }

    private const int MaxNameLength = 64;

    public string? NameOf(int id) => _byId.TryGetValue(id, out var n) ? n : _fromUser.TryGetValue(id, out var u) ? u : null;

    public int? IdOf(string name)
    {
        foreach (var (id, n) in _byId) if (n == name) return id;
        foreach (var (id, n) in _fromUser) if (n == name) return id;
        return null;
    }

    public IReadOnlyDictionary<int, string> Known =>
        _fromUser.Concat(_byId).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);
}
