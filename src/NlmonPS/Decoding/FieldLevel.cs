// Hot paths carry AggressiveOptimization: a capture is decoded in one long pass, and tiered JIT would run it
// unoptimised for most of the file (measured: 3.5x slower on 100k messages). They are also jitted so in pwsh.
using System.Runtime.CompilerServices;
using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>
/// One level of a message's decoded tree, not yet decoded: a struct, a struct followed by attributes, or an
/// attribute stream, at a place in the message's bytes. <see cref="NetlinkFields"/> walks it when first read.
/// </summary>
internal readonly record struct FieldLevel(
    DecodeScope Scope, int Start, int Length, int Depth,
    StructSpec? Struct = null, StructSpec? Struct2 = null, AttributeTable? Table = null, bool HasAttributes = false)
{
    public static FieldLevel Attributes(DecodeScope scope, AttributeTable? table, int start, int length, int depth) =>
        new(scope, start, length, depth, Table: table, HasAttributes: true);

    public static FieldLevel OfStruct(DecodeScope scope, StructSpec spec, int start, int length) =>
        new(scope, start, length, 0, Struct: spec);

    public ReadOnlySpan<byte> Span => Scope.Bytes.AsSpan(Start, Length);
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
    /// <summary>A nested attribute set, a struct, or a struct followed by attributes: a <see cref="NetlinkFields"/>.</summary>
    Level,
    /// <summary>Numbered entries of one set (type = index).</summary>
    NestedArray,
    /// <summary>Records with their own length field, each a struct and attributes (struct rtnexthop + RTA_*).</summary>
    LengthPrefixedArray,
    /// <summary>Back-to-back fixed structs (xfrm templates, nexthop_grp).</summary>
    FixedStructArray,
    /// <summary>Nesting past the limit: bytes, and a fault.</summary>
    TooDeep,
}

/// <summary>One field of a level as the walk found it: where its value is and how to decode it.</summary>
internal struct FieldEntry
{
    public string Name;
    /// <summary>The <see cref="AttributeSpec"/> or <see cref="FieldSpec"/> (null for an unknown attribute).</summary>
    public object? Spec;
    /// <summary>For <see cref="EntryMode.Level"/> and friends: the set and struct the value holds (selectors resolved).</summary>
    public AttributeTable? Table;
    public StructSpec? Struct;
    /// <summary>Attribute type, or -1 for a struct field.</summary>
    public int Type;
    /// <summary>Offset of the attribute header (or struct field) in the message, and its length.</summary>
    public int Offset, Length;
    /// <summary>Where the value's bytes are in the message.</summary>
    public int ValueStart, ValueLength;
    public ValueKind Kind;
    public EntryMode Mode;
    public bool BigEndian;
    public bool HasAttributes;

    public readonly bool IsStructField => Type < 0;
}

/// <summary>
/// Walks levels. One walk serves the three things done with a level: listing its entries (when the user reads
/// it), checking the whole tree below it (the message's IsMalformed, exact, before anything is read), and
/// finding key material to zero. Fault texts are the decoder's contract: tests and users match on them.
/// </summary>
internal static class FieldLevels
{
    public const int MaxDepth = 32;

    [ThreadStatic] private static Stack<List<FieldEntry>>? t_lists;

    private static List<FieldEntry> Rent() =>
        (t_lists ??= new Stack<List<FieldEntry>>()).TryPop(out var list) ? list : new List<FieldEntry>(16);

    private static void Return(List<FieldEntry> list)
    {
        list.Clear();
        if (list.Capacity <= 4096) t_lists!.Push(list);
    }

    /// <summary>The entries of a level, in order, and the level's own fault (a short struct, an overrun).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? Walk(in FieldLevel level, List<FieldEntry> into)
    {
        string? fault = null;
        int offset = 0;
        if (level.Struct is { } first)
        {
            fault = WalkStruct(level, first, 0, level.Length, into);
            offset = Math.Min(Nl.Align(first.Size), level.Length);
        }
        if (level.Struct2 is { } second)
        {
            var reason = WalkStruct(level, second, offset, level.Length - offset, into);
            fault ??= reason;
        }
        if (level.HasAttributes)
        {
            var reason = WalkAttributes(level, level.Scope.ForDirection(level.Table), offset, into);
            fault ??= reason;
        }
        return fault;
    }

