using System.Runtime.CompilerServices;
using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>How an attribute's or a struct field's bytes become a value.</summary>
public enum ValueKind
{
    /// <summary>Raw bytes, shown in hex.</summary>
    Binary,
    U8, U16, U32, U64, S8, S16, S32, S64,
    /// <summary>u32 or u64 by length (NLA_UINT / NLA_SINT style).</summary>
    Uint, Sint,
    /// <summary>Presence is the value (NLA_FLAG).</summary>
    Flag,
    /// <summary>NUL-terminated (or length-bounded) text.</summary>
    String,
    IPv4, IPv6,
    /// <summary>IPv4 or IPv6 by length.</summary>
    IpAddress,
    /// <summary>A hardware address (MAC for 6 bytes), shown colon-separated.</summary>
    HardwareAddress,
    /// <summary>A nested attribute set.</summary>
    Nested,
    /// <summary>A nest whose members are numbered entries of one set (type = index).</summary>
    NestedArray,
    /// <summary>A fixed C struct (see <see cref="StructSpec"/>).</summary>
    Struct,
    /// <summary>Key material: redacted unless the user asks to reveal it.</summary>
    Secret,
    /// <summary>A run of u32 values.</summary>
    U32Array,
    /// <summary>
    /// A run of <see cref="AttributeSpec.Struct"/> records (struct nexthop_grp[]). With <see cref="AttributeSpec.Nested"/>,
    /// each record is the struct followed by attributes, its length in the struct field named by
    /// <see cref="AttributeSpec.LengthField"/> (struct rtnexthop + RTA_* in RTA_MULTIPATH).
    /// </summary>
    StructArray,
    /// <summary>An MPLS label stack (struct mpls_label[], big-endian): the 20-bit labels, as iproute2 prints them (100/200).</summary>
    MplsLabels,
}

/// <summary>Names of the values of an enumeration (ARPHRD_*, RT_SCOPE_*, IF_OPER_*...).</summary>
internal sealed class EnumTable : Dictionary<ulong, string>
{
    public EnumTable(string name) => Name = name;
    public string Name { get; }
    public string NameOf(ulong value) => TryGetValue(value, out var n) ? n : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Names of the bits of a flags word (IFF_*, IFA_F_*...).</summary>
internal sealed class FlagTable : List<KeyValuePair<ulong, string>>
{
    public FlagTable(string name) => Name = name;
    public string Name { get; }
    public void Add(ulong bit, string name) => Add(new KeyValuePair<ulong, string>(bit, name));

    public string[] Names(ulong value)
    {
        if (value == 0) return Array.Empty<string>();
        // Two passes (count, then fill) so a flags word costs one array.
        int count = 0;
        ulong known = 0;
        foreach (var (bit, _) in this)
            if (bit != 0 && (value & bit) == bit) { count++; known |= bit; }
        ulong rest = value & ~known;
        var names = new string[count + (rest != 0 ? 1 : 0)];
        int i = 0;
        foreach (var (bit, name) in this)
            if (bit != 0 && (value & bit) == bit) names[i++] = name;
        if (rest != 0) names[i] = "0x" + rest.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        return names;
    }
}

/// <summary>
/// What an attribute and a struct field have in common: a name, how the value reads, the tables that name its
/// numbers. One base, so reading a decoded value needs no test of which of the two described it.
/// </summary>
internal abstract record ValueSpec(string Name, ValueKind Kind)
{
    public EnumTable? Enum { get; init; }
    public FlagTable? Flags { get; init; }
    /// <summary>Integers in network byte order (ports, some netfilter values), whatever the host order.</summary>
    public bool NetworkOrder { get; init; }
}

/// <summary>The description of one attribute type within a set.</summary>
internal sealed record AttributeSpec(string Name, ValueKind Kind) : ValueSpec(Name, Kind)
{
    /// <summary>The set a Nested/NestedArray attribute holds; with per-kind sets, the set used when no kind matches.
    /// A Nested attribute with a <see cref="Struct"/> too holds that struct followed by the attributes (veth's peer:
    /// an ifinfomsg and IFLA_*).</summary>
    public AttributeTable? Nested { get; init; }

