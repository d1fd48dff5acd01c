// Hot paths carry AggressiveOptimization: a capture is decoded in one long pass, and tiered JIT would run it
// unoptimised for most of the file (measured: 3.5x slower on 100k messages). They are also jitted so in pwsh.
using System.Runtime.CompilerServices;
using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>
/// One level of a message's decoded tree, not yet decoded: a struct (or two, as generic netlink's genlmsghdr
/// and a family header), a struct followed by attributes, or an attribute stream, at a place in the message's
/// bytes. <see cref="NetlinkFields"/> walks it when first read.
/// </summary>
/// <remarks>
/// <see cref="ShowsTail"/>: the level is a struct that is an attribute's whole value, so bytes past the struct are a
/// newer kernel's fields, listed as <see cref="FieldLevels.TailName"/> rather than dropped (a family header's rest is
/// the attributes, and an array's element has its exact size: neither has a tail).
/// </remarks>
internal readonly record struct FieldLevel(
    NetlinkMessage Message, int Start, int Length, int Depth,
    StructSpec? Struct = null, StructSpec? Struct2 = null, AttributeTable? Table = null, bool HasAttributes = false, bool ShowsTail = false)
{
    public static FieldLevel Attributes(NetlinkMessage message, AttributeTable? table, int start, int length, int depth) =>
        new(message, start, length, depth, Table: table, HasAttributes: true);

    public static FieldLevel OfStruct(NetlinkMessage message, StructSpec spec, int start, int length) =>
        new(message, start, length, 0, Struct: spec);

    /// <summary>Where the second struct, or the attributes, start within the level: after the first struct.</summary>
    public int AfterStruct => Struct is { } s ? Math.Min(Nl.Align(s.Size), Length) : 0;

    /// <summary>The attribute set in effect: requests carry a different one for some messages.</summary>
    public AttributeTable? EffectiveTable => HasAttributes ? Message.ForDirection(Table) : null;
}

/// <summary>How an entry's value is made when it is read.</summary>
internal enum EntryMode : byte
{
    /// <summary>A number, string, address... by <see cref="FieldEntry.Kind"/>.</summary>
    Scalar,
    Bytes,
    Secret,
    /// <summary>A nest of an unknown set: numbered attributes when the bytes parse as attributes, else bytes.</summary>
    Speculative,
    /// <summary>A nested set, a struct, or a struct and attributes (a selector may pick which): a <see cref="NetlinkFields"/>.</summary>
    Nest,
    /// <summary>Numbered entries of one set (type = index).</summary>
    NestedArray,
    /// <summary>Records with their own length field, each a struct and attributes (struct rtnexthop + RTA_*).</summary>
    LengthPrefixedArray,
    /// <summary>Back-to-back fixed structs (xfrm templates, nexthop_grp).</summary>
    FixedStructArray,
    /// <summary>Nesting past the limit: bytes, and a fault.</summary>
    TooDeep,
    /// <summary>An attribute of a set whose layout nothing tells (<see cref="AttributeTable.GuardsUnknown"/>): a nest, a short value, or a secret.</summary>
    Guarded,
}

/// <summary>
/// One field of a level as the walk found it: its description, where its value is, how to decode it. Small and
/// with one reference, because sets keep arrays of them.
/// </summary>
internal struct FieldEntry
{
    /// <summary>The <see cref="AttributeSpec"/> or <see cref="FieldSpec"/> (null for an unknown attribute).</summary>
    public ValueSpec? Spec;
    /// <summary>The value once made: a set keeps its entries, and each value in its entry.</summary>
    public object? Value;
    /// <summary>Attribute type, or -1 for a struct field.</summary>
    public int Type;
    /// <summary>Where the value's bytes are in the message.</summary>
    public int ValueStart, ValueLength;
    private byte _kind;
    public EntryMode Mode;
    public bool BigEndian;

    public ValueKind Kind { readonly get => (ValueKind)_kind; set => _kind = (byte)value; }
    public readonly bool IsStructField => Type < 0;
    public readonly string Name => Spec?.Name ?? FieldLevels.UnknownName(Type);
    /// <summary>Offset of the attribute header (or struct field) in the message.</summary>
    public readonly int Offset => IsStructField ? ValueStart : ValueStart - Nl.AttributeHeaderLength;
    public readonly int Length => IsStructField ? ValueLength : ValueLength + Nl.AttributeHeaderLength;
}