    /// <summary>A fixed struct's fields. Fields that do not fit in a short buffer are left out and reported.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? WalkStruct(in FieldLevel level, StructSpec spec, int at, int length, List<FieldEntry> into)
    {
        string? reason = null;
        var data = level.Scope.Bytes.AsSpan(level.Start + at, Math.Max(length, 0));
        int baseOffset = level.Start + at;
        foreach (var f in spec)
        {
            int size = f.Length > 0 ? f.Length : SizeOf(f.Kind);
            if (f.Offset + size > data.Length)
            {
                if (spec.MinSize >= 0 && data.Length >= spec.MinSize) continue;
                reason ??= $"{spec.Name} at offset {baseOffset} is {data.Length} bytes, too short for field {f.Name}";
                continue;
            }
            int valueLength = size > 0 ? size : data.Length - f.Offset;
            if (f.FamilyField is not null && valueLength == 16 && FamilyOf(spec, f.FamilyField, data, level.Scope.Order) switch
                {
                    2 => true,
                    // AF_UNSPEC (a larval SA's selector): an address whose last 12 bytes are zero reads as IPv4.
                    0 => data.Slice(f.Offset + 4, 12).IndexOfAnyExcept((byte)0) < 0,
                    _ => false,
                })
                valueLength = 4;
            into.Add(new FieldEntry
            {
                Name = f.Name, Spec = f, Type = -1, Kind = f.Kind,
                Offset = baseOffset + f.Offset, Length = valueLength,
                ValueStart = baseOffset + f.Offset, ValueLength = valueLength,
                Mode = f.Kind == ValueKind.Struct && f.Struct is not null ? EntryMode.Level : f.Kind == ValueKind.Secret ? EntryMode.Secret : EntryMode.Scalar,
                Struct = f.Kind == ValueKind.Struct ? f.Struct : null,
                BigEndian = f.NetworkOrder,
            });
        }
        return reason;
    }

    /// <summary>An attribute stream (the one TLV walk), each attribute matched to its description.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? WalkAttributes(in FieldLevel level, AttributeTable? table, int at, List<FieldEntry> into)
    {
        var scope = level.Scope;
        var order = scope.Order;
        var span = scope.Bytes.AsSpan(level.Start + at, level.Length - at);
        int baseOffset = level.Start + at;
        int offset = 0;
        while (offset < span.Length)
        {
            int left = span.Length - offset;
            if (left < Nl.AttributeHeaderLength)
                return $"{left} stray bytes at offset {baseOffset + offset} are too short for an attribute header";
            ushort len = Endian.U16(span[offset..], order);
            ushort rawType = Endian.U16(span[(offset + 2)..], order);
            int type = rawType & Nl.NLA_TYPE_MASK;
            if (len < Nl.AttributeHeaderLength)
                return $"attribute type {type} at offset {baseOffset + offset} has length {len}, below its 4-byte header";
            if (len > left)
                return $"attribute type {type} at offset {baseOffset + offset} has length {len} but only {left} bytes remain";
            var entry = new FieldEntry
            {
                Type = type, Offset = baseOffset + offset, Length = len,
                ValueStart = baseOffset + offset + Nl.AttributeHeaderLength, ValueLength = len - Nl.AttributeHeaderLength,
            };
            bool nestedFlag = (rawType & Nl.NLA_F_NESTED) != 0;
            var spec = table?[type];
            if (spec is null)
            {
                entry.Name = UnknownName(type);
                entry.Kind = nestedFlag ? ValueKind.Nested : ValueKind.Binary;
                entry.Mode = nestedFlag ? EntryMode.Speculative : EntryMode.Bytes;
            }
            else
            {
                entry.Name = spec.Name;
                entry.Spec = spec;
                entry.Kind = spec.Kind;
                entry.BigEndian = (rawType & Nl.NLA_F_NET_BYTEORDER) != 0 || spec.NetworkOrder;
                Describe(ref entry, spec, span, level);
            }
            into.Add(entry);
            offset += Math.Min(Nl.Align(len), left);
        }
        return null;
    }

