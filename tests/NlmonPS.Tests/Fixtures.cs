using System.Buffers.Binary;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Tests;

/// <summary>
/// Reads classic pcap fixtures without going through the module's capture layer, so decoder tests stand on
/// their own: LINKTYPE_NETLINK (253) records, 16-byte cooked header (protocol at bytes 14-15, big-endian).
/// </summary>
internal static class Fixtures
{
    public static IEnumerable<NetlinkRecord> ReadNetlinkPcap(string path)
    {
        var data = File.ReadAllBytes(path);
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        bool little = magic is 0xa1b2c3d4 or 0xa1b23c4d;
        bool nano = magic is 0xa1b23c4d or 0x4d3cb2a1;
        uint U32(int o) => little ? BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(o)) : BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(o));
        if (U32(20) != 253) throw new InvalidDataException($"{path}: link type {U32(20)}, not LINKTYPE_NETLINK");
        int offset = 24;
        long number = 0;
        while (offset + 16 <= data.Length)
        {
            uint sec = U32(offset), frac = U32(offset + 4), caplen = U32(offset + 8);
            offset += 16;
            if (offset + caplen > data.Length) yield break;
            var record = data.AsMemory(offset, (int)caplen);
            offset += (int)caplen;
            number++;
            if (caplen < 16) continue;
            var protocol = (NetlinkProtocol)BinaryPrimitives.ReadUInt16BigEndian(record.Span[14..]);
            yield return new NetlinkRecord(record[16..], protocol)
            {
                Timestamp = DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(nano ? frac / 100 : frac * 10),
                Source = Path.GetFileName(path),
                RecordNumber = number,
            };
        }
    }

    /// <summary>Every message of a fixture, decoded in order by one decoder (so nlctrl ids are learned).</summary>
    public static List<NetlinkMessage> Decode(string path, DecodeOptions? options = null)
    {
        var decoder = new NetlinkDecoder(options);
        return ReadNetlinkPcap(path).SelectMany(decoder.Decode).ToList();
    }

    /// <summary>Writes records as a LINKTYPE_NETLINK pcap (for recording native fixtures).</summary>
    public static void WriteNetlinkPcap(string path, IEnumerable<(DateTimeOffset Time, NetlinkProtocol Protocol, byte[] Data)> records)
    {
        using var f = File.Create(path);
        Span<byte> g = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(g, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(g[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(g[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(g[16..], 262144);
        BinaryPrimitives.WriteUInt32LittleEndian(g[20..], 253);
        f.Write(g);
        Span<byte> h = stackalloc byte[32];
        foreach (var (time, protocol, payload) in records)
        {
            h.Clear();
            long us = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
            BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)(us / 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(us % 1_000_000));
            BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)payload.Length + 16);
            BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)payload.Length + 16);
            BinaryPrimitives.WriteUInt16BigEndian(h[16..], 4);      // packet type: outgoing, as nlmon writes
            BinaryPrimitives.WriteUInt16BigEndian(h[18..], 824);    // ARPHRD_NETLINK
            BinaryPrimitives.WriteUInt16BigEndian(h[30..], (ushort)protocol);
            f.Write(h);
            f.Write(payload);
        }
    }
}
