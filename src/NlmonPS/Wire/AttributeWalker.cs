using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace NlmonPS.Wire;

/// <summary>One netlink attribute (struct nlattr) as found on the wire.</summary>
internal readonly record struct RawAttribute(ushort Type, bool IsNested, bool IsNetByteOrder, int Offset, ReadOnlyMemory<byte> Payload);

/// <summary>One attribute header as a walk step read it: where it is in its stream and how long it is.</summary>
internal readonly struct AttributeHeader
{
    public AttributeHeader(ushort rawType, int offset, int length) { RawType = rawType; Offset = offset; Length = length; }
    public ushort RawType { get; }
    public ushort Type => (ushort)(RawType & Nl.NLA_TYPE_MASK);
    public bool IsNested => (RawType & Nl.NLA_F_NESTED) != 0;
    public bool IsNetByteOrder => (RawType & Nl.NLA_F_NET_BYTEORDER) != 0;
    /// <summary>Offset of the header within the stream.</summary>
    public int Offset { get; }
    /// <summary>nla_len: header and payload, without the padding.</summary>
    public int Length { get; }
    public int PayloadOffset => Offset + Nl.AttributeHeaderLength;
    public int PayloadLength => Length - Nl.AttributeHeaderLength;
}

/// <summary>
/// The one TLV walker every family uses: <see cref="TryNext"/> is the step (header, length checks, fault texts,
/// alignment), and everything that walks attributes (this class's list, the decoder's levels and checks) goes
/// through it. Offsets are relative to the start of the enclosing message so an extended-ACK offset can be matched
/// to an attribute. Never throws: an overrun stops the walk and is reported.
/// </summary>
internal static class AttributeWalker
{
    /// <summary>
    /// Reads the attribute at <paramref name="offset"/> and moves past it. False at the end of the stream, or at a
    /// fault, when <paramref name="fault"/> says why naming the offset (<paramref name="baseOffset"/> is the stream's
    /// offset in its message); nothing after a bad length can be trusted, so the walk stops there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryNext(ReadOnlySpan<byte> stream, ref int offset, int baseOffset, ByteOrder order, out AttributeHeader attribute, out string? fault)
    {
        attribute = default;
        fault = null;
        int left = stream.Length - offset;
        if (left < Nl.AttributeHeaderLength)
        {
            if (left > 0) fault = StrayBytes(left, baseOffset + offset);
            return false;
        }
        // One read for the header's two halves: this step runs for every attribute of every message.
        uint word = BinaryPrimitives.ReadUInt32LittleEndian(stream.Slice(offset, Nl.AttributeHeaderLength));
        ushort len, rawType;
        if (order == ByteOrder.LittleEndian) (len, rawType) = ((ushort)word, (ushort)(word >> 16));
        else (len, rawType) = (BinaryPrimitives.ReverseEndianness((ushort)word), BinaryPrimitives.ReverseEndianness((ushort)(word >> 16)));
        if (len < Nl.AttributeHeaderLength || len > left)
        {
            fault = BadLength(rawType, baseOffset + offset, len, left);
            return false;
        }
        attribute = new AttributeHeader(rawType, offset, len);
        offset += Math.Min(Nl.Align(len), left);
        return true;
    }

    // The fault texts, out of line: the step above is inlined into every walk.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string StrayBytes(int left, int at) => $"{left} stray bytes at offset {at} are too short for an attribute header";

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string BadLength(ushort rawType, int at, ushort len, int left) => len < Nl.AttributeHeaderLength
        ? $"attribute type {rawType & Nl.NLA_TYPE_MASK} at offset {at} has length {len}, below its 4-byte header"
        : $"attribute type {rawType & Nl.NLA_TYPE_MASK} at offset {at} has length {len} but only {left} bytes remain";

    /// <param name="data">The attribute stream.</param>
    /// <param name="baseOffset">Offset of <paramref name="data"/> within its message.</param>
    /// <returns>null when the stream is well formed, otherwise why it is not (naming the offset).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? Walk(ReadOnlyMemory<byte> data, int baseOffset, ByteOrder order, List<RawAttribute> into)
    {
        var span = data.Span;
        int offset = 0;
        string? fault;
        while (TryNext(span, ref offset, baseOffset, order, out var a, out fault))
            into.Add(new RawAttribute(a.Type, a.IsNested, a.IsNetByteOrder, baseOffset + a.Offset, data.Slice(a.PayloadOffset, a.PayloadLength)));
        return fault;
    }

    /// <summary>Whether a payload parses completely as an attribute stream (used to tell nested sets from raw bytes).</summary>
    public static bool LooksLikeAttributes(ReadOnlySpan<byte> span, ByteOrder order)
    {
        if (span.Length < Nl.AttributeHeaderLength) return false;
        int offset = 0;
        string? fault;
        while (TryNext(span, ref offset, 0, order, out _, out fault)) { }
        return fault is null;
    }

    /// <summary>The payload of the first attribute of a type in a stream, as far as the stream is well formed.</summary>
    public static bool TryFind(ReadOnlySpan<byte> stream, int type, ByteOrder order, out ReadOnlySpan<byte> payload)
    {
        int offset = 0;
        while (TryNext(stream, ref offset, 0, order, out var a, out _))
            if (a.Type == type) { payload = stream.Slice(a.PayloadOffset, a.PayloadLength); return true; }
        payload = default;
        return false;
    }
}