    /// <summary>How an attribute of a known description decodes: its mode, and for nests the set or struct inside.</summary>
    private static void Describe(ref FieldEntry entry, AttributeSpec spec, ReadOnlySpan<byte> siblings, in FieldLevel level)
    {
        switch (spec.Kind)
        {
            case ValueKind.Nested:
            {
                if (level.Depth >= MaxDepth) { entry.Mode = EntryMode.TooDeep; return; }
                var nested = spec.Nested;
                if (spec.NestedByKind is not null || spec.StructByKind is not null)
                {
                    var kind = spec.HeaderSelector is not null ? NetlinkFields.Format(level.Scope.Header[spec.HeaderSelector])
                        : spec.SelectorEnum is not null ? SiblingNumberName(siblings, spec.SelectorAttribute, spec.SelectorEnum, level.Scope.Order)
                        : SiblingString(siblings, spec.SelectorAttribute, level.Scope.Order);
                    if (kind is not null && spec.StructByKind?.TryGetValue(kind, out var perKindStruct) == true)
                    {
                        entry.Mode = EntryMode.Level;
                        entry.Struct = perKindStruct;
                        return;
                    }
                    if (kind is not null && spec.NestedByKind?.TryGetValue(kind, out var perKind) == true) nested = perKind;
                }
                if (spec.Struct is null && nested is null) { entry.Mode = EntryMode.Speculative; return; }
                entry.Mode = EntryMode.Level;
                entry.Struct = spec.Struct;
                entry.Table = nested;
                entry.HasAttributes = true;
                return;
            }
            case ValueKind.StructArray:
                entry.Mode = spec.Struct is null ? EntryMode.Bytes : EntryMode.LengthPrefixedArray;
                return;
            case ValueKind.NestedArray:
                entry.Mode = level.Depth >= MaxDepth ? EntryMode.TooDeep : EntryMode.NestedArray;
                return;
            case ValueKind.Struct when spec.StructArray && spec.Struct is { Size: > 0 }:
                entry.Mode = EntryMode.FixedStructArray;
                return;
            case ValueKind.Struct:
                if (spec.Struct is null) entry.Mode = EntryMode.Bytes;
                else { entry.Mode = EntryMode.Level; entry.Struct = spec.Struct; }
                return;
            case ValueKind.Secret:
                entry.Mode = EntryMode.Secret;
                return;
            default:
                entry.Mode = EntryMode.Scalar;
                return;
        }
    }

    /// <summary>The level an entry's value opens (for <see cref="EntryMode.Level"/> and speculative nests).</summary>
    public static FieldLevel Child(in FieldLevel parent, in FieldEntry e) =>
        e.IsStructField
            ? new FieldLevel(parent.Scope, e.ValueStart, e.ValueLength, parent.Depth, Struct: e.Struct)
            : new FieldLevel(parent.Scope, e.ValueStart, e.ValueLength, parent.Depth + 1, e.Struct, null, e.Table, e.HasAttributes);

    /// <summary>
    /// The fault of a level and everything below it, as a complete decode reports it: the level's own fault first
    /// (an overrun, a short struct), else the first fault among its fields in order. With <paramref name="redactions"/>,
    /// also lists the key material to zero, which needs the whole tree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? Check(in FieldLevel level, List<(int Offset, int Length)>? redactions)
    {
        var entries = Rent();
        try
        {
            var fault = Walk(level, entries);
            string? first = null;
            for (int i = 0; i < entries.Count; i++)
            {
                if (first is not null && redactions is null) break;
                var reason = EntryFault(level, entries[i], redactions);
                first ??= reason;
            }
            return fault ?? first;
        }
        finally { Return(entries); }
    }

