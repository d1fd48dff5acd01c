// Hot paths carry AggressiveOptimization: a capture is decoded in one long pass, and tiered JIT would run it
// unoptimised for most of the file (measured: 3.5x slower on 100k messages). They are also jitted so in pwsh.
using System.Runtime.CompilerServices;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>
/// Makes values: the one place where value kinds become numbers, names, addresses and nested sets. Every
/// protocol goes through it, through the tables.
/// </summary>
internal static class AttributeDecoder
{
    /// <summary>An attribute stream of a message as a set that decodes itself when read.</summary>
    public static NetlinkFields DecodeAttributes(AttributeTable? table, NetlinkMessage message, int start, int length, int depth = 0) =>
        new(FieldLevel.Attributes(message, table, start, length, depth));

    /// <summary>A fixed struct of a message as a set that decodes itself when read (a short struct is reported).</summary>
    public static NetlinkFields DecodeStruct(StructSpec spec, NetlinkMessage message, int start, int length) =>
        new(FieldLevel.OfStruct(message, spec, start, length));

    /// <summary>What is wrong with a scalar of this length, or null.</summary>
    internal static string? ScalarFault(ValueKind kind, int length)
    {
        int need = FieldLevels.SizeOf(kind);
        if (need > 0 && length < need) return $"{length} bytes where {kind} needs {need}";
        return kind switch
        {
            ValueKind.Uint when length is not (4 or 8) => $"{length} bytes where a u32 or u64 was expected",
            ValueKind.Sint when length is not (4 or 8) => $"{length} bytes where an s32 or s64 was expected",
            _ => null,
        };
    }

    /// <summary>
    /// Decodes one scalar value; the raw bytes when their length is wrong for the kind (the fault itself is
    /// <see cref="ScalarFault"/>'s, reported when the message is checked).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static object? DecodeScalar(ValueKind kind, ReadOnlySpan<byte> p, ByteOrder order, EnumTable? enums, FlagTable? flags)
    {
        int need = FieldLevels.SizeOf(kind);
        if (need > 0 && p.Length < need) return p.ToArray();
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
                return p.ToArray();
            case ValueKind.Sint:
                if (p.Length == 4) return (int)Endian.U32(p, order);
                if (p.Length == 8) return (long)Endian.U64(p, order);
                return p.ToArray();
            case ValueKind.Flag: return true;
            case ValueKind.String: return CString(p);
            case ValueKind.IPv4: return new IPAddress(p[..4]);
            case ValueKind.IPv6: return new IPAddress(p[..16]);
            case ValueKind.IpAddress:
                if (p.Length == 4 || p.Length == 16) return new IPAddress(p);
                return p.ToArray();
            case ValueKind.HardwareAddress: return HardwareAddress(p);
            case ValueKind.MplsLabels:
            {
                // Each entry is label << 12 | tc << 9 | bos << 8 | ttl, always big-endian.
                var labels = new uint[p.Length / 4];
                for (int i = 0; i < labels.Length; i++) labels[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(p[(i * 4)..]) >> 12;
                return labels;
            }
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
        if (enums is not null) return enums.TryGetValue(raw, out var name) ? name : Box(value);
        if (flags is not null) return flags.Names(raw);
        return Box(value);
    }

    // Small numbers (indexes, lengths, counts, booleans as u8) are most of the values: boxed once, shared.
    private static readonly object[] SmallU32 = Enumerable.Range(0, 1024).Select(i => (object)(uint)i).ToArray();
    private static readonly object[] SmallU16 = Enumerable.Range(0, 1024).Select(i => (object)(ushort)i).ToArray();
    private static readonly object[] SmallU8 = Enumerable.Range(0, 256).Select(i => (object)(byte)i).ToArray();
    private static readonly object[] SmallU64 = Enumerable.Range(0, 1024).Select(i => (object)(ulong)i).ToArray();

    private static object Box<T>(T value) where T : notnull => value switch
    {
        uint u when u < 1024 => SmallU32[u],
        ushort u when u < 1024 => SmallU16[u],
        byte b => SmallU8[b],
        ulong u when u < 1024 => SmallU64[u],
        _ => value,
    };

    public static string CString(ReadOnlySpan<byte> p)
    {
        int end = p.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? p[..end] : p);
    }

    /// <summary>aa:bb:cc:dd:ee:ff, made in one string (every link message has two or three).</summary>
    public static string HardwareAddress(ReadOnlySpan<byte> p)
    {
        if (p.IsEmpty) return "";
        Span<char> text = p.Length <= 64 ? stackalloc char[p.Length * 3 - 1] : new char[p.Length * 3 - 1];
        for (int i = 0; i < p.Length; i++)
        {
            if (i > 0) text[i * 3 - 1] = ':';
            text[i * 3] = HexDigits[p[i] >> 4];
            text[i * 3 + 1] = HexDigits[p[i] & 0xf];
        }
        return new string(text);
    }

    private const string HexDigits = "0123456789abcdef";

    internal static int ReadInt32(ReadOnlySpan<byte> p, ByteOrder order) =>
        order == ByteOrder.LittleEndian ? BinaryPrimitives.ReadInt32LittleEndian(p) : BinaryPrimitives.ReadInt32BigEndian(p);
}