/// <summary>
/// The walk of one level: struct fields first, then attributes, one entry at a time, and the level's own fault
/// (a short struct, an attribute stream that overruns). Allocates nothing.
/// </summary>
internal struct LevelCursor
{
    private readonly FieldLevel _level;
    private readonly AttributeTable? _table;
    private int _phase;   // 0 first struct, 1 second struct, 2 attributes, 3 done
    private int _field;   // next field of the current struct
    private int _structEnd;   // where the last struct field found ends, within the level (a trailing array's last element)
    private int _offset;  // next attribute, within the attribute stream
    private readonly int _attributesAt;
    /// <summary>The level's own fault, the first found; final once <see cref="Next"/> returns false.</summary>
    public string? Fault;

    public LevelCursor(in FieldLevel level)
    {
        _level = level;
        _table = level.EffectiveTable;
        _attributesAt = level.AfterStruct;
        if (level.Struct2 is { } second) _attributesAt = Math.Min(_attributesAt + Nl.Align(second.Size), level.Length);
        _phase = level.Struct is not null ? 0 : level.HasAttributes ? 2 : 3;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Next(out FieldEntry e)
    {
        while (true)
        {
            switch (_phase)
            {
                case 0:
                case 1:
                {
                    var spec = _phase == 0 ? _level.Struct! : _level.Struct2!;
                    if (_field < spec.Count)
                    {
                        if (StructField(spec, spec[_field++], _phase == 0 ? 0 : _level.AfterStruct, out e)) return true;
                        continue;
                    }
                    _field = 0;
                    _phase = _phase == 0 && _level.Struct2 is not null ? 1 : _level.HasAttributes ? 2 : _level.ShowsTail ? 4 : 3;
                    continue;
                }
                case 2:
                    if (Attribute(out e)) return true;
                    _phase = 3;
                    continue;
                case 4:
                    _phase = 3;
                    if (Tail(out e)) return true;
                    continue;
                default:
                    e = default;
                    return false;
            }
        }
    }

    /// <summary>A struct field when it fits. A short buffer leaves the field out, and is a fault unless the
    /// struct may be short (older kernels send shorter versions of growing structs).</summary>
    private bool StructField(StructSpec spec, FieldSpec f, int at, out FieldEntry e)
    {
        e = default;
        int baseOffset = _level.Start + at;
        int available = Math.Max(_level.Length - at, 0);
        int size = f.Size;
        if (f.Offset + size > available)
        {
            if (spec.MinSize >= 0 && available >= spec.MinSize) return false;
            Fault ??= $"{spec.Name} at offset {baseOffset} is {available} bytes, too short for field {f.Name}";
            return false;
        }
        int valueLength = size > 0 ? size : available - f.Offset;
        if (f.FamilyField is not null && valueLength == 16)
        {
            var data = _level.Message.Bytes.AsSpan(baseOffset, available);
            if (FieldLevels.FamilyOf(spec, f.FamilyField, data, _level.Message.ByteOrder) switch
                {
                    2 => true,
                    // AF_UNSPEC (a larval SA's selector): an address whose last 12 bytes are zero reads as IPv4.
                    0 => data.Slice(f.Offset + 4, 12).IndexOfAnyExcept((byte)0) < 0,
                    _ => false,
                })
                valueLength = 4;
        }
        e = FieldLevels.StructEntry(f, baseOffset + f.Offset, valueLength);
        _structEnd = Math.Max(_structEnd, at + f.Offset + valueLength);
        return true;
    }

    /// <summary>The bytes past the struct, when there are any its fields do not already take (a field of the rest ends at the level's end).</summary>
    private readonly bool Tail(out FieldEntry e)
    {
        e = default;
        var spec = _level.Struct!;
        // Past the struct (its size, not aligned: the attribute's length counts no padding, so bytes up to the next
        // multiple of four are real), and past the elements of a trailing array (tc_u32_sel's keys) its fields found.
        int at = Math.Max(spec.Size, _structEnd), length = _level.Length - at;
        if (length <= 0) return false;
        e = FieldLevels.StructEntry(spec.HasSecrets ? FieldLevels.SecretTail : FieldLevels.Tail, _level.Start + at, length);
        return true;
    }

    private const byte AF_MPLS = 28;

    /// <summary>A message whose family header starts with AF_MPLS (an rtmsg of an MPLS route).</summary>
    private static bool IsMplsMessage(NetlinkMessage message) =>
        message.Bytes.Length > Nl.HeaderLength && message.Bytes[Nl.HeaderLength] == AF_MPLS;

    /// <summary>The next attribute of the stream (the one TLV walk), matched to its description.</summary>
    private bool Attribute(out FieldEntry e)
    {
        e = default;
        var message = _level.Message;
        int streamStart = _level.Start + _attributesAt;
        var stream = message.Bytes.AsSpan(streamStart, _level.Length - _attributesAt);
        if (!AttributeWalker.TryNext(stream, ref _offset, streamStart, message.ByteOrder, out var a, out var fault))
        {
            Fault ??= fault;
            return false;
        }
        int type = a.Type;
        e.Type = type;
        e.ValueStart = streamStart + a.PayloadOffset;
        e.ValueLength = a.PayloadLength;
        var spec = _table?[type];
        if (spec is null && _table is { GuardsUnknown: true })
        {
            e.Kind = ValueKind.Binary;
            e.Mode = EntryMode.Guarded;
            return true;
        }
        if (spec is null)
        {
            bool nested = a.IsNested;
            e.Kind = nested ? ValueKind.Nested : ValueKind.Binary;
            e.Mode = nested ? EntryMode.Speculative : EntryMode.Bytes;
            return true;
        }
        e.Spec = spec;
        e.Kind = spec.LabelsForMplsFamily && IsMplsMessage(message) ? ValueKind.MplsLabels : spec.Kind;
        e.BigEndian = a.IsNetByteOrder || spec.NetworkOrder;
        e.Mode = FieldLevels.ModeOf(spec, _level.Depth);
        return true;
    }
}

/// <summary>
/// What is done with walked levels: listing their entries (when the user reads them), checking the whole tree
/// below them (the message's IsMalformed, exact, before anything is read), finding key material to zero, and
/// opening the level a nested value holds. Fault texts are the decoder's contract: tests and users match them.
/// </summary>
internal static class FieldLevels
{
    public const int MaxDepth = 32;

