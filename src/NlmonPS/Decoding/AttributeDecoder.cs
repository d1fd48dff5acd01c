// Hot paths carry AggressiveOptimization: a capture is decoded in one long pass, and tiered JIT would run it
// unoptimised for most of the file (measured: 3.5x slower on 100k messages). They are also jitted so in pwsh.
using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>
/// Turns attribute streams and structs into <see cref="NetlinkFields"/> by the tables. The one place where value
/// kinds become values; every protocol goes through it.
/// </summary>
public static class AttributeDecoder
{
    /// <summary>Decodes an attribute stream. <paramref name="baseOffset"/> is its offset within the message.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static NetlinkFields DecodeAttributes(AttributeTable? table, ReadOnlyMemory<byte> data, int baseOffset, DecodeContext ctx, int depth = 0)
    {
        if (ctx.Direction == NetlinkDirection.ToKernel && table is not null)
            table = (ctx.Kind == MessageKind.Get ? table.GetRequests : null) ?? table.Requests ?? table;
        var raw = new List<RawAttribute>(8);
        var malformed = AttributeWalker.Walk(data, baseOffset, ctx.Order, raw);
        var fields = new NetlinkFields(raw.Count) { MalformedReason = malformed };
        foreach (var a in raw)
        {
            var field = DecodeAttribute(table, a, raw, ctx, depth);
            fields.Add(field);
            if (field.MalformedReason is not null && fields.MalformedReason is null)
                fields.MalformedReason = field.MalformedReason;
            else if (field.Value is NetlinkFields nested && nested.MalformedReason is not null && fields.MalformedReason is null)
                fields.MalformedReason = nested.MalformedReason;
        }
        return fields;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static NetlinkField DecodeAttribute(AttributeTable? table, RawAttribute a, List<RawAttribute> siblings, DecodeContext ctx, int depth)
    {
        var spec = table?[a.Type];
        int length = a.Payload.Length + Nl.AttributeHeaderLength;
        int payloadOffset = a.Offset + Nl.AttributeHeaderLength;
        if (spec is null)
        {
            // Unknown: keep number and bytes. A nest flagged by the sender is still walked so its insides show.
            object? unknownValue = a.IsNested ? Speculative(a.Payload, payloadOffset, ctx, depth) : a.Payload.ToArray();
            return new NetlinkField($"unknown_{a.Type}", unknownValue, a.Type, a.Offset, length, a.IsNested ? ValueKind.Nested : ValueKind.Binary);
        }

        var order = a.IsNetByteOrder || spec.NetworkOrder ? ByteOrder.BigEndian : ctx.Order;
        string? reason = null;
        object? value;
        switch (spec.Kind)
        {
            case ValueKind.Nested:
            {
                if (depth >= 32) { value = a.Payload.ToArray(); reason = $"nesting deeper than 32 at offset {a.Offset}"; break; }
                var nestedTable = spec.Nested;
                if (spec.NestedByKind is not null || spec.StructByKind is not null)
                {
                    var kind = spec.HeaderSelector is not null ? NetlinkFields.Format(ctx.Header[spec.HeaderSelector])
                        : spec.SelectorEnum is not null ? SiblingNumberName(siblings, spec.SelectorAttribute, spec.SelectorEnum, ctx)
                        : SiblingString(siblings, spec.SelectorAttribute);
                    if (kind is not null && spec.StructByKind?.TryGetValue(kind, out var perKindStruct) == true)
                    {
                        value = DecodeStruct(perKindStruct, a.Payload.Span, payloadOffset, ctx, out reason);
                        break;
                    }
                    if (kind is not null && spec.NestedByKind?.TryGetValue(kind, out var perKind) == true) nestedTable = perKind;
                }
                value = spec.Struct is null
                    ? nestedTable is null ? Speculative(a.Payload, payloadOffset, ctx, depth) : DecodeAttributes(nestedTable, a.Payload, payloadOffset, ctx, depth + 1)
                    : DecodeStructThenAttributes(spec.Struct, nestedTable, a.Payload, payloadOffset, ctx, depth + 1);
                break;
            }
            case ValueKind.StructArray:
                value = spec.Struct is null ? a.Payload.ToArray() : DecodeStructArray(spec, a.Payload, payloadOffset, ctx, depth, out reason);
                break;
            case ValueKind.NestedArray:
            {
                if (depth >= 32) { value = a.Payload.ToArray(); reason = $"nesting deeper than 32 at offset {a.Offset}"; break; }
                var items = new List<RawAttribute>();
                reason = AttributeWalker.Walk(a.Payload, payloadOffset, ctx.Order, items);
                var array = new NetlinkFields[items.Count];
                for (int i = 0; i < items.Count; i++)
                {
                    array[i] = spec.Struct is not null
                        ? DecodeStruct(spec.Struct, items[i].Payload.Span, items[i].Offset + Nl.AttributeHeaderLength, ctx, out _)
                        : DecodeAttributes(spec.Nested, items[i].Payload, items[i].Offset + Nl.AttributeHeaderLength, ctx, depth + 1);
                    reason ??= array[i].MalformedReason;
                }
                value = array;
                break;
            }
            case ValueKind.Struct when spec.StructArray && spec.Struct is { Size: > 0 } element:
            {
                var array = new NetlinkFields[a.Payload.Length / element.Size];
                for (int i = 0; i < array.Length; i++)
                {
                    array[i] = DecodeStruct(element, a.Payload.Span.Slice(i * element.Size, element.Size), payloadOffset + i * element.Size, ctx, out var r);
                    reason ??= r;
                }
                if (a.Payload.Length % element.Size != 0)
                    reason ??= $"attribute {spec.Name} at offset {a.Offset}: {a.Payload.Length} bytes is not a whole number of {element.Name} ({element.Size} bytes)";
                value = array;
                break;
            }
            case ValueKind.Struct:
                value = spec.Struct is null ? a.Payload.ToArray() : DecodeStruct(spec.Struct, a.Payload.Span, payloadOffset, ctx, out reason);
                break;
            case ValueKind.Secret:
                value = Secret(a.Payload.Span, payloadOffset, ctx);
                break;
            default:
                value = DecodeScalar(spec.Kind, a.Payload.Span, order, spec.Enum, spec.Flags, out reason);
                if (reason is not null) reason = $"attribute {spec.Name} at offset {a.Offset}: {reason}";
                break;
        }
        return new NetlinkField(spec.Name, value, a.Type, a.Offset, length, spec.Kind) { MalformedReason = reason };
    }

    /// <summary>
    /// A nest whose set is not known: shown as numbered attributes when its bytes parse as attributes, else as
    /// bytes. Never a fault: not knowing the layout is not the sender's error.
    /// </summary>
    private static object Speculative(ReadOnlyMemory<byte> payload, int offset, DecodeContext ctx, int depth) =>
        depth < 32 && AttributeWalker.LooksLikeAttributes(payload.Span, ctx.Order)
            ? DecodeAttributes(null, payload, offset, ctx, depth + 1)
            : payload.ToArray();

    /// <summary>Key material: the bytes when the user reveals secrets, else a placeholder, and the bytes are zeroed in the message.</summary>
    private static object Secret(ReadOnlySpan<byte> p, int offset, DecodeContext ctx)
    {
        if (ctx.Options.RevealSecrets) return p.ToArray();
        if (p.Length > 0) ctx.Redactions.Add((offset, p.Length));
        return $"REDACTED ({p.Length} bytes)";
    }

    private static string? SiblingString(List<RawAttribute> siblings, ushort type)
    {
        foreach (var s in siblings)
            if (s.Type == type) return CString(s.Payload.Span);
        return null;
    }

    /// <summary>A numeric selector (u8, u16 or u32 by length) by its name in <paramref name="names"/>.</summary>
    private static string? SiblingNumberName(List<RawAttribute> siblings, ushort type, EnumTable names, DecodeContext ctx)
    {
        foreach (var s in siblings)
        {
            if (s.Type != type) continue;
            var p = s.Payload.Span;
            ulong? n = p.Length switch { 1 => p[0], 2 => Endian.U16(p, ctx.Order), 4 => Endian.U32(p, ctx.Order), _ => null };
            return n is { } v && names.TryGetValue(v, out var name) ? name : null;
        }
        return null;
    }

    /// <summary>A struct followed by attributes in one payload (veth's IFLA_VETH_INFO_PEER, MDBA_MDB_ENTRY_INFO).</summary>
    private static NetlinkFields DecodeStructThenAttributes(StructSpec spec, AttributeTable? table, ReadOnlyMemory<byte> data, int baseOffset, DecodeContext ctx, int depth)
    {
        var fields = DecodeStruct(spec, data.Span, baseOffset, ctx, out var reason);
        int start = Math.Min(Nl.Align(spec.Size), data.Length);
        var attributes = DecodeAttributes(table, data[start..], baseOffset + start, ctx, depth);
        foreach (var f in attributes) fields.Add(f);
        fields.MalformedReason = reason ?? attributes.MalformedReason;
        return fields;
    }

    /// <summary>A run of structs, each optionally followed by attributes up to its own length field (struct rtnexthop).</summary>
    private static NetlinkFields[] DecodeStructArray(AttributeSpec spec, ReadOnlyMemory<byte> data, int baseOffset, DecodeContext ctx, int depth, out string? reason)
    {
        reason = null;
        var structSpec = spec.Struct!;
        var items = new List<NetlinkFields>();
        int offset = 0;
        while (offset < data.Length && structSpec.Size > 0)
        {
            int left = data.Length - offset;
            int length = structSpec.Size;
            if (spec.Nested is not null && spec.LengthField is not null)
            {
                var header = DecodeStruct(structSpec, data.Span.Slice(offset, Math.Min(left, structSpec.Size)), baseOffset + offset, ctx, out _);
                length = header[spec.LengthField] switch { ushort u => u, uint u => (int)u, byte b => b, _ => 0 };
                if (length < structSpec.Size || length > left)
                {
                    reason = $"{structSpec.Name} at offset {baseOffset + offset} has length {length}, {left} bytes left";
                    break;
                }
                items.Add(DecodeStructThenAttributes(structSpec, spec.Nested, data.Slice(offset, length), baseOffset + offset, ctx, depth + 1));
            }
            else
            {
                if (left < length) { reason = $"{left} stray bytes after the {structSpec.Name} records at offset {baseOffset + offset}"; break; }
                items.Add(DecodeStruct(structSpec, data.Span.Slice(offset, length), baseOffset + offset, ctx, out _));
            }
            reason ??= items[^1].MalformedReason;
            offset += Nl.Align(length);
        }
        return items.ToArray();
    }

    /// <summary>Decodes a fixed struct. Fields that do not fit in a short buffer are left out and reported.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static NetlinkFields DecodeStruct(StructSpec spec, ReadOnlySpan<byte> data, int baseOffset, DecodeContext ctx, out string? reason)
    {
        reason = null;
        var fields = new NetlinkFields(spec.Count);
        foreach (var f in spec)
        {
            int size = f.Length > 0 ? f.Length : SizeOf(f.Kind);
            if (f.Offset + size > data.Length)
            {
                if (spec.MinSize >= 0 && data.Length >= spec.MinSize) continue;
                reason ??= $"{spec.Name} at offset {baseOffset} is {data.Length} bytes, too short for field {f.Name}";
                continue;
            }
            var slice = f.Length > 0 || size > 0 ? data.Slice(f.Offset, size) : data[f.Offset..];
            if (f.FamilyField is not null && slice.Length == 16 && FamilyOf(spec, f.FamilyField, data, ctx.Order) switch
                {
                    2 => true,
                    // AF_UNSPEC (a larval SA's selector): an address whose last 12 bytes are zero reads as IPv4.
                    0 => slice[4..].IndexOfAnyExcept((byte)0) < 0,
                    _ => false,
                })
                slice = slice[..4];
            object? value = f.Kind switch
            {
                ValueKind.Struct when f.Struct is not null => DecodeStruct(f.Struct, slice, baseOffset + f.Offset, ctx, out _),
                // Key material after a fixed part (xfrm_algo's alg_key): redacted like a Secret attribute.
                ValueKind.Secret => Secret(slice, baseOffset + f.Offset, ctx),
                _ => DecodeScalar(f.Kind, slice, f.NetworkOrder ? ByteOrder.BigEndian : ctx.Order, f.Enum, f.Flags, out _),
            };
            fields.Add(new NetlinkField(f.Name, value, -1, baseOffset + f.Offset, slice.Length, f.Kind));
        }
        if (reason is not null) fields.MalformedReason = reason;
        return fields;
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

    private static int SizeOf(ValueKind kind) => kind switch
    {
        ValueKind.U8 or ValueKind.S8 => 1,
        ValueKind.U16 or ValueKind.S16 => 2,
        ValueKind.U32 or ValueKind.S32 or ValueKind.IPv4 => 4,
        ValueKind.U64 or ValueKind.S64 => 8,
        ValueKind.IPv6 => 16,
        _ => 0,
    };

    /// <summary>Decodes one scalar value. On a length fault returns the raw bytes and says why.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static object? DecodeScalar(ValueKind kind, ReadOnlySpan<byte> p, ByteOrder order, EnumTable? enums, FlagTable? flags, out string? reason)
    {
        reason = null;
        int need = SizeOf(kind);
        if (need > 0 && p.Length < need)
        {
            reason = $"{p.Length} bytes where {kind} needs {need}";
            return p.ToArray();
        }
        switch (kind)
        {
            case ValueKind.U8: return Named((ulong)p[0], p[0], enums, flags);
            case ValueKind.S8: return (sbyte)p[0];
            case ValueKind.U16: { var v = Endian.U16(p, order); return Named(v, v, enums, flags); }
            case ValueKind.S16: return (short)Endian.U16(p, order);
            case ValueKind.U32: { var v = Endian.U32(p, order); return Named(v, v, enums, flags); }
            case ValueKind.S32: { var v = (int)Endian.U32(p, order); return enums is not null ? Named((ulong)(uint)v, v, enums, null) : v; }
            case ValueKind.U64: { var v = Endian.U64(p, order); return Named(v, v, enums, flags); }
            case ValueKind.S64: return (long)Endian.U64(p, order);
            case ValueKind.Uint:
                if (p.Length == 4) { var v = Endian.U32(p, order); return Named(v, v, enums, flags); }
                if (p.Length == 8) { var v = Endian.U64(p, order); return Named(v, v, enums, flags); }
                reason = $"{p.Length} bytes where a u32 or u64 was expected";
                return p.ToArray();
            case ValueKind.Sint:
                if (p.Length == 4) return (int)Endian.U32(p, order);
                if (p.Length == 8) return (long)Endian.U64(p, order);
                reason = $"{p.Length} bytes where an s32 or s64 was expected";
                return p.ToArray();
            case ValueKind.Flag: return true;
            case ValueKind.String: return CString(p);
            case ValueKind.IPv4: return new IPAddress(p[..4]);
            case ValueKind.IPv6: return new IPAddress(p[..16]);
            case ValueKind.IpAddress:
                if (p.Length == 4 || p.Length == 16) return new IPAddress(p);
                return p.ToArray();
            case ValueKind.HardwareAddress: return HardwareAddress(p);
            case ValueKind.U32Array:
            {
                var values = new uint[p.Length / 4];
                for (int i = 0; i < values.Length; i++) values[i] = Endian.U32(p[(i * 4)..], order);
                return values;
            }
            default: return p.ToArray();
        }
    }

    private static object Named<T>(ulong raw, T value, EnumTable? enums, FlagTable? flags) where T : notnull
    {
        if (enums is not null) return enums.TryGetValue(raw, out var name) ? name : value;
        if (flags is not null) return flags.Names(raw);
        return value;
    }

    public static string CString(ReadOnlySpan<byte> p)
    {
        int end = p.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? p[..end] : p);
    }

    public static string HardwareAddress(ReadOnlySpan<byte> p)
    {
        var sb = new StringBuilder(p.Length * 3);
        for (int i = 0; i < p.Length; i++)
        {
            if (i > 0) sb.Append(':');
            sb.Append(p[i].ToString("x2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    internal static int ReadInt32(ReadOnlySpan<byte> p, ByteOrder order) =>
        order == ByteOrder.LittleEndian ? BinaryPrimitives.ReadInt32LittleEndian(p) : BinaryPrimitives.ReadInt32BigEndian(p);
}
