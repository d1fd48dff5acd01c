using System.Buffers.Binary;

namespace NlmonPS.Wire;

/// <summary>Byte order of netlink payload. It is the capturing host's, independent of the capture file's own.</summary>
public enum ByteOrder
{
    LittleEndian,
    BigEndian,
}

/// <summary>Bounds-checked integer reads in a chosen byte order. Callers check lengths first.</summary>
internal static class Endian
{
    public static ByteOrder Host => BitConverter.IsLittleEndian ? ByteOrder.LittleEndian : ByteOrder.BigEndian;

    public static ushort U16(ReadOnlySpan<byte> s, ByteOrder o) =>
        o == ByteOrder.LittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);

    public static uint U32(ReadOnlySpan<byte> s, ByteOrder o) =>
        o == ByteOrder.LittleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);

    public static ulong U64(ReadOnlySpan<byte> s, ByteOrder o) =>
        o == ByteOrder.LittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(s) : BinaryPrimitives.ReadUInt64BigEndian(s);

    public static void WriteU16(Span<byte> s, ushort v, ByteOrder o)
    {
        if (o == ByteOrder.LittleEndian) BinaryPrimitives.WriteUInt16LittleEndian(s, v); else BinaryPrimitives.WriteUInt16BigEndian(s, v);
    }

    public static void WriteU32(Span<byte> s, uint v, ByteOrder o)
    {
        if (o == ByteOrder.LittleEndian) BinaryPrimitives.WriteUInt32LittleEndian(s, v); else BinaryPrimitives.WriteUInt32BigEndian(s, v);
    }

    public static ByteOrder Swap(this ByteOrder o) => o == ByteOrder.LittleEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian;
}