    // The walk's scratch, reused by every set a thread lists.
    [ThreadStatic] private static FieldEntry[]? t_scratch;

    /// <summary>The entries of a level as an array of their own (what a set keeps).</summary>
    public static FieldEntry[] Entries(in FieldLevel level)
    {
        var scratch = t_scratch ??= new FieldEntry[64];
        int count = 0;
        var cursor = new LevelCursor(level);
        while (cursor.Next(out scratch[count]))
        {
            if (++count < scratch.Length) continue;
            Array.Resize(ref scratch, scratch.Length * 2);
            t_scratch = scratch;
        }
        return count == 0 ? Array.Empty<FieldEntry>() : scratch.AsSpan(0, count).ToArray();
    }

    /// <summary>
    /// The struct's shared <see cref="StructSpec.Template"/> when the level is that one struct and every field fits
    /// (positions relative to the level's start), else null: then <see cref="Entries"/> walks.
    /// </summary>
    public static FieldEntry[]? SharedEntries(in FieldLevel level) =>
        level.Struct2 is null && !level.HasAttributes && level.Struct is { } s && level.Length >= s.RequiredLength
        && (!level.ShowsTail || level.Length <= s.Size) ? s.Template : null;   // (a struct with a field of the rest has no template)

    /// <summary>The name of the bytes past a struct's known fields (a newer kernel's longer struct), as bytes.</summary>
    public const string TailName = "unknown_tail";
    internal static readonly FieldSpec Tail = new(TailName, 0, ValueKind.Binary);
    /// <summary>Past a struct holding key material, the unknown bytes may be key material too.</summary>
    internal static readonly FieldSpec SecretTail = new(TailName, 0, ValueKind.Secret);

    /// <summary>
    /// The fault of a level and everything below it, as a complete decode reports it: the level's own fault first
    /// (an overrun, a short struct), else the first fault among its fields in order. With <paramref name="redactions"/>,
    /// also lists the key material to zero, which needs the whole tree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? Check(in FieldLevel level, List<(int Offset, int Length)>? redactions)
    {
        // The common shapes take a direct path: an attribute stream, a struct whose every field fits.
        var message = level.Message;
        if (level.Struct2 is null && (level.Struct is not { } s || StructFits(s, level.Length, message, redactions)))
        {
            if (!level.HasAttributes) return null;
            int at = level.AfterStruct;
            return CheckAttributes(message, level.EffectiveTable, level.Start + at, level.Length - at, level.Depth, redactions);
        }
        var cursor = new LevelCursor(level);
        string? first = null;
        while (cursor.Next(out var e))
        {
            if (first is not null && redactions is null) continue; // the rest of the walk may still find the level's own fault
            first ??= EntryFault(level, e, redactions);
        }
        return cursor.Fault ?? first;
    }

