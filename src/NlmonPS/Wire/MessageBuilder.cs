using System.Buffers.Binary;
using System.Text;

namespace NlmonPS.Wire;

/// <summary>
/// Builds one netlink message in host byte order: header, family header, attributes, nests.
/// Used by the kernel clients (rtnetlink, genetlink) and by tests.
/// </summary>
internal sealed class MessageBuilder
{
    private byte[] _buffer = new byte[256];
    private int _length = Nl.HeaderLength;
    private readonly Stack<int> _nests = new();

    public MessageBuilder(ushort type, ushort flags, uint sequence = 0, uint portId = 0)
    {
        Type = type; Flags = flags; Sequence = sequence; PortId = portId;
    }

    public ushort Type { get; }
    public ushort Flags { get; set; }
    public uint Sequence { get; set; }
    public uint PortId { get; set; }

    private Span<byte> Grow(int count)
    {
        int needed = Nl.Align(_length + count);
        if (needed > _buffer.Length) Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
        var span = _buffer.AsSpan(_length, Nl.Align(count));
        span.Clear();
        _length += Nl.Align(count);
        return span[..count];
    }

    /// <summary>Appends raw bytes (a family header such as ifinfomsg), padded to 4 bytes.</summary>
    public MessageBuilder AddBytes(ReadOnlySpan<byte> bytes) { bytes.CopyTo(Grow(bytes.Length)); return this; }

    public MessageBuilder AddAttribute(ushort type, ReadOnlySpan<byte> payload)
    {
        int start = _length;
        var span = Grow(Nl.AttributeHeaderLength + payload.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(Nl.AttributeHeaderLength + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(span[2..], type);
        payload.CopyTo(span[4..]);
        if (!BitConverter.IsLittleEndian) SwapHeader(start);
        return this;
    }

    public MessageBuilder AddU8(ushort type, byte v) => AddAttribute(type, stackalloc byte[] { v });
    public MessageBuilder AddU16(ushort type, ushort v) { Span<byte> b = stackalloc byte[2]; BitConverter.TryWriteBytes(b, v); return AddAttribute(type, b); }
    public MessageBuilder AddU32(ushort type, uint v) { Span<byte> b = stackalloc byte[4]; BitConverter.TryWriteBytes(b, v); return AddAttribute(type, b); }
    public MessageBuilder AddU64(ushort type, ulong v) { Span<byte> b = stackalloc byte[8]; BitConverter.TryWriteBytes(b, v); return AddAttribute(type, b); }
    public MessageBuilder AddFlag(ushort type) => AddAttribute(type, ReadOnlySpan<byte>.Empty);

    public MessageBuilder AddString(ushort type, string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return AddAttribute(type, bytes);
    }

    /// <summary>Opens a nested attribute; close it with <see cref="EndNest"/>.</summary>
    public MessageBuilder BeginNest(ushort type)
    {
        _nests.Push(_length);
        AddAttribute((ushort)(type | Nl.NLA_F_NESTED), ReadOnlySpan<byte>.Empty);
        return this;
    }

    public MessageBuilder EndNest()
    {
        int start = _nests.Pop();
        BitConverter.TryWriteBytes(_buffer.AsSpan(start), (ushort)(_length - start));
        return this;
    }

    private void SwapHeader(int start)
    {
        var s = _buffer.AsSpan(start);
        BinaryPrimitives.WriteUInt16BigEndian(s, BinaryPrimitives.ReadUInt16LittleEndian(s));
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], BinaryPrimitives.ReadUInt16LittleEndian(s[2..]));
    }

    public byte[] ToArray()
    {
        if (_nests.Count != 0) throw new InvalidOperationException("A nested attribute was not closed.");
        new NetlinkHeader((uint)_length, Type, Flags, Sequence, PortId).Write(_buffer, Endian.Host);
        return _buffer.AsSpan(0, _length).ToArray();
    }
}
