using System.Collections;
using System.Globalization;
using System.Net;
using System.Text;

namespace NlmonPS.Decoding;

/// <summary>One decoded value: a family-header field or an attribute, with where it came from.</summary>
public sealed class NetlinkField
{
    private readonly NetlinkFields? _owner;
    private readonly int _index;
    private object? _value;
    private string? _reason;
    private bool _reasonKnown;

    public NetlinkField(string name, object? value, int type, int offset, int length, ValueKind kind)
    {
        Name = name; _value = value; Type = type; Offset = offset; Length = length; Kind = kind; _reasonKnown = true;
    }

    /// <summary>A field of a lazily decoded set: its value and fault are worked out when first read.</summary>
    internal NetlinkField(NetlinkFields owner, int index, in FieldEntry e)
    {
        _owner = owner; _index = index;
        Name = e.Name; Type = e.Type; Offset = e.Offset; Length = e.Length; Kind = e.Kind;
    }

    public string Name { get; }
    public object? Value => _value ??= _owner?.ValueAt(_index);
    /// <summary>The attribute type number, or -1 for a struct field.</summary>
    public int Type { get; }
    /// <summary>Offset of the attribute header (or field) from the start of the netlink message.</summary>
    public int Offset { get; }
    public int Length { get; }
    public ValueKind Kind { get; }
    public bool IsKnown => !Name.StartsWith("unknown_", StringComparison.Ordinal);

    /// <summary>What is wrong with this value or anything inside it; null when well formed.</summary>
    public string? MalformedReason
    {
        get
        {
            if (!_reasonKnown) { _reason = _owner!.FaultAt(_index); _reasonKnown = true; }
            return _reason;
        }
        init { _reason = value; _reasonKnown = true; }
    }

    public override string ToString() => SafeText.Printable($"{Name}={NetlinkFields.Format(Value)}");
}

/// <summary>
/// An ordered set of decoded fields that PowerShell reads like a hashtable: <c>$_.Attributes.ifname</c>,
/// <c>$_.Attributes.linkinfo.kind</c>. A name that occurs more than once yields all its values.
/// Keys compare case-insensitively, as PowerShell users expect.
/// </summary>
/// <remarks>
/// A set read from a message decodes itself when first used: the walk lists its fields, and each value is made
/// when it is read (a nested set is another such set). Whether anything in the message is malformed is known
/// before that (the decoder checks the whole tree), so reading later never changes what a message reports.
/// </remarks>
public sealed class NetlinkFields : IDictionary, IReadOnlyList<NetlinkField>
{
    private readonly FieldLevel _level;
    private readonly bool _lazy;
    private FieldEntry[]? _entries;
    // A set of one struct that fits shares its struct's entries (positions relative to the set's start) and keeps
    // its values apart: no walk, and a value slot instead of an entry per field. Decided when the set is made, so
    // threads reading it first at once agree.
    private readonly bool _shared;
    private object?[]? _values;
    private int _count;
    private NetlinkField?[]? _fields;
    private string? _reason;
    private bool _reasonKnown;

    /// <summary>A set made by hand (<see cref="Add"/>): the fields themselves are kept, not walked entries.</summary>
    public NetlinkFields(int capacity = 8)
    {
        _entries = Array.Empty<FieldEntry>();
        _fields = capacity == 0 ? Array.Empty<NetlinkField?>() : new NetlinkField?[capacity];
        _reasonKnown = true;
    }

    internal NetlinkFields(in FieldLevel level, string? knownReason = null, bool reasonKnown = false)
    {
        _level = level;
        _lazy = true;
        _shared = FieldLevels.SharedEntries(level) is not null;
        _reason = knownReason;
        _reasonKnown = reasonKnown;
    }

    public static readonly NetlinkFields Empty = new(0);

    /// <summary>Why the fields stop early or read wrong (the first fault at any depth, naming the offset); null when well formed.</summary>
    public string? MalformedReason
    {
        get
        {
            if (!_reasonKnown) { _reason = FieldLevels.Check(_level, null); _reasonKnown = true; }
            return _reason;
        }
        internal set { _reason = value; _reasonKnown = true; }
    }