    /// <summary>Whether a struct has nothing to report: every field fits (or may be absent), and no key material to zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool StructFits(StructSpec spec, int length, NetlinkMessage message, List<(int Offset, int Length)>? redactions) =>
        (length >= spec.RequiredLength || spec.MinSize >= 0 && length >= spec.MinSize) // a shorter growing struct is no fault
        && (redactions is null || message.RevealSecrets || !spec.HasSecrets);

    /// <summary>
    /// <see cref="Check"/> for an attribute stream: the same walk as <see cref="LevelCursor"/>, with the faults a
    /// fixed-size value can have tested in place and everything else handed to <see cref="EntryFault"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? CheckAttributes(NetlinkMessage message, AttributeTable? table, int start, int length, int depth, List<(int Offset, int Length)>? redactions)
    {
        var stream = message.Bytes.AsSpan(start, length);
        string? first = null;
        int offset = 0;
        string? fault;
        while (AttributeWalker.TryNext(stream, ref offset, start, message.ByteOrder, out var a, out fault))
        {
            if ((first is not null && redactions is null) || table is null) continue;
            var check = table.CheckOf(a.Type);
            switch (check.What)
            {
                case AttributeCheck.Step.None:
                    if (table.GuardsUnknown) Guard(message, table, start + a.PayloadOffset, a.PayloadLength, depth, redactions);
                    continue;
                case AttributeCheck.Step.Fixed:
                    if (a.PayloadLength < check.Size) first ??= ShortValue(table[a.Type]!, start + a.Offset, a.PayloadLength);
                    continue;
                case AttributeCheck.Step.PlainNest when depth < MaxDepth:
                {
                    // The common nest (one set, no selector, no leading struct): straight down, as TryOpen would open it.
                    var inner = CheckAttributes(message, message.ForDirection(table[a.Type]!.Nested), start + a.PayloadOffset, a.PayloadLength, depth + 1, redactions);
                    first ??= inner;
                    continue;
                }
                case AttributeCheck.Step.Struct when StructFits(table[a.Type]!.Struct!, a.PayloadLength, message, redactions):
                    continue; // as Check of the level TryOpen makes: nothing to report, nothing to zero
                default:
                {
                    var spec = table[a.Type]!;
                    var e = new FieldEntry
                    {
                        Spec = spec, Type = a.Type, Kind = spec.Kind, Mode = ModeOf(spec, depth),
                        ValueStart = start + a.PayloadOffset, ValueLength = a.PayloadLength,
                    };
                    first ??= EntryFault(new FieldLevel(message, start, length, depth, Table: table, HasAttributes: true), e, redactions);
                    continue;
                }
            }
        }
        // The stream's own fault comes first: nothing after a bad length can be trusted.
        return fault ?? first;
    }

    /// <summary>
    /// An attribute of a set whose layout nothing tells: a nest is followed, and any value longer than 4 bytes is
    /// zeroed (a key, a password, a name: without a layout nothing tells them apart). Never a fault.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Guard(NetlinkMessage message, AttributeTable table, int start, int length, int depth, List<(int Offset, int Length)>? redactions)
    {
        if (redactions is null || message.RevealSecrets) return;
        if (GuardedNest(message, start, length, depth)) CheckAttributes(message, table, start, length, depth + 1, redactions);
        else if (length > GuardedClearLength) redactions.Add((start, length));
    }

    /// <summary>Values up to this many bytes (u8..u32 numbers, flags) are shown in a set whose layout nothing tells.</summary>
    public const int GuardedClearLength = 4;

    /// <summary>
    /// Whether a value of an unknown set is a nest: it parses as attributes whose types are all plausible (below
    /// 1024), so a key whose bytes happen to chain as attribute lengths is still taken for a key.
    /// </summary>
    public static bool GuardedNest(NetlinkMessage message, int start, int length, int depth)
    {
        if (depth >= MaxDepth || length < Nl.AttributeHeaderLength) return false;
        var span = message.Bytes.AsSpan(start, length);
        int offset = 0;
        string? fault;
        while (AttributeWalker.TryNext(span, ref offset, 0, message.ByteOrder, out var a, out fault))
            if (a.Type >= 1024) return false;
        return fault is null;
    }