    /// <summary>For per-kind data (IFLA_INFO_DATA, TCA_OPTIONS...): the sibling attribute whose string value picks the set.</summary>
    public ushort SelectorAttribute { get; init; }
    public IReadOnlyDictionary<string, AttributeTable>? NestedByKind { get; init; }
    /// <summary>When the per-kind payload is a plain struct rather than attributes.</summary>
    public IReadOnlyDictionary<string, StructSpec>? StructByKind { get; init; }
    /// <summary>The selector sibling is a number (RTA_ENCAP_TYPE), named through this table to find the per-kind set.</summary>
    public EnumTable? SelectorEnum { get; init; }
    /// <summary>Select the per-kind set by a family-header field instead of a sibling (IFLA_PROTINFO by ifi_family).</summary>
    public string? HeaderSelector { get; init; }
    /// <summary>
    /// The uapi constant's name after the table's prefix, where the decoded name differs from it (netem's TCA_NETEM_LOSS
    /// is loss_model: loss is its struct's field, in the same set).
    /// </summary>
    public string? UapiName { get; init; }
    /// <summary>StructArray records: the struct field holding each record's length (header included).</summary>
    public string? LengthField { get; init; }

    /// <summary>
    /// An address of the family the message's family header names first (rtm_family): for AF_MPLS it is a label stack
    /// (<see cref="ValueKind.MplsLabels"/>), not an IPv4 address of the same four bytes (RTA_DST of an MPLS route).
    /// </summary>
    public bool LabelsForMplsFamily { get; init; }

    public StructSpec? Struct { get; init; }
    /// <summary>The payload is a run of <see cref="Struct"/>s without attribute headers (xfrm templates): an array.</summary>
    public bool StructArray { get; init; }

    /// <summary>A nest of one known set: no selector, no leading struct (what most nests are).</summary>
    internal bool IsPlainNest => Kind == ValueKind.Nested && Nested is not null && Struct is null && NestedByKind is null && StructByKind is null;

    /// <summary>
    /// The per-kind key a selector's string value names, matched on its bytes (up to a NUL) without making a string;
    /// null when no per-kind set or struct has that key.
    /// </summary>
    internal string? KindNamed(ReadOnlySpan<byte> value)
    {
        int end = value.IndexOf((byte)0);
        if (end >= 0) value = value[..end];
        foreach (var k in KindKeysNow.Keys)
            if (value.SequenceEqual(k.Utf8)) return k.Key;
        return null;
    }

    /// <summary>
    /// The per-kind struct or set a kind picks (either may be null). Kind names are mostly the keys' own strings
    /// (from <see cref="KindNamed"/>, or interned enum names): compared by reference before hashing.
    /// </summary>
    internal (StructSpec? Struct, AttributeTable? Table) ForKind(string kind)
    {
        foreach (var k in KindKeysNow.Keys)
            if (ReferenceEquals(k.Key, kind)) return (k.Struct, k.Table);
        return (StructByKind?.GetValueOrDefault(kind), NestedByKind?.GetValueOrDefault(kind));
    }

    private KindKeys KindKeysNow
    {
        get
        {
            var keys = _kindKeys;
            if (keys is null || !ReferenceEquals(keys.NestedByKind, NestedByKind) || !ReferenceEquals(keys.StructByKind, StructByKind))
                _kindKeys = keys = new KindKeys(NestedByKind, StructByKind);
            return keys;
        }
    }

    // The per-kind keys as bytes, with what each picks; rebuilt if a copy (`with`) changes the dictionaries it was made from.
    private KindKeys? _kindKeys;

