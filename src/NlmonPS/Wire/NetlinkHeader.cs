using System.Runtime.CompilerServices;
namespace NlmonPS.Wire;

/// <summary>struct nlmsghdr.</summary>
internal readonly record struct NetlinkHeader(uint Length, ushort Type, ushort Flags, uint Sequence, uint PortId)
{
    public static NetlinkHeader Read(ReadOnlySpan<byte> s, ByteOrder o) =>
        new(Endian.U32(s, o), Endian.U16(s[4..], o), Endian.U16(s[6..], o), Endian.U32(s[8..], o), Endian.U32(s[12..], o));

    public void Write(Span<byte> s, ByteOrder o)
    {
        Endian.WriteU32(s, Length, o);
        Endian.WriteU16(s[4..], Type, o);
        Endian.WriteU16(s[6..], Flags, o);
        Endian.WriteU32(s[8..], Sequence, o);
        Endian.WriteU32(s[12..], PortId, o);
    }
}

/// <summary>One netlink message cut out of a buffer: where it starts, its header, its bytes, and what is wrong with it.</summary>
internal readonly record struct RawMessage(int Offset, NetlinkHeader Header, ReadOnlyMemory<byte> Bytes, string? MalformedReason)
{
    public bool IsMalformed => MalformedReason is not null;

    /// <summary>The bytes after the 16-byte header (empty when the message is too short to have any).</summary>
    public ReadOnlyMemory<byte> Payload => Bytes.Length > Nl.HeaderLength ? Bytes[Nl.HeaderLength..] : ReadOnlyMemory<byte>.Empty;
}

/// <summary>
/// Splits a buffer (a capture record, a socket read) into its netlink messages. Dump replies pack many
/// messages per buffer. Never throws: a fault becomes a malformed message naming the offset, and the walk
/// stops there because nothing after a bad length can be trusted.
/// </summary>
internal static class NetlinkMessageSplitter
{
    public static List<RawMessage> Split(ReadOnlyMemory<byte> buffer, ByteOrder order)
    {
        var messages = new List<RawMessage>(4);
        Split(buffer, order, messages);
        return messages;
    }

    public static void Split(ReadOnlyMemory<byte> buffer, ByteOrder order, List<RawMessage> into) => Split(buffer, order, into, 0, int.MaxValue);

    /// <summary>
    /// Splits from <paramref name="offset"/> on, at most <paramref name="max"/> messages: the offset to go on from, or
    /// -1 when the buffer is done. A record of millions of messages is read a part at a time in bounded memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Split(ReadOnlyMemory<byte> buffer, ByteOrder order, List<RawMessage> into, int offset, int max)
    {
        var span = buffer.Span;
        for (int taken = 0; offset < span.Length; taken++)
        {
            int left = span.Length - offset;
            // Zero bytes after the last message are padding: iproute2 sends whole request structs (nlmsg_len covers
            // only their start), and the kernel stops at a zero nlmsg_len without complaint.
            // (A buffer of nothing but zeros is no padding: it is reported below as a zero nlmsg_len.)
            if (offset > 0 && span[offset] == 0 && span[offset..].IndexOfAnyExcept((byte)0) < 0) return -1;
            if (taken == max) return offset;
            if (left < Nl.HeaderLength)
            {
                into.Add(new RawMessage(offset, default, buffer[offset..],
                    $"{left} trailing bytes at offset {offset} are too short for a netlink header (16 bytes)"));
                return -1;
            }

            var header = NetlinkHeader.Read(span[offset..], order);
            if (header.Length < Nl.HeaderLength)
            {
                into.Add(new RawMessage(offset, header, buffer.Slice(offset, Nl.HeaderLength),
                    $"nlmsg_len {header.Length} at offset {offset} is below the 16-byte header"));
                return -1;
            }
            if (header.Length > left)
            {
                into.Add(new RawMessage(offset, header, buffer[offset..],
                    $"nlmsg_len {header.Length} at offset {offset} runs past the end of the buffer ({left} bytes left)"));
                return -1;
            }

            into.Add(new RawMessage(offset, header, buffer.Slice(offset, (int)header.Length), null));
            offset += Math.Min(Nl.Align((int)header.Length), left);
        }
        return -1;
    }

    /// <summary>
    /// Guesses the payload byte order of a buffer: the order in which the chain of nlmsg_len values walks the
    /// buffer exactly. Falls back to <paramref name="fallback"/> when both or neither do.
    /// </summary>
    public static ByteOrder DetectByteOrder(ReadOnlySpan<byte> buffer, ByteOrder fallback)
    {
        // When the fallback's order walks, the answer is the fallback whatever the other does (both walking is
        // ambiguous, and ambiguity falls back too): one walk for nearly every record.
        var other = fallback == ByteOrder.LittleEndian ? ByteOrder.BigEndian : ByteOrder.LittleEndian;
        if (WalksExactly(buffer, fallback)) return fallback;
        return WalksExactly(buffer, other) ? other : fallback;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool WalksExactly(ReadOnlySpan<byte> buffer, ByteOrder order)
    {
        int offset = 0, count = 0;
        while (buffer.Length - offset >= Nl.HeaderLength)
        {
            uint len = Endian.U32(buffer[offset..], order);
            if (len < Nl.HeaderLength || len > buffer.Length - offset) return false;
            offset += Nl.Align((int)len);
            count++;
        }
        return count > 0 && (offset >= buffer.Length || buffer[offset..].IndexOfAnyExcept((byte)0) < 0);
    }
}
