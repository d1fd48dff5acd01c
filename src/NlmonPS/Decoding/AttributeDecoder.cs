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
    public static NetlinkFields DecodeAttributes(AttributeTable? table, ReadOnlyMemory<byte> data, int baseOffset, DecodeContext ctx, int depth = 0)
    {
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

    private static NetlinkField DecodeAttribute(AttributeTable? table, RawAttribute a, List<RawAttribute> siblings, DecodeContext ctx, int depth)
    {
        var spec = table?[a.Type];
        int length = a.Payload.Length + Nl.AttributeHeaderLength;
        int payloadOffset = a.Offset + Nl.AttributeHeaderLength;
        if (spec is null)
        {
            // Unknown: keep number and bytes. A nest flagged by the sender is still walked so its insides show.
            object? unknownValue = a.IsNested && depth < 32
                ? DecodeAttributes(null, a.Payload, payloadOffset, ctx, depth + 1)
                : a.Payload.ToArray();
            return new NetlinkField($"unknown_{a.Type}", unknownValue, a.Type, a.Offset, length, a.IsNested ? ValueKind.Nested : ValueKind.Binary);
        }

        var order = a.IsNetByteOrder || spec.NetworkOrder ? ByteOrder.BigEndian : ctx.Order;
        string? reason = null;
        object? value;
        switch (spec.Kind)
        {
            case ValueKind.Nested:
                if (depth >= 32) { value = a.Payload.ToArray(); reason = $"nesting deeper than 32 at offset {a.Offset}"; break; }
                if (spec.NestedByKind is not null || spec.StructByKind is not null)
                {
                    var kind = SiblingString(siblings, spec.SelectorAttribute);
                    if (kind is not null && spec.StructByKind?.TryGetValue(kind, out var perKindStruct) == true)
                    {
                        value = DecodeStruct(perKindStruct, a.Payload.Span, payloadOffset, ctx, out reason);
                        break;
                    }
                    AttributeTable? perKind = null;
                    if (kind is not null) spec.NestedByKind?.TryGetValue(kind, out perKind);
                    value = DecodeAttributes(perKind, a.Payload, payloadOffset, ctx, depth + 1);
                    break;
                }
                value = DecodeAttributes(spec.Nested, a.Payload, payloadOffset, ctx, depth + 1);
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

    /// <summary>Decodes a fixed struct. Fields that do not fit in a short buffer are left out and reported.</summary>
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
