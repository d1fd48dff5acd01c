using System.Runtime.CompilerServices;
namespace NlmonPS.Wire;

/// <summary>One netlink attribute (struct nlattr) as found on the wire.</summary>
public readonly record struct RawAttribute(ushort Type, bool IsNested, bool IsNetByteOrder, int Offset, ReadOnlyMemory<byte> Payload);

/// <summary>
/// The one TLV walker every family uses. Offsets are relative to the start of the enclosing message so an
/// extended-ACK offset can be matched to an attribute. Never throws: an overrun stops the walk and is reported.
/// </summary>
public static class AttributeWalker
{
    /// <param name="data">The attribute stream.</param>
    /// <param name="baseOffset">Offset of <paramref name="data"/> within its message.</param>
    /// <returns>null when the stream is well formed, otherwise why it is not (naming the offset).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string? Walk(ReadOnlyMemory<byte> data, int baseOffset, ByteOrder order, List<RawAttribute> into)
    {
        var span = data.Span;
        int offset = 0;
        while (offset < span.Length)
        {
            int left = span.Length - offset;
            if (left < Nl.AttributeHeaderLength)
                return $"{left} stray bytes at offset {baseOffset + offset} are too short for an attribute header";
            ushort len = Endian.U16(span[offset..], order);
            ushort rawType = Endian.U16(span[(offset + 2)..], order);
            if (len < Nl.AttributeHeaderLength)
                return $"attribute type {rawType & Nl.NLA_TYPE_MASK} at offset {baseOffset + offset} has length {len}, below its 4-byte header";
            if (len > left)
                return $"attribute type {rawType & Nl.NLA_TYPE_MASK} at offset {baseOffset + offset} has length {len} but only {left} bytes remain";
            into.Add(new RawAttribute(
                (ushort)(rawType & Nl.NLA_TYPE_MASK),
                (rawType & Nl.NLA_F_NESTED) != 0,
                (rawType & Nl.NLA_F_NET_BYTEORDER) != 0,
                baseOffset + offset,
                data.Slice(offset + Nl.AttributeHeaderLength, len - Nl.AttributeHeaderLength)));
            offset += Math.Min(Nl.Align(len), left);
        }
        return null;
    }

    /// <summary>Whether a payload parses completely as an attribute stream (used to tell nested sets from raw bytes).</summary>
    public static bool LooksLikeAttributes(ReadOnlySpan<byte> span, ByteOrder order)
    {
        if (span.Length < Nl.AttributeHeaderLength) return false;
        int offset = 0;
        while (offset < span.Length)
        {
            int left = span.Length - offset;
            if (left < Nl.AttributeHeaderLength) return false;
            ushort len = Endian.U16(span[offset..], order);
            if (len < Nl.AttributeHeaderLength || len > left) return false;
            offset += Math.Min(Nl.Align(len), left);
        }
        return true;
    }
}