    /// <summary>An entry's own fault, or the first fault inside its value. Struct fields never fault (the struct does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? EntryFault(in FieldLevel level, in FieldEntry e, List<(int Offset, int Length)>? redactions)
    {
        var scope = level.Scope;
        switch (e.Mode)
        {
            case EntryMode.Scalar:
            {
                if (e.IsStructField) return null;
                var reason = AttributeDecoder.ScalarFault(e.Kind, e.ValueLength);
                return reason is null ? null : $"attribute {e.Name} at offset {e.Offset}: {reason}";
            }
            case EntryMode.Secret:
                if (redactions is not null && !scope.RevealSecrets && e.ValueLength > 0) redactions.Add((e.ValueStart, e.ValueLength));
                return null;
            case EntryMode.Level:
            {
                if (e.IsStructField)
                {
                    // A struct inside a struct: only its key material matters (its shortness is the outer struct's).
                    if (redactions is not null && e.Struct!.HasSecrets) Check(Child(level, e), redactions);
                    return null;
                }
                return Check(Child(level, e), redactions);
            }
            case EntryMode.TooDeep:
                return $"nesting deeper than {MaxDepth} at offset {e.Offset}";
            case EntryMode.NestedArray:
            {
                var spec = (AttributeSpec)e.Spec!;
                var items = Rent();
                try
                {
                    var fault = WalkAttributes(new FieldLevel(scope, e.ValueStart, e.ValueLength, level.Depth), null, 0, items);
                    string? first = null;
                    foreach (var item in items)
                    {
                        if (first is not null && redactions is null) break;
                        first ??= Check(ArrayItem(level, spec, item), redactions);
                    }
                    return fault ?? first;
                }
                finally { Return(items); }
            }
            case EntryMode.FixedStructArray:
            {
                var element = ((AttributeSpec)e.Spec!).Struct!;
                string? first = null;
                int count = e.ValueLength / element.Size;
                for (int i = 0; i < count; i++)
                {
                    if (first is not null && redactions is null) break;
                    first ??= Check(FieldLevel.OfStruct(scope, element, e.ValueStart + i * element.Size, element.Size), redactions);
                }
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

    /// <summary>One numbered entry of a NestedArray: a struct, or a set of the array's table.</summary>
    public static FieldLevel ArrayItem(in FieldLevel level, AttributeSpec spec, in FieldEntry item) =>
        spec.Struct is not null
            ? FieldLevel.OfStruct(level.Scope, spec.Struct, item.ValueStart, item.ValueLength)
            : FieldLevel.Attributes(level.Scope, spec.Nested, item.ValueStart, item.ValueLength, level.Depth + 1);

    /// <summary>
    /// The records of a StructArray attribute (struct rtnexthop + attributes, or plain structs), into
    /// <paramref name="items"/> when given; returns the fault, as the records' own walk reports it.
    /// </summary>
    public static string? LengthPrefixedItems(in FieldLevel level, in FieldEntry e, List<FieldLevel>? items, List<(int Offset, int Length)>? redactions)
    {
        var scope = level.Scope;
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
                length = LengthField(scope, structSpec, spec.LengthField, at, Math.Min(left, structSpec.Size));
                if (length < structSpec.Size || length > left)
                {
                    reason = $"{structSpec.Name} at offset {at} has length {length}, {left} bytes left";
                    break;
                }
                item = new FieldLevel(scope, at, length, level.Depth + 1, structSpec, null, spec.Nested, true);
            }
            else
            {
                if (left < length) { reason = $"{left} stray bytes after the {structSpec.Name} records at offset {at}"; break; }
                item = FieldLevel.OfStruct(scope, structSpec, at, length);
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

    private static int LengthField(DecodeScope scope, StructSpec spec, string name, int at, int available)
    {
        var f = spec.Find(x => x.Name == name);
        if (f is null) return 0;
        int size = f.Length > 0 ? f.Length : SizeOf(f.Kind);
        if (f.Offset + size > available) return 0;
        var p = scope.Bytes.AsSpan(at + f.Offset, size);
        return f.Kind switch
        {
            ValueKind.U8 => p[0],
            ValueKind.U16 => Endian.U16(p, f.NetworkOrder ? ByteOrder.BigEndian : scope.Order),
            ValueKind.U32 => (int)Math.Min(Endian.U32(p, f.NetworkOrder ? ByteOrder.BigEndian : scope.Order), int.MaxValue),
            _ => 0,
        };
    }

    private static string? SiblingString(ReadOnlySpan<byte> stream, ushort type, ByteOrder order) =>
        FindSibling(stream, type, order, out var payload) ? AttributeDecoder.CString(payload) : null;

    /// <summary>A numeric selector (u8, u16 or u32 by length) by its name in <paramref name="names"/>.</summary>
    private static string? SiblingNumberName(ReadOnlySpan<byte> stream, ushort type, EnumTable names, ByteOrder order)
    {
        if (!FindSibling(stream, type, order, out var p)) return null;
        ulong? n = p.Length switch { 1 => p[0], 2 => Endian.U16(p, order), 4 => Endian.U32(p, order), _ => null };
        return n is { } v && names.TryGetValue(v, out var name) ? name : null;
    }

    /// <summary>The first attribute of a type in a stream, as far as the stream is well formed.</summary>
    private static bool FindSibling(ReadOnlySpan<byte> stream, ushort type, ByteOrder order, out ReadOnlySpan<byte> payload)
    {
        int offset = 0;
        while (stream.Length - offset >= Nl.AttributeHeaderLength)
        {
            int len = Endian.U16(stream[offset..], order);
            int t = Endian.U16(stream[(offset + 2)..], order) & Nl.NLA_TYPE_MASK;
            if (len < Nl.AttributeHeaderLength || len > stream.Length - offset) break;
            if (t == type) { payload = stream.Slice(offset + Nl.AttributeHeaderLength, len - Nl.AttributeHeaderLength); return true; }
            offset += Math.Min(Nl.Align(len), stream.Length - offset);
        }
        payload = default;
        return false;
    }

    /// <summary>The AF_* value of the field a path names ("family", "sel.family"), read straight from the bytes.</summary>
    private static int FamilyOf(StructSpec spec, string path, ReadOnlySpan<byte> data, ByteOrder order)
    {
        int offset = 0;
        var current = spec;
        foreach (var part in path.Split('.'))
        {
            var field = current?.Find(x => x.Name == part);
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

    private static string UnknownName(int type) => type < UnknownNames.Length ? UnknownNames[type] : $"unknown_{type}";

    public static int SizeOf(ValueKind kind) => kind switch
    {
        ValueKind.U8 or ValueKind.S8 => 1,
        ValueKind.U16 or ValueKind.S16 => 2,
        ValueKind.U32 or ValueKind.S32 or ValueKind.IPv4 => 4,
        ValueKind.U64 or ValueKind.S64 => 8,
        ValueKind.IPv6 => 16,
        _ => 0,
    };
}
