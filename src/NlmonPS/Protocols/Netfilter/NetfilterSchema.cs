using System.Buffers.Binary;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>
/// NETLINK_NETFILTER (nfnetlink.h): the message type is (subsystem &lt;&lt; 8) | message, every message starts with
/// struct nfgenmsg, and each subsystem (ctnetlink, nf_tables, nfqueue, nflog, ipset...) has its own messages and
/// attribute sets. TypeName is the uapi message constant (IPCTNL_MSG_CT_NEW, NFT_MSG_NEWRULE...), Family the
/// subsystem (NFNL_SUBSYS_* suffix), Command the message name again.
/// </summary>
internal sealed class NetfilterSchema : IProtocolSchema, IMessageObserver
{
    /// <summary>A message type's layout, and optionally other attribute sets picked by an integer attribute's value.</summary>
    private sealed record Entry(ResolvedMessage Resolved, ushort SelectorAttribute = 0, IReadOnlyDictionary<ulong, ResolvedMessage>? Variants = null);

    /// <summary>ipset's own error codes (4096 and up), in errors answering ipset requests.</summary>
    public string? ErrorName(int errno, NetlinkMessage request) => request.Family == "ipset" ? IpsetTables.ErrorName(errno) : null;

    private readonly Dictionary<ushort, Entry> _byType = new();
    private readonly Dictionary<int, string> _subsystems = new();
    private readonly Dictionary<int, Func<NetlinkMessage, NfState?, string?>> _summaries = new();

    // The tables above by number, for the lookups every message makes; built once the constructor has filled them.
    private Entry?[]? _entryByType;
    private Func<NetlinkMessage, NfState?, string?>?[]? _summaryBySubsystem;

    private Entry? EntryOf(ushort type)
    {
        var index = _entryByType ??= BuildIndex();
        return type < index.Length ? index[type] : null;
    }

    private Entry?[] BuildIndex()
    {
        var index = new Entry?[_byType.Keys.Max() + 1];
        foreach (var (type, entry) in _byType) index[type] = entry;
        var summaries = new Func<NetlinkMessage, NfState?, string?>?[256];
        foreach (var (subsystem, summary) in _summaries) summaries[subsystem] = summary;
        _summaryBySubsystem = summaries;
        return index;
    }

    public NetlinkProtocol Protocol => NetlinkProtocol.Netfilter;

    /// <summary>NFNL_SUBSYS_* (nfnetlink.h), named by their suffix; 0 carries nfnetlink's own batch messages.</summary>
    public static readonly EnumTable Subsystems = NfEnums.Names("nfnl-subsys",
        "nfnetlink", "ctnetlink", "ctnetlink_exp", "queue", "ulog", "osf", "ipset", "acct", "ctnetlink_timeout", "cthelper",
        "nftables", "nft_compat", "hook");

    private NetfilterSchema()
    {
        foreach (var (id, name) in Subsystems) _subsystems[(int)id] = name;

        // NFNL_MSG_BATCH_BEGIN/END are NLMSG_MIN_TYPE and +1 in subsystem 0; their res_id names the batched subsystem.
        Add(0, 0x10, "NFNL_MSG_BATCH_BEGIN", BatchTables.Batch, NetfilterSummaries.Batch);
        Add(0, 0x11, "NFNL_MSG_BATCH_END", BatchTables.Batch, NetfilterSummaries.Batch);

        Subsystem(1, ConntrackTables.Messages, ConntrackTables.Conntrack, ConntrackSummaries.Conntrack,
            (4, ConntrackTables.StatsCpu), (5, ConntrackTables.StatsGlobal));
        Subsystem(2, ConntrackTables.ExpectMessages, ConntrackTables.Expect, ConntrackSummaries.Expect, (3, ConntrackTables.ExpectStats));
        Subsystem(3, QueueTables.Messages, QueueTables.Packet, NetfilterSummaries.Queue, (2, QueueTables.Config));
        Subsystem(4, LogTables.Messages, LogTables.Packet, NetfilterSummaries.Log, (1, LogTables.Config));
        Subsystem(5, OsfTables.Messages, OsfTables.Attributes, NetfilterSummaries.Osf);
        Subsystem(6, IpsetTables.Messages, IpsetTables.Command, IpsetSummaries.Ipset,
            IpsetTables.Messages.Keys.Select(k => ((int)k, IpsetTables.For((int)k))).ToArray());
        Subsystem(7, AcctTables.Messages, AcctTables.Acct, NetfilterSummaries.Acct);
        Subsystem(8, CtTimeoutTables.Messages, CtTimeoutTables.Timeout, NetfilterSummaries.Timeout);
        Subsystem(9, CtHelperTables.Messages, CtHelperTables.Helper, NetfilterSummaries.Helper);
        Subsystem(NftSubsystem, NftEnums.Messages, NftTables.Table, NftSummaries.Nft, NftMessageTables());
        Subsystem(11, NftTables.CompatMessages, NftTables.Compat, NetfilterSummaries.Compat);
        Subsystem(12, HookTables.Messages, HookTables.Hook, NetfilterSummaries.Hook);

        // Sets chosen by an attribute's value: CTA_TIMEOUT_DATA by CTA_TIMEOUT_L4PROTO, NFTA_OBJ_DATA by NFTA_OBJ_TYPE.
        foreach (var msg in CtTimeoutTables.Messages.Keys)
            Vary((ushort)(8 << 8 | (int)msg), 3, CtTimeoutTables.DataByL4Proto.ToDictionary(p => p.Key,
                p => CtTimeoutTables.Timeout.With($"ct-timeout-{p.Key}", (4, NfAttr.Nest("data", p.Value)))));
        foreach (var msg in new[] { 18, 19, 20, 21, 31 })
            Vary((ushort)(10 << 8 | msg), 3, NftTables.ObjByType);
    }

