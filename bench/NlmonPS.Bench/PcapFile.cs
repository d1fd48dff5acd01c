using System.Buffers.Binary;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Bench;

/// <summary>Plain pcap reading and writing for the benchmarks, independent of libpcap so it costs next to nothing.</summary>
internal static class PcapFile
{
    public static List<NetlinkRecord> ReadAll(string path)
    {
        var data = File.ReadAllBytes(path);
        var records = new List<NetlinkRecord>();
        int offset = 24;
        while (offset + 16 <= data.Length)
        {
            uint sec = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));
            uint usec = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 4));
            int caplen = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset + 8));
            var frame = data.AsMemory(offset + 16, caplen);
            offset += 16 + caplen;
            records.Add(new NetlinkRecord(frame[16..], (NetlinkProtocol)BinaryPrimitives.ReadUInt16BigEndian(frame.Span[14..]))
            {
                Timestamp = DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(usec * 10),
            });
        }
        return records;
    }

    /// <summary>
    /// Writes a large capture by repeating real records: timestamps keep rising and every message gets a fresh
    /// sequence number, so the copy looks like a long real session rather than one record over and over.
    /// </summary>
    public static long MakeBig(string source, string target, long wantMessages)
    {
        var records = ReadAll(source);
        using var f = new BufferedStream(File.Create(target), 1 << 20);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 262144);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 253);
        f.Write(header);
        long messages = 0, round = 0;
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        Span<byte> rec = stackalloc byte[32];
        while (messages < wantMessages)
        {
            foreach (var r in records)
            {
                var bytes = r.Data.ToArray();
                foreach (var m in NetlinkMessageSplitter.Split(bytes, ByteOrder.LittleEndian))
                {
                    if (m.IsMalformed) continue;
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(m.Offset + 8), (uint)(m.Header.Sequence + round * 1000));
                    messages++;
                }
                long micros = (long)(start - DateTimeOffset.UnixEpoch).TotalMicroseconds + messages * 10;
                rec.Clear();
                BinaryPrimitives.WriteUInt32LittleEndian(rec, (uint)(micros / 1_000_000));
                BinaryPrimitives.WriteUInt32LittleEndian(rec[4..], (uint)(micros % 1_000_000));
                BinaryPrimitives.WriteUInt32LittleEndian(rec[8..], (uint)bytes.Length + 16);
                BinaryPrimitives.WriteUInt32LittleEndian(rec[12..], (uint)bytes.Length + 16);
                BinaryPrimitives.WriteUInt16BigEndian(rec[16..], 4);
                BinaryPrimitives.WriteUInt16BigEndian(rec[18..], 824);
                BinaryPrimitives.WriteUInt16BigEndian(rec[30..], (ushort)r.Protocol);
                f.Write(rec);
                f.Write(bytes);
                if (messages >= wantMessages) break;
            }
            round++;
        }
        return messages;
    }
}