    /// <summary>Adds a field made by hand (bodies that are not attribute streams).</summary>
    internal void Add(NetlinkField field)
    {
        if (_lazy) throw new InvalidOperationException("A set decoded from a message is read-only.");
        if (_count == _fields!.Length)
        {
            int size = Math.Max(4, _count * 2);
            Array.Resize(ref _fields, size);
        }
        _fields![_count] = field;
        _count++;
    }

    /// <summary>
    /// Lists the fields (the walk) on first use. Two threads reading one message may both walk; either result is the
    /// same, and the count is published before the entries.
    /// </summary>
    private FieldEntry[] Entries
    {
        get
        {
            if (Volatile.Read(ref _entries) is { } entries) return entries;
            entries = _shared ? FieldLevels.SharedEntries(_level)! : FieldLevels.Entries(_level);
            _count = entries.Length;
            Volatile.Write(ref _entries, entries);
            return entries;
        }
    }

    public int Count { get { _ = Entries; return _count; } }

    public NetlinkField this[int index]
    {
        get
        {
            var entries = Entries;
            if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
            var fields = _fields ??= new NetlinkField?[_count];
            return fields[index] ??= new NetlinkField(this, index, EntryAt(entries, index));
        }
    }

    /// <summary>The value of the field at an index, made on first read (and kept in its entry).</summary>
    internal object? ValueAt(int index) => ValueAt(Entries, index);

    private object? ValueAt(FieldEntry[] entries, int index)
    {
        if (!_lazy) return _fields![index]!.Value;
        if (_shared) return (_values ??= new object?[entries.Length])[index] ??= FieldValues.Make(_level, EntryAt(entries, index));
        ref var e = ref entries[index];
        return e.Value ??= FieldValues.Make(_level, e);
    }

    /// <summary>An entry with its place in the message (a shared struct entry moved to this set's start).</summary>
    private FieldEntry EntryAt(FieldEntry[] entries, int index)
    {
        var e = entries[index];
        if (_shared) e.ValueStart += _level.Start;
        return e;
    }

    /// <summary>The fault of the field at an index (its own, or the first inside its value).</summary>
    internal string? FaultAt(int index) => _lazy ? FieldLevels.EntryFault(_level, EntryAt(Entries, index), null) : null;

    internal string NameAt(int index) => _lazy ? Entries[index].Name : _fields![index]!.Name;