    // Out of line: the check's loop runs for every attribute, this text for almost none.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string ShortValue(AttributeSpec spec, int offset, int length) =>
        $"attribute {spec.Name} at offset {offset}: {AttributeDecoder.ScalarFault(spec.Kind, length)}";

    /// <summary>How an attribute of a known description decodes.</summary>
    public static EntryMode ModeOf(AttributeSpec spec, int depth) => spec.Kind switch
    {
        ValueKind.Nested => depth >= MaxDepth ? EntryMode.TooDeep : EntryMode.Nest,
        ValueKind.StructArray => spec.Struct is null ? EntryMode.Bytes : EntryMode.LengthPrefixedArray,
        ValueKind.NestedArray => depth >= MaxDepth ? EntryMode.TooDeep : EntryMode.NestedArray,
        ValueKind.Struct when spec.StructArray && spec.Struct is { Size: > 0 } => EntryMode.FixedStructArray,
        ValueKind.Struct => spec.Struct is null ? EntryMode.Bytes : EntryMode.Nest,
        ValueKind.Secret => EntryMode.Secret,
        _ => EntryMode.Scalar,
    };

    /// <summary>A struct field's entry, its value at a place (the walk's, and a struct's shared template).</summary>
    public static FieldEntry StructEntry(FieldSpec f, int valueStart, int valueLength) => new()
    {
        Spec = f, Type = -1, Kind = f.Kind, ValueStart = valueStart, ValueLength = valueLength, Mode = ModeOf(f), BigEndian = f.NetworkOrder,
    };

    /// <summary>How a struct field decodes: a struct inside a struct is a nest, key material a secret.</summary>
    public static EntryMode ModeOf(FieldSpec f) =>
        f.Kind == ValueKind.Struct && f.Struct is not null ? EntryMode.Nest : f.Kind == ValueKind.Secret ? EntryMode.Secret : EntryMode.Scalar;

    /// <summary>An entry's own fault, or the first fault inside its value. Struct fields never fault (the struct does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? EntryFault(in FieldLevel level, in FieldEntry e, List<(int Offset, int Length)>? redactions)
    {
        var message = level.Message;
        switch (e.Mode)
        {
            case EntryMode.Scalar:
            {
                if (e.IsStructField) return null;
                var reason = AttributeDecoder.ScalarFault(e.Kind, e.ValueLength);
                return reason is null ? null : $"attribute {e.Name} at offset {e.Offset}: {reason}";
            }
            case EntryMode.Secret:
                if (redactions is not null && !message.RevealSecrets && e.ValueLength > 0) redactions.Add((e.ValueStart, e.ValueLength));
                return null;
            case EntryMode.Nest:
            {
                if (e.IsStructField)
                {
                    // A struct inside a struct: only its key material matters (its shortness is the outer struct's).
                    if (redactions is not null && ((FieldSpec)e.Spec!).Struct!.HasSecrets) Check(Child(level, e), redactions);
                    return null;
                }
                return TryOpen(level, e, out var child) ? Check(child, redactions) : null;
            }
            case EntryMode.TooDeep:
                return $"nesting deeper than {MaxDepth} at offset {e.Offset}";
            case EntryMode.Guarded:
                Guard(message, level.Table!, e.ValueStart, e.ValueLength, level.Depth, redactions);
                return null;
            case EntryMode.NestedArray:
            {
                var spec = (AttributeSpec)e.Spec!;
                var items = new LevelCursor(FieldLevel.Attributes(message, null, e.ValueStart, e.ValueLength, level.Depth));
                string? first = null;
                while (items.Next(out var item))
                    if (first is null || redactions is not null) first ??= Check(ArrayItem(level, spec, item), redactions);
                return items.Fault ?? first;
            }
            case EntryMode.FixedStructArray:
            {
                var element = ((AttributeSpec)e.Spec!).Struct!;
                string? first = null;
                int count = e.ValueLength / element.Size;
                for (int i = 0; i < count && (first is null || redactions is not null); i++)
                    first ??= Check(FieldLevel.OfStruct(message, element, e.ValueStart + i * element.Size, element.Size), redactions);
                if (e.ValueLength % element.Size != 0)
                    first ??= $"attribute {e.Name} at offset {e.Offset}: {e.ValueLength} bytes is not a whole number of {element.Name} ({element.Size} bytes)";
                return first;
            }
            case EntryMode.LengthPrefixedArray:
                return LengthPrefixedItems(level, e, null, redactions);
            default:
                return null;
        }
    }