    private sealed class KindKeys(IReadOnlyDictionary<string, AttributeTable>? nestedByKind, IReadOnlyDictionary<string, StructSpec>? structByKind)
    {
        public readonly IReadOnlyDictionary<string, AttributeTable>? NestedByKind = nestedByKind;
        public readonly IReadOnlyDictionary<string, StructSpec>? StructByKind = structByKind;
        public readonly (byte[] Utf8, string Key, StructSpec? Struct, AttributeTable? Table)[] Keys = (nestedByKind?.Keys ?? Enumerable.Empty<string>())
            .Concat(structByKind?.Keys ?? Enumerable.Empty<string>()).Distinct()
            .Select(k => (System.Text.Encoding.UTF8.GetBytes(k), k, structByKind?.GetValueOrDefault(k), nestedByKind?.GetValueOrDefault(k))).ToArray();
    }
}

/// <summary>What checking an attribute of a known type takes (see <see cref="FieldLevels.Check"/>).</summary>
internal readonly struct AttributeCheck
{
    public enum Step : byte
    {
        /// <summary>Any length is a valid value (strings, bytes, flags, addresses of either family).</summary>
        None,
        /// <summary>A fixed-size number or address: too short is the only fault.</summary>
        Fixed,
        /// <summary>A nest of one set: checked by walking into it.</summary>
        PlainNest,
        /// <summary>A struct alone (no attributes after it, no selector): a fitting length is all there is to check.</summary>
        Struct,
        /// <summary>Anything else (arrays, selected sets, secrets): the general entry check.</summary>
        Entry,
    }

    public readonly Step What;
    /// <summary>For <see cref="Step.Fixed"/>: the bytes the value needs.</summary>
    public readonly byte Size;

    private AttributeCheck(Step what, int size) { What = what; Size = (byte)size; }

    public static readonly AttributeCheck None = default;

    public static AttributeCheck Of(AttributeSpec spec)
    {
        if (spec.IsPlainNest) return new(Step.PlainNest, 0);
        // What FieldLevels.TryOpen opens for it: a level of the struct alone (an array of structs is another mode).
        if (spec.Kind == ValueKind.Struct && spec.Struct is { } s && !(spec.StructArray && s.Size > 0)) return new(Step.Struct, 0);
        int size = FieldLevels.SizeOf(spec.Kind);
        if (size > 0) return new(Step.Fixed, size);
        return spec.Kind is ValueKind.String or ValueKind.Binary or ValueKind.Flag or ValueKind.IpAddress
            or ValueKind.HardwareAddress or ValueKind.U32Array or ValueKind.MplsLabels ? None : new(Step.Entry, 0);
    }
}

/// <summary>An attribute set: attribute type number to description. Unknown types still decode, as "unknown".</summary>
internal sealed class AttributeTable
{
    private AttributeSpec?[] _byType = new AttributeSpec?[8];

    /// <param name="name">The set's name, as the kernel's YNL specs call it.</param>
    /// <param name="uapiPrefix">The prefix of the set's constants in the uapi headers ("IFLA_"): an attribute named
    /// "ifname" is IFLA_IFNAME, which lets a test check every number against the headers.</param>
    public AttributeTable(string name, string? uapiPrefix = null) { Name = name; UapiPrefix = uapiPrefix; }

    public string Name { get; }
    public string? UapiPrefix { get; }

    /// <summary>The set requests (messages to the kernel) carry instead, when it differs from the kernel's replies:
    /// RTM_GETSTATS filters (IFLA_STATS_GET_FILTERS is type 1, like IFLA_STATS_LINK_64), RTM_NEWMDB's MDBA_SET_ENTRY.</summary>
    public AttributeTable? Requests { get; init; }
    /// <summary>The set GET requests carry, when it differs from both (RTM_GETVLAN's BRIDGE_VLANDB_DUMP_FLAGS).</summary>
    public AttributeTable? GetRequests { get; init; }

    /// <summary>
    /// A set whose layout nothing tells (a generic family the capture never names, or one NlmonPS has no table
    /// for): its values may be keys, so every value longer than 4 bytes is a secret, and nests are followed (see
    /// <see cref="Schemas.UnknownGenericFamily"/>).
    /// </summary>
    public bool GuardsUnknown { get; init; }

    public AttributeSpec? this[int type]
    {
        get => (uint)type < (uint)_byType.Length ? _byType[type] : null;
        set
        {
            if (type >= _byType.Length)
            {
                int size = Math.Max(type + 1, _byType.Length * 2);
                Array.Resize(ref _byType, size);
                Array.Resize(ref _checks, size);
            }
            _byType[type] = value;
            _checks[type] = value is null ? AttributeCheck.None : AttributeCheck.Of(value);
            _names = null;
            _recentNames = null;
        }
    }

    // What checking an attribute of each type takes, worked out once when the table is built (the check of every
    // message asks for every attribute).
    private AttributeCheck[] _checks = new AttributeCheck[8];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal AttributeCheck CheckOf(int type) => (uint)type < (uint)_checks.Length ? _checks[type] : AttributeCheck.None;

    // Lookups by name for decoded sets (built on first use, dropped when the table changes).
    private NameIndex? _names;

    private sealed record NameIndex(Dictionary<string, int[]> TypesByName, int[] Group);

    private NameIndex Names => _names ??= BuildNames();

    private NameIndex BuildNames()
    {
        var byName = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        var group = new int[_byType.Length];
        for (int i = 0; i < _byType.Length; i++)
        {
            if (_byType[i] is not { } spec) { group[i] = -1; continue; }
            if (!byName.TryGetValue(spec.Name, out var types)) byName[spec.Name] = types = new List<int>(1);
            types.Add(i);
            group[i] = types[0];
        }
        return new NameIndex(byName.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.OrdinalIgnoreCase), group);
    }