    /// <summary>What a name matches in this set: attribute types (through the set's name index), or an unknown type.</summary>
    private readonly struct NameMatch
    {
        public readonly string Name;
        public readonly int[] Types;
        public readonly int Unknown;

        public NameMatch(NetlinkFields set, string name)
        {
            Name = name;
            Types = set._lazy ? set._level.EffectiveTable?.TypesNamed(name) ?? Array.Empty<int>() : Array.Empty<int>();
            Unknown = name.Length > 8 && (name[0] | 0x20) == 'u' && name.StartsWith("unknown_", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(name.AsSpan(8), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
        }

        /// <summary>Whether an attribute of this type carries the name (most names are one type: compared directly).</summary>
        public bool HasType(int type) => Types.Length == 1 ? Types[0] == type : Array.IndexOf(Types, type) >= 0;
    }

    /// <summary>
    /// The next field a name matches. Attributes match by type (an integer scan, not string compares); struct
    /// fields and hand-made sets by name.
    /// </summary>
    private int IndexOf(in NameMatch match, int start)
    {
        var entries = Entries;
        if (!_lazy)
        {
            for (int i = start; i < _count; i++)
                if (string.Equals(_fields![i]!.Name, match.Name, StringComparison.OrdinalIgnoreCase)) return i;
            return -1;
        }
        for (int i = start; i < _count; i++)
        {
            ref readonly var e = ref entries[i];
            if (e.IsStructField)
            {
                // Names of another length never match: most fields are passed over without a compare.
                var name = e.Spec!.Name;
                if (name.Length == match.Name.Length && string.Equals(name, match.Name, StringComparison.OrdinalIgnoreCase)) return i;
            }
            else if (e.Spec is null ? e.Type == match.Unknown : match.HasType(e.Type)) return i;
        }
        return -1;
    }

    private int IndexOf(string name, int start = 0) => start == 0 ? FirstIndexOf(new NameMatch(this, name), out _) : IndexOf(new NameMatch(this, name), start);

    // Where each attribute type first occurs (-1: nowhere), for sets looked up by name: summaries ask about ten
    // names of sets of dozens of attributes. Built on the first lookup; empty when a type is too big to index. With
    // the types that occur more than once (one bit each; null when none does: only a name of those needs the scan
    // for further fields). One object, made on the first lookup: a set only enumerated never has one.
    private sealed record TypeIndex(short[] FirstOfType, int LeadingStructFields, ulong[]? RepeatedTypes);
    private TypeIndex? _typeIndex;

    private static bool Repeats(ulong[] repeated, int type) => (uint)(type >> 6) < (uint)repeated.Length && (repeated[type >> 6] & 1UL << type) != 0;

    /// <summary>
    /// The first field a name matches: struct fields by name, attributes through the type index. <paramref name="only"/>
    /// says no other field can have the name (one attribute type, not repeated in this set), so no scan for more.
    /// </summary>
    private int FirstIndexOf(in NameMatch match, out bool only)
    {
        var entries = Entries;
        if (!_lazy || _count < 8)
        {
            only = IsOneStructOfUniqueNames;
            return IndexOf(match, 0);
        }
        only = false;
        var index = Volatile.Read(ref _typeIndex);
        if (index is null) Volatile.Write(ref _typeIndex, index = IndexTypes(entries));
        var first = index.FirstOfType;
        if (first.Length == 0)
        {
            only = IsOneStructOfUniqueNames;
            return IndexOf(match, 0);
        }
        for (int i = 0; i < index.LeadingStructFields; i++)
            if (entries[i].Spec!.Name is var name && name.Length == match.Name.Length && string.Equals(name, match.Name, StringComparison.OrdinalIgnoreCase)) return i;
        only = match.Types.Length + (match.Unknown >= 0 ? 1 : 0) == 1
            && (index.RepeatedTypes is not { } repeated || !Repeats(repeated, match.Types.Length == 1 ? match.Types[0] : match.Unknown));
        int found = -1;
        foreach (var type in match.Types)
            if ((uint)type < (uint)first.Length && first[type] >= 0 && entries[first[type]].Spec is not null && (found < 0 || first[type] < found))
                found = first[type];
        if (match.Unknown >= 0 && (uint)match.Unknown < (uint)first.Length && first[match.Unknown] is var u and >= 0
            && entries[u].Spec is null && (found < 0 || u < found))
            found = u;
        return found;
    }

    /// <summary>One struct whose names all differ (a family header): a name is found once at most.</summary>
    private bool IsOneStructOfUniqueNames => _lazy && _level.Struct2 is null && !_level.HasAttributes && _level.Struct is { HasRepeatedNames: false };

    private static readonly TypeIndex NoTypeIndex = new(Array.Empty<short>(), 0, null);

    private TypeIndex IndexTypes(FieldEntry[] entries)
    {
        int structFields = 0, max = -1;
        if (_count > short.MaxValue) return NoTypeIndex;
        while (structFields < _count && entries[structFields].IsStructField) structFields++;
        for (int i = structFields; i < _count; i++)
        {
            int type = entries[i].Type;
            if (type < 0 || type >= 1024) return NoTypeIndex;   // a struct field after attributes, or a huge type
            max = Math.Max(max, type);
        }
        var first = new short[max + 1];
        first.AsSpan().Fill(-1);
        ulong[]? repeated = null;
        for (int i = _count - 1; i >= structFields; i--)
        {
            int type = entries[i].Type;
            ref var slot = ref first[type];
            if (slot >= 0) (repeated ??= new ulong[(max >> 6) + 1])[type >> 6] |= 1UL << type;
            slot = (short)i;
        }
        return new TypeIndex(first, structFields, repeated);
    }

    /// <summary>The value of a field by name (an array when it repeats), or null.</summary>
    public object? this[string name] => TryGetValue(name, out var value) ? value : null;

    /// <summary>
    /// Whether a name is a key, and its value: one lookup for what PowerShell's binder asks in two (Contains, then
    /// the indexer), which the compiled -Filter uses.
    /// </summary>
    internal bool TryGetValue(string name, out object? value)
    {
        var match = new NameMatch(this, name);
        int first = FirstIndexOf(match, out bool only);
        value = null;
        if (first < 0) return false;
        int next = only ? -1 : IndexOf(match, first + 1);
        if (next < 0) { value = ValueAt(first); return true; }
        var all = new List<object?> { ValueAt(first) };
        for (; next >= 0; next = IndexOf(match, next + 1)) all.Add(ValueAt(next));
        value = all.ToArray();
        return true;
    }

    public NetlinkField? Field(string name) => IndexOf(name) is var i and >= 0 ? this[i] : null;

    public bool Contains(string name) => IndexOf(name) >= 0;

    /// <summary>As a hashtable answers it (<c>$_.Attributes.ContainsKey('ifname')</c>): <see cref="Contains"/>.</summary>
    public bool ContainsKey(string name) => Contains(name);

    /// <summary>Typed access for code: the value when present and of type T.</summary>
    public T? Get<T>(string name) => this[name] is T t ? t : default;

    public IEnumerable<string> Names
    {
        get
        {
            int count = Count;
            for (int i = 0; i < count; i++) yield return NameAt(i);
        }
    }

    public IEnumerator<NetlinkField> GetEnumerator()
    {
        int count = Count;
        for (int i = 0; i < count; i++) yield return this[i];
    }

    public override string ToString()
    {
        var sb = new StringBuilder("{");
        int count = Count;
        for (int i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(NameAt(i)).Append('=').Append(Format(ValueAt(i)));
        }
        // Shown by the views: control characters from the wire escaped (the values stay exact).
        return SafeText.Printable(sb.Append('}').ToString());
    }

    /// <summary>How a value reads in summaries and views.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        string s => s,
        byte[] b => Hex(b, 32),
        string[] names => string.Join(",", names),
        IPAddress ip => ip.ToString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        object[] many => "[" + string.Join(", ", many.Select(Format)) + "]",
        Array items => "[" + string.Join(", ", items.Cast<object?>().Select(Format)) + "]",   // uint[] counters, nested sets
        _ => value.ToString() ?? "",
    };

    public static string Hex(ReadOnlySpan<byte> bytes, int max = int.MaxValue)
    {
        int n = Math.Min(bytes.Length, max);
        var s = Convert.ToHexString(bytes[..n]).ToLowerInvariant();
        return n < bytes.Length ? s + $"...({bytes.Length} bytes)" : s;
    }

    // Whether any name repeats: 0 not known yet, 1 no, 2 yes. Most sets have none, and then every field is a key.
    private byte _repeats;

    private bool HasRepeatedNames
    {
        get
        {
            if (_repeats == 0) _repeats = FindRepeats() ? (byte)2 : (byte)1;
            return _repeats == 2;
        }
    }

    /// <summary>Looks for a repeated name in one pass when the set is one struct or one attribute stream.</summary>
    private bool FindRepeats()
    {
        var entries = Entries;
        if (_count < 2) return false;
        bool structOnly = _lazy && _level.Struct2 is null && !_level.HasAttributes;
        if (structOnly) return _level.Struct!.HasRepeatedNames;
        bool attributesOnly = _lazy && _level.Struct is null;
        if (!attributesOnly)
        {
            for (int i = 1; i < _count; i++) if (!IsFirstOfNameSlow(i)) return true;
            return false;
        }
        var table = _level.EffectiveTable;
        // Known attributes by their name group, unknown ones (their own names) by type, kept apart. Types are
        // nearly always below 256: one bit each, known ones in the first half, unknown ones in the second.
        Span<ulong> seen = stackalloc ulong[8];
        for (int i = 0; i < _count; i++)
        {
            int bit = NameKey(entries[i], table);
            bit = bit >= 0 ? bit : 256 + (-1 - bit);
            if (bit >= 512) return HasRepeatedKeys(entries, table);
            ref var word = ref seen[bit >> 6];
            if ((word & 1UL << bit) != 0) return true;
            word |= 1UL << bit;
        }
        return false;
    }

    /// <summary>Two entries of an attribute stream share a name exactly when these keys match.</summary>
    private static int NameKey(in FieldEntry e, AttributeTable? table) => e.Spec is null ? -1 - e.Type : table!.NameGroup(e.Type);

    /// <summary><see cref="FindRepeats"/> for a set with a type too big for its bit map.</summary>
    private bool HasRepeatedKeys(FieldEntry[] entries, AttributeTable? table)
    {
        var keys = new HashSet<int>();
        for (int i = 0; i < _count; i++)
            if (!keys.Add(NameKey(entries[i], table))) return true;
        return false;
    }

    /// <summary>Whether the field at an index is the first of its name (a repeated name is one key).</summary>
    private bool IsFirstOfName(int index) => !HasRepeatedNames || IsFirstOfNameSlow(index);

    private bool IsFirstOfNameSlow(int index)
    {
        var name = NameAt(index);
        for (int j = 0; j < index; j++)
            if (string.Equals(NameAt(j), name, StringComparison.OrdinalIgnoreCase)) return false;
        return true;
    }

    private string[] DistinctNames()
    {
        var names = new List<string>(Count);
        for (int i = 0; i < _count; i++) if (IsFirstOfName(i)) names.Add(NameAt(i));
        return names.ToArray();
    }

    // IDictionary, so PowerShell's member access and hashtable-style indexing find fields by name.
    object? IDictionary.this[object key]
    {
        get => key is string s ? this[s] : null;
        set => throw new NotSupportedException("Decoded netlink fields are read-only.");
    }
    ICollection IDictionary.Keys => DistinctNames();
    ICollection IDictionary.Values => DistinctNames().Select(k => this[k]).ToArray();
    bool IDictionary.IsReadOnly => true;
    bool IDictionary.IsFixedSize => true;
    void IDictionary.Add(object key, object? value) => throw new NotSupportedException("Decoded netlink fields are read-only.");
    void IDictionary.Clear() => throw new NotSupportedException("Decoded netlink fields are read-only.");
    bool IDictionary.Contains(object key) => key is string s && Contains(s);
    void IDictionary.Remove(object key) => throw new NotSupportedException("Decoded netlink fields are read-only.");
    IDictionaryEnumerator IDictionary.GetEnumerator() => new KeyEnumerator(this);
    bool ICollection.IsSynchronized => false;
    object ICollection.SyncRoot => this;
    void ICollection.CopyTo(Array array, int index)
    {
        for (int i = 0; i < Count; i++) array.SetValue(this[i], index + i);
    }
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Each name once, in order, with its value (an array when the name repeats), as a hashtable enumerates.</summary>
    private sealed class KeyEnumerator : IDictionaryEnumerator
    {
        // Small (one is made for every set enumerated): the entries and count are the set's, listed by the constructor.
        private readonly NetlinkFields _set;
        private readonly bool _repeats;
        private int _index = -1;

        public KeyEnumerator(NetlinkFields set)
        {
            _set = set;
            _ = set.Entries;
            _repeats = set.HasRepeatedNames;
        }

        public bool MoveNext()
        {
            while (++_index < _set._count)
                if (!_repeats || _set.IsFirstOfNameSlow(_index)) return true;
            return false;
        }

        public void Reset() => _index = -1;
        public DictionaryEntry Entry => new(Key, Value);
        public object Key => _set._lazy ? _set._entries![_index].Name : _set.NameAt(_index);
        public object? Value => !_repeats || _set.IndexOf(_set.NameAt(_index), _index + 1) < 0
            ? _set.ValueAt(_set._entries!, _index) : _set[_set.NameAt(_index)];
        public object Current => Entry;
    }
}