    /// <summary>The level a struct field's struct value is.</summary>
    public static FieldLevel Child(in FieldLevel parent, in FieldEntry e) =>
        new(parent.Message, e.ValueStart, e.ValueLength, parent.Depth, Struct: ((FieldSpec)e.Spec!).Struct);

    /// <summary>
    /// The level a nested attribute holds: its set, its struct, or both (a struct then attributes); a selector
    /// (a sibling's value, a family-header field) may choose them. False when no layout is known (speculative).
    /// </summary>
    public static bool TryOpen(in FieldLevel parent, in FieldEntry e, out FieldLevel child)
    {
        var message = parent.Message;
        if (e.IsStructField) { child = Child(parent, e); return true; }
        var spec = (AttributeSpec)e.Spec!;
        int depth = parent.Depth + 1;
        if (spec.Kind == ValueKind.Struct)
        {
            child = new FieldLevel(message, e.ValueStart, e.ValueLength, depth, Struct: spec.Struct, ShowsTail: true);
            return true;
        }
        var nested = spec.Nested;
        if (spec.NestedByKind is not null || spec.StructByKind is not null)
        {
            var siblings = message.Bytes.AsSpan(parent.Start + parent.AfterStruct, parent.Length - parent.AfterStruct);
            var kind = spec.HeaderSelector is not null ? NetlinkFields.Format(message.HeaderScalar(spec.HeaderSelector))
                : spec.SelectorEnum is not null ? SiblingNumberName(siblings, spec.SelectorAttribute, spec.SelectorEnum, message.ByteOrder)
                : SiblingKind(siblings, spec, message.ByteOrder);
            var (perKindStruct, perKind) = kind is null ? default : spec.ForKind(kind);
            if (perKindStruct is not null)
            {
                // A kind with a set too puts its attributes after the struct (netem's TCA_NETEM_* after tc_netem_qopt).
                child = perKind is not null
                    ? new FieldLevel(message, e.ValueStart, e.ValueLength, depth, perKindStruct, null, perKind, true)
                    : new FieldLevel(message, e.ValueStart, e.ValueLength, depth, Struct: perKindStruct, ShowsTail: true);
                return true;
            }
            nested = perKind ?? nested;
        }
        child = new FieldLevel(message, e.ValueStart, e.ValueLength, depth, spec.Struct, null, nested, true);
        return spec.Struct is not null || nested is not null;
    }

    /// <summary>One numbered entry of a NestedArray: a struct, or a set of the array's table.</summary>
    public static FieldLevel ArrayItem(in FieldLevel level, AttributeSpec spec, in FieldEntry item) =>
        spec.Struct is not null
            // The item is the struct's attribute-like record: bytes past it (an ematch's data after tcf_ematch_hdr) are shown.
            ? new FieldLevel(level.Message, item.ValueStart, item.ValueLength, 0, Struct: spec.Struct, ShowsTail: true)
            : FieldLevel.Attributes(level.Message, spec.Nested, item.ValueStart, item.ValueLength, level.Depth + 1);

    /// <summary>
    /// The records of a StructArray attribute (struct rtnexthop + attributes, or plain structs), into
    /// <paramref name="items"/> when given; returns the fault, as the records' own walk reports it.
    /// </summary>
    public static string? LengthPrefixedItems(in FieldLevel level, in FieldEntry e, List<FieldLevel>? items, List<(int Offset, int Length)>? redactions)
    {
        var message = level.Message;
        var spec = (AttributeSpec)e.Spec!;
        var structSpec = spec.Struct!;
        string? reason = null;
        int offset = 0;
        while (offset < e.ValueLength && structSpec.Size > 0)
        {
            int left = e.ValueLength - offset;
            int at = e.ValueStart + offset;
            int length = structSpec.Size;
            FieldLevel item;
            if (spec.Nested is not null && spec.LengthField is not null)
            {
                length = LengthField(message, structSpec, spec.LengthField, at, Math.Min(left, structSpec.Size));
                if (length < structSpec.Size || length > left)
                {
                    reason = $"{structSpec.Name} at offset {at} has length {length}, {left} bytes left";
                    break;
                }
                item = new FieldLevel(message, at, length, level.Depth + 1, structSpec, null, spec.Nested, true);
            }
            else
            {
                if (left < length) { reason = $"{left} stray bytes after the {structSpec.Name} records at offset {at}"; break; }
                item = FieldLevel.OfStruct(message, structSpec, at, length);
            }
            items?.Add(item);
            if (reason is null || redactions is not null)
            {
                var r = Check(item, redactions);
                reason ??= r;
            }
            offset += Nl.Align(length);
        }
        return reason;
    }