    /// <summary>The types whose attribute has this name (case-insensitive); empty when none.</summary>
    internal int[] TypesNamed(string name)
    {
        // Code looks names up with literals, the same string objects each time: a small cache by identity saves the
        // case-insensitive hash (summaries make about ten lookups a message).
        // Two ways a slot: a summary's dozen names in one table, one way each, evicted each other on every message.
        var recent = _recentNames ??= new NameHit?[128];
        int slot = (RuntimeHelpers.GetHashCode(name) & 63) * 2;
        if (recent[slot] is { } hit && ReferenceEquals(hit.Name, name)) return hit.Types;
        if (recent[slot + 1] is { } other && ReferenceEquals(other.Name, name)) return other.Types;
        var types = Names.TypesByName.TryGetValue(name, out var found) ? found : Array.Empty<int>();
        recent[slot + 1] = recent[slot];
        recent[slot] = new NameHit(name, types);
        return types;
    }

    private sealed record NameHit(string Name, int[] Types);
    private NameHit?[]? _recentNames;

    /// <summary>The first type named like this one: two known attributes of the set share a name exactly when these match.</summary>
    internal int NameGroup(int type) => (uint)type < (uint)Names.Group.Length ? Names.Group[type] : -1;

    public IEnumerable<(int Type, AttributeSpec Spec)> Entries()
    {
        for (int i = 0; i < _byType.Length; i++)
            if (_byType[i] is { } spec) yield return (i, spec);
    }
}

/// <summary>One field of a fixed C struct at a byte offset.</summary>
internal sealed record FieldSpec(string Name, int Offset, ValueKind Kind, int Length = 0) : ValueSpec(Name, Kind)
{
    public StructSpec? Struct { get; init; }
    /// <summary>
    /// For an IpAddress field in a 16-byte slot (xfrm_address_t, inet_diag_sockid): the field of the same struct
    /// holding its AF_* family ("family", or "sel.family" inside a nested struct). AF_INET reads the first 4 bytes.
    /// </summary>
    public string? FamilyField { get; init; }

    /// <summary>The field's bytes: its own length, else its kind's; 0 for one that takes the rest of the struct.</summary>
    public int Size => Length > 0 ? Length : FieldLevels.SizeOf(Kind);
}

/// <summary>A fixed C struct: family headers (ifinfomsg, rtmsg...) and struct-valued attributes.</summary>
internal sealed class StructSpec : List<FieldSpec>
{
    public StructSpec(string name, int size) { Name = name; Size = size; }
    public string Name { get; }
    public int Size { get; }
    /// <summary>Older kernels send shorter versions of growing structs (stats): fields past this may be absent.</summary>
    public int MinSize { get; init; } = -1;

    public void Add(string name, int offset, ValueKind kind, EnumTable? enumTable = null, FlagTable? flags = null, int length = 0, bool networkOrder = false) =>
        Add(new FieldSpec(name, offset, kind, length) { Enum = enumTable, Flags = flags, NetworkOrder = networkOrder });

    /// <summary>The field of this name (exact), or null. A loop, not a lambda: decoding asks for selectors and lengths.</summary>
    public FieldSpec? FieldNamed(string name)
    {
        foreach (var f in this)
            if (f.Name == name) return f;
        return null;
    }

    // HasSecrets and RequiredLength are worked out on first use (a struct is filled by its collection initializer,
    // after its constructor), behind a test small enough to inline: the check asks them of every header.

    /// <summary>Whether key material (a Secret field) is anywhere in it: only then must a check walk into it to zero it.</summary>
    internal bool HasSecrets => _secrets != 0 ? _secrets == 2 : FindSecrets();
    private byte _secrets;   // 0 not known yet, 1 none, 2 some

    private bool FindSecrets()
    {
        bool any = this.Any(f => f.Kind == ValueKind.Secret || f.Struct is { HasSecrets: true });
        _secrets = any ? (byte)2 : (byte)1;
        return any;
    }

    /// <summary>Whether two fields share a name (then a decoded struct lists that name once, with both values).</summary>
    internal bool HasRepeatedNames => _repeated ??= this.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1);
    private bool? _repeated;

    /// <summary>The length from which every field fits (a shorter buffer leaves some out, maybe a fault).</summary>
    internal int RequiredLength => _required >= 0 ? _required : _required = FindRequiredLength();
    private int _required = -1;

    private int FindRequiredLength() =>
        this.Select(f => f.Offset + f.Size).DefaultIfEmpty(0).Max();

    /// <summary>
    /// The struct's entries at offset 0, as the walk lists them when every field fits: one array shared by every set
    /// of this struct, whose positions are the set's start plus these. Null when the walk depends on the bytes (a
    /// field that takes the rest, an address whose family another field gives).
    /// </summary>
    internal FieldEntry[]? Template => Volatile.Read(ref _templateKnown) ? _template : MakeTemplate();
    private FieldEntry[]? _template;
    private bool _templateKnown;

    private FieldEntry[]? MakeTemplate()
    {
        FieldEntry[]? template = null;
        if (this.All(f => f.Size > 0 && f.FamilyField is null))
            template = this.Select(f => FieldLevels.StructEntry(f, f.Offset, f.Size)).ToArray();
        _template = template;
        Volatile.Write(ref _templateKnown, true);
        return template;
    }
}