    /// <summary>The attribute set of each NFT_MSG_* (the table set is the default).</summary>
    private static (int, AttributeTable)[] NftMessageTables()
    {
        var list = new List<(int, AttributeTable)>();
        void Objects(AttributeTable table, params int[] messages) { foreach (var m in messages) list.Add((m, table)); }
        Objects(NftTables.Chain, 3, 4, 5, 27);
        Objects(NftTables.Rule, 6, 7, 8, 25, 28);
        Objects(NftTables.Set, 9, 10, 11, 29);
        Objects(NftTables.SetElemList, 12, 13, 14, 30, 33);
        Objects(NftTables.Gen, 15, 16);
        Objects(NftTables.Trace, 17);
        Objects(NftTables.Obj, 18, 19, 20, 21, 31);
        Objects(NftTables.Flowtable, 22, 23, 24, 32);
        return list.ToArray();
    }

    private void Subsystem(int id, EnumTable messages, AttributeTable attributes, Func<NetlinkMessage, NfState?, string?> summary,
        params (int Message, AttributeTable Table)[] byMessage)
    {
        _summaries[id] = summary;
        var tables = byMessage.ToDictionary(p => p.Message, p => p.Table);
        foreach (var (msg, name) in messages)
            Add(id, (int)msg, name, tables.GetValueOrDefault((int)msg, attributes), summary);
    }

    private void Add(int subsystem, int msg, string name, AttributeTable attributes, Func<NetlinkMessage, NfState?, string?> summary)
    {
        _summaries.TryAdd(subsystem, summary);
        var spec = new MessageSpec(name, KindOf(name)) { Attributes = attributes, Summary = m => summary(m, null) };
        _byType[(ushort)(subsystem << 8 | msg)] = new Entry(new ResolvedMessage(spec, 0)
        {
            Family = _subsystems[subsystem], Command = name, PreHeader = NfEnums.NfGenMsg,
        });
    }

    private void Vary(ushort type, ushort selector, IReadOnlyDictionary<ulong, AttributeTable> tables)
    {
        var entry = _byType[type];
        var variants = tables.ToDictionary(p => p.Key, p => entry.Resolved with { Spec = entry.Resolved.Spec with { Attributes = p.Value } });
        _byType[type] = entry with { SelectorAttribute = selector, Variants = variants };
    }

    /// <summary>GET/NEW/DEL by the words of the message name, for the meaning of the flags' high byte.</summary>
    private static readonly (string Word, MessageKind Kind)[] KindWords =
    {
        ("_GET", MessageKind.Get), ("_LIST", MessageKind.Get), ("_SAVE", MessageKind.Get), ("_HEADER", MessageKind.Get),
        ("_TYPE", MessageKind.Get), ("_PROTOCOL", MessageKind.Get), ("_TEST", MessageKind.Get),
        ("_NEW", MessageKind.New), ("_CREATE", MessageKind.New), ("_ADD", MessageKind.New), ("DEFAULT_SET", MessageKind.New),
        ("_DEL", MessageKind.Delete), ("DESTROY", MessageKind.Delete), ("_REMOVE", MessageKind.Delete), ("_FLUSH", MessageKind.Delete),
    };