    private static int LengthField(NetlinkMessage message, StructSpec spec, string name, int at, int available)
    {
        var f = spec.FieldNamed(name);
        if (f is null) return 0;
        int size = f.Size;
        if (f.Offset + size > available) return 0;
        var p = message.Bytes.AsSpan(at + f.Offset, size);
        var order = f.NetworkOrder ? ByteOrder.BigEndian : message.ByteOrder;
        return f.Kind switch
        {
            ValueKind.U8 => p[0],
            ValueKind.U16 => Endian.U16(p, order),
            ValueKind.U32 => (int)Math.Min(Endian.U32(p, order), int.MaxValue),
            _ => 0,
        };
    }

    /// <summary>The per-kind key a sibling's string value names (without making the string: every check asks).</summary>
    private static string? SiblingKind(ReadOnlySpan<byte> stream, AttributeSpec spec, ByteOrder order) =>
        AttributeWalker.TryFind(stream, spec.SelectorAttribute, order, out var payload) ? spec.KindNamed(payload) : null;


    /// <summary>A numeric selector (u8, u16 or u32 by length) by its name in <paramref name="names"/>.</summary>
    private static string? SiblingNumberName(ReadOnlySpan<byte> stream, ushort type, EnumTable names, ByteOrder order)
    {
        if (!AttributeWalker.TryFind(stream, type, order, out var p)) return null;
        ulong? n = p.Length switch { 1 => p[0], 2 => Endian.U16(p, order), 4 => Endian.U32(p, order), _ => null };
        return n is { } v && names.TryGetValue(v, out var name) ? name : null;
    }

    /// <summary>The AF_* value of the field a path names ("family", "sel.family"), read straight from the bytes.</summary>
    public static int FamilyOf(StructSpec spec, string path, ReadOnlySpan<byte> data, ByteOrder order)
    {
        // Walked on every read of such a struct: no splitting or lambdas, the path's parts as ranges.
        Span<Range> parts = stackalloc Range[4];
        int count = path.AsSpan().Split(parts, '.');
        int offset = 0;
        StructSpec? current = spec;
        for (int i = 0; i < count; i++)
        {
            if (current is null) return -1;
            var part = path.AsSpan()[parts[i]];
            FieldSpec? field = null;
            foreach (var f in current)
                if (part.SequenceEqual(f.Name)) { field = f; break; }
            if (field is null) return -1;
            offset += field.Offset;
            if (field.Kind == ValueKind.Struct) { current = field.Struct; continue; }
            return field.Kind switch
            {
                ValueKind.U8 when offset < data.Length => data[offset],
                ValueKind.U16 when offset + 2 <= data.Length => Endian.U16(data[offset..], order),
                _ => -1,
            };
        }
        return -1;
    }

    private static readonly string[] UnknownNames = Enumerable.Range(0, 256).Select(i => $"unknown_{i}").ToArray();

    public static string UnknownName(int type) => (uint)type < (uint)UnknownNames.Length ? UnknownNames[type] : $"unknown_{type}";

    /// <summary>The fixed size of a value kind (0 when it has none).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeOf(ValueKind kind) => (uint)kind < (uint)Sizes.Length ? Sizes[(int)kind] : 0;

    private static readonly byte[] Sizes = Enumerable.Range(0, (int)Enum.GetValues<ValueKind>().Max() + 1).Select(i => (byte)((ValueKind)i switch
    {
        ValueKind.U8 or ValueKind.S8 => 1,
        ValueKind.U16 or ValueKind.S16 => 2,
        ValueKind.U32 or ValueKind.S32 or ValueKind.IPv4 => 4,
        ValueKind.U64 or ValueKind.S64 => 8,
        ValueKind.IPv6 => 16,
        _ => 0,
    })).ToArray();
}