/// <summary>What a request does, which decides how the flags' high byte reads (GET, NEW, DEL).</summary>
internal enum MessageKind { Other, Get, New, Delete }

/// <summary>The layout of one message type of a protocol: name, family header, attribute set, summary.</summary>
internal sealed record MessageSpec(string Name, MessageKind Kind)
{
    public StructSpec? Header { get; init; }
    public AttributeTable? Attributes { get; init; }
    public Func<NetlinkMessage, string?>? Summary { get; init; }
    /// <summary>
    /// Decodes what follows the family header when it is not an attribute stream (NET_DM's legacy alert: an array
    /// of structs). Gets the message's message and where the body starts in the message and how long it is; replaces
    /// the attribute walk. Runs when the message is decoded (its fault must be known then).
    /// </summary>
    public Func<NetlinkMessage, int, int, NetlinkFields>? Body { get; init; }
}

/// <summary>
/// What a protocol decoder resolves for one message: its names and layout. For generic netlink and netfilter the
/// layout depends on more than the type (family id, subsystem), so each protocol resolves it its own way.
/// </summary>
internal sealed record ResolvedMessage(MessageSpec Spec, int HeaderOffset)
{
    /// <summary>Generic netlink: the family's name; netfilter: the subsystem.</summary>
    public string? Family { get; init; }
    /// <summary>Generic netlink and netfilter: the command or message name within the family.</summary>
    public string? Command { get; init; }
    /// <summary>Extra leading fields (genlmsghdr, nfgenmsg) decoded ahead of the spec's header.</summary>
    public StructSpec? PreHeader { get; init; }
}

/// <summary>
/// Where a message's family headers are (each struct at its offset in the message) and its attributes start, with every
/// set its attributes may be decoded with: what a filter needs to judge a message's bytes before it is decoded.
/// </summary>
internal sealed record MessageLayout(int AttributesAt, AttributeTable[] Tables, (StructSpec Struct, int At)[] Headers)
{
    /// <summary>
    /// As the decoder lays a message out: the pre-header (genlmsghdr, nfgenmsg) and the family header, each aligned,
    /// then the attributes.
    /// </summary>
    public static MessageLayout Of(StructSpec? preHeader, StructSpec? header, IEnumerable<AttributeTable> tables)
    {
        var headers = new List<(StructSpec, int)>();
        int at = Nl.HeaderLength;
        foreach (var s in new[] { preHeader, header })
        {
            if (s is null) continue;
            headers.Add((s, at));
            at += Nl.Align(s.Size);
        }
        return new MessageLayout(at, tables.ToArray(), headers.ToArray());
    }

    /// <summary>A message of a type table's spec (null for a body decoded by code).</summary>
    public static MessageLayout? Of(MessageSpec spec) =>
        spec.Body is not null ? null : Of(null, spec.Header, spec.Attributes is { } table ? new[] { table } : Array.Empty<AttributeTable>());
}

/// <summary>A protocol's decoding tables.</summary>
internal interface IProtocolSchema
{
    NetlinkProtocol Protocol { get; }

    /// <summary>Finds the layout of a non-control message, or null when the type is unknown.</summary>
    ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction);

    /// <summary>The name of a message type, for an echoed request or a -MessageType filter (null when unknown).</summary>
    string? TypeName(ushort type);

    /// <summary>Every message type name this protocol knows (for tab completion and the coverage page).</summary>
    IEnumerable<(ushort Type, string Name)> KnownTypes { get; }

    /// <summary>The name of an error code only this protocol sends (above the errno range), else null.</summary>
    string? ErrorName(int errno, NetlinkMessage request) => null;

    /// <summary>
    /// Every layout a message of this known type can take, whatever its bytes (variants included), for a filter to
    /// judge from the type alone; null when the stream decides (generic netlink's dynamic ids) or it is not told.
    /// </summary>
    IEnumerable<MessageSpec>? LayoutsOf(ushort type) => null;
}
