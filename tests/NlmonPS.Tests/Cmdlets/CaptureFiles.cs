using System.Buffers.Binary;
using System.Text;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>
/// Builds capture files byte by byte for the hostile-input tests (any timestamp, header, snaplen, block layout), and
/// lists a pcap's raw records (link-layer header included) to compare exports with their inputs exactly.
/// </summary>
internal static class CaptureFiles
{
    public sealed record Frame(uint Seconds, uint Fraction, byte[] Bytes, uint? OriginalLength = null);

    /// <summary>A classic pcap: <paramref name="magic"/> a1b2c3d4 (µs) or a1b23c4d (ns), written in either byte order.</summary>
    public static byte[] Pcap(IEnumerable<Frame> frames, uint linkType = 253, uint magic = 0xa1b2c3d4, bool bigEndian = false, uint snaplen = 262144)
    {
        var o = new MemoryStream();
        void U32(uint v) { Span<byte> b = stackalloc byte[4]; if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v); o.Write(b); }
        void U16(ushort v) { Span<byte> b = stackalloc byte[2]; if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v); o.Write(b); }
        U32(magic); U16(2); U16(4); U32(0); U32(0); U32(snaplen); U32(linkType);
        foreach (var f in frames)
        {
            U32(f.Seconds); U32(f.Fraction); U32((uint)f.Bytes.Length); U32(f.OriginalLength ?? (uint)f.Bytes.Length);
            o.Write(f.Bytes);
        }
        return o.ToArray();
    }

    /// <summary>A netlink frame: nlmon's 16-byte header (or <paramref name="header"/>) and the messages.</summary>
    public static byte[] NetlinkFrame(byte[] messages, ushort protocol = 0, byte[]? header = null)
    {
        var frame = new byte[16 + messages.Length];
        if (header is not null) header.CopyTo(frame, 0);
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame, 4);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), 824);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), protocol);
        }
        messages.CopyTo(frame, 16);
        return frame;
    }

    /// <summary>A pcapng section with one interface (if_tsresol byte, if_tsoffset seconds, if_name) and enhanced packet blocks.</summary>
    public static byte[] Pcapng(IEnumerable<(ulong Timestamp, byte[] Bytes)> packets, byte tsresol = 6, long tsoffset = 0, string? name = null, ushort linkType = 253)
    {
        var o = new MemoryStream();
        void Block(uint type, byte[] body)
        {
            int length = 12 + (body.Length + 3) / 4 * 4;
            var b = new byte[length];
            BinaryPrimitives.WriteUInt32LittleEndian(b, type);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)length);
            body.CopyTo(b, 8);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(length - 4), (uint)length);
            o.Write(b);
        }
        byte[] Option(ushort code, byte[] value)
        {
            var b = new byte[4 + (value.Length + 3) / 4 * 4];
            BinaryPrimitives.WriteUInt16LittleEndian(b, code);
            BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), (ushort)value.Length);
            value.CopyTo(b, 4);
            return b;
        }
        var shb = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(shb, 0x1A2B3C4D);
        BinaryPrimitives.WriteUInt16LittleEndian(shb.AsSpan(4), 1);
        BinaryPrimitives.WriteInt64LittleEndian(shb.AsSpan(8), -1);
        Block(0x0A0D0D0A, shb);
        var idb = new List<byte>(new byte[8]);
        BinaryPrimitives.WriteUInt16LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(idb), linkType);
        idb.AddRange(Option(9, new[] { tsresol }));
        if (tsoffset != 0) idb.AddRange(Option(14, BitConverter.GetBytes(tsoffset)));
        if (name is not null) idb.AddRange(Option(2, Encoding.UTF8.GetBytes(name)));
        idb.AddRange(new byte[4]);
        Block(1, idb.ToArray());
        foreach (var (ts, bytes) in packets)
        {
            var epb = new byte[20 + bytes.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(4), (uint)(ts >> 32));
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(8), (uint)ts);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(12), (uint)bytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(16), (uint)bytes.Length);
            bytes.CopyTo(epb, 20);
            Block(6, epb);
        }
        return o.ToArray();
    }

    /// <summary>Every record of a little-endian µs pcap: its header fields and its whole frame.</summary>
    public static List<(uint Seconds, uint Micros, uint Length, byte[] Frame)> Records(string path)
    {
        var data = File.ReadAllBytes(path);
        var list = new List<(uint, uint, uint, byte[])>();
        for (int o = 24; o + 16 <= data.Length;)
        {
            uint caplen = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(o + 8));
            list.Add((BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(o)), BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(o + 4)),
                BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(o + 12)), data.AsSpan(o + 16, (int)caplen).ToArray()));
            o += 16 + (int)caplen;
        }
        return list;
    }

    /// <summary>One RTM_GETLINK request (a real message shape: ifinfomsg, no attributes).</summary>
    public static byte[] GetLink(uint seq = 1) => new NlmonPS.Wire.MessageBuilder(18, 0x301, seq).AddBytes(new byte[16]).ToArray();

    /// <summary>Raw pcapng blocks, little-endian.</summary>
    public sealed class Blocks
    {
        private readonly MemoryStream _o = new();

        public Blocks Block(uint type, byte[] body, uint? claimedLength = null)
        {
            int length = 12 + (body.Length + 3) / 4 * 4;
            var b = new byte[length];
            BinaryPrimitives.WriteUInt32LittleEndian(b, type);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), claimedLength ?? (uint)length);
            body.CopyTo(b, 8);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(length - 4), (uint)length);
            _o.Write(b);
            return this;
        }

        public Blocks Section(uint byteOrderMagic = 0x1A2B3C4D)
        {
            var shb = new byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(shb, byteOrderMagic);
            BinaryPrimitives.WriteUInt16LittleEndian(shb.AsSpan(4), 1);
            BinaryPrimitives.WriteInt64LittleEndian(shb.AsSpan(8), -1);
            return Block(0x0A0D0D0A, shb);
        }

        public Blocks Interface(ushort linkType)
        {
            var idb = new byte[8];
            BinaryPrimitives.WriteUInt16LittleEndian(idb, linkType);
            return Block(1, idb);
        }

        public Blocks Packet(uint iface, ulong microseconds, byte[] frame, uint? caplen = null, uint? original = null)
        {
            var epb = new byte[20 + frame.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(epb, iface);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(4), (uint)(microseconds >> 32));
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(8), (uint)microseconds);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(12), caplen ?? (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(16), original ?? (uint)frame.Length);
            frame.CopyTo(epb, 20);
            return Block(6, epb);
        }

        public byte[] ToArray() => _o.ToArray();
    }
}