    private static MessageKind KindOf(string name)
    {
        foreach (var (word, kind) in KindWords)
            if (name.Contains(word, StringComparison.Ordinal)) return kind;
        return MessageKind.Other;
    }

    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction)
    {
        if (EntryOf(header.Type) is not { } entry)
        {
            // Unknown message (or subsystem): still show nfgenmsg and the attributes, numbered.
            var subsystem = _subsystems.GetValueOrDefault(header.Type >> 8) ?? $"subsys({header.Type >> 8})";
            var spec = new MessageSpec($"{subsystem} unknown({header.Type & 0xff})", MessageKind.Other) { Summary = NetfilterSummaries.Unknown };
            return new ResolvedMessage(spec, 0) { Family = subsystem, Command = spec.Name, PreHeader = NfEnums.NfGenMsg };
        }
        var resolved = entry.Resolved;
        if (entry.Variants is not null && PeekInteger(payload, entry.SelectorAttribute, context.Order) is { } key)
            resolved = entry.Variants.GetValueOrDefault(key, resolved);
        // Summaries read what the stream taught (GET replies, nf_tables set key types): bind them to its state.
        return context.StateFor<NfState>(Protocol).Bind(resolved, _summaryBySubsystem![header.Type >> 8]!);
    }

    private const int NftSubsystem = 10;

    /// <summary>The value of a top-level integer attribute (1, 2 or 4 bytes, big-endian as nfnetlink puts them).</summary>
    private static ulong? PeekInteger(ReadOnlySpan<byte> payload, ushort type, ByteOrder order)
    {
        if (payload.Length < 4) return null;
        var span = payload[4..];
        while (span.Length >= Nl.AttributeHeaderLength)
        {
            int len = Endian.U16(span, order);
            int t = Endian.U16(span[2..], order) & Nl.NLA_TYPE_MASK;
            if (len < Nl.AttributeHeaderLength || len > span.Length) return null;
            var value = span[Nl.AttributeHeaderLength..len];
            if (t == type)
                return value.Length switch
                {
                    1 => value[0],
                    2 => BinaryPrimitives.ReadUInt16BigEndian(value),
                    4 => BinaryPrimitives.ReadUInt32BigEndian(value),
                    _ => null,
                };
            span = span[Math.Min(Nl.Align(len), span.Length)..];
        }
        return null;
    }

    public string? TypeName(ushort type) => _byType.TryGetValue(type, out var e) ? e.Resolved.Spec.Name : null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => _byType.Select(p => (p.Key, p.Value.Resolved.Spec.Name));

    /// <summary>A type's layout and its variants (picked by an attribute's value); the subsystem is the type's high byte.</summary>
    public IEnumerable<MessageSpec>? LayoutsOf(ushort type) =>
        _byType.TryGetValue(type, out var entry)
            ? new[] { entry.Resolved.Spec }.Concat(entry.Variants?.Values.Select(v => v.Spec) ?? Enumerable.Empty<MessageSpec>())
            : null;

    /// <summary>
    /// Where a message of this type has its header and attributes, and every set it may be decoded with (the variants an
    /// attribute's value picks included); null for a type without a layout, or decoded by code. For judging a
    /// filter on the bytes before decoding.
    /// </summary>
    internal MessageLayout? Layout(ushort type)
    {
        var specs = LayoutsOf(type)?.ToArray();
        if (specs is null || specs.Any(s => s.Body is not null || s.Attributes is null || s.Header != specs[0].Header)) return null;
        return MessageLayout.Of(NfEnums.NfGenMsg, specs[0].Header, specs.Select(s => s.Attributes!).Distinct());
    }

    /// <summary>Learns nf_tables set key types from NEWSET messages (so set elements print as addresses or ports) and which messages answer a GET.</summary>
    public void Observe(DecodeContext context, NetlinkMessage message)
    {
        // Control messages (ACKs, errors, DONE) are seen too: they close a pending GET.
        var state = context.StateFor<NfState>(Protocol);
        state.Track(message);
        if (message.Type == NftNewSet) state.LearnSet(message);
    }

    /// <summary>
    /// Which GETs await their answer is read from any message's header (a filter may skip them); a NEWSET's set
    /// types only from the decoded message, and so what an NLMSG_ERROR's echoed request teaches.
    /// </summary>
    public Learning LearnsFrom(ushort type) => type is NftNewSet or Nl.NLMSG_ERROR ? Learning.OnlyWhenDecoded : Learning.FromBytes;

    public void ObserveUndecoded(DecodeContext context, in RawMessage raw, NetlinkDirection direction, ByteOrder order) =>
        context.StateFor<NfState>(Protocol).Track(raw.Header.Type, TypeName(raw.Header.Type) ?? "", direction, raw.Header.Flags, raw.Header.Sequence);

    private const ushort NftNewSet = NftSubsystem << 8 | 9;

    // Last: static fields initialise in textual order, and the constructor uses the ones above.
    public static readonly NetfilterSchema Instance = new();
}
