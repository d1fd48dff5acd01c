using System.Buffers.Binary;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Bench;

/// <summary>Plain pcap reading and writing for the benchmarks, independent of libpcap so it costs next to nothing.</summary>
internal static class PcapFile
{
    /// <summary>Every record of a classic little-endian LINKTYPE_NETLINK pcap, held in memory.</summary>
    public static List<NetlinkRecord> ReadAll(string path) => Records(File.ReadAllBytes(path), path).ToList();

    /// <summary>
    /// The records of a pcap already in memory, made one by one as they are asked for: a reader that costs next to
    /// nothing and leaves no record objects behind for the collector to trace.
    /// </summary>
    public static IEnumerable<NetlinkRecord> Records(byte[] data, string path)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(data) != 0xa1b2c3d4 || BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(20)) != 253)
            throw new InvalidDataException($"{path}: not a little-endian microsecond LINKTYPE_NETLINK pcap");
        return Iterate(data, path);
    }

    private static IEnumerable<NetlinkRecord> Iterate(byte[] data, string path)
    {
        int offset = 24;
        long number = 0;
        while (offset + 16 <= data.Length)
        {
            uint sec = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset));
            uint usec = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(offset + 4));
            int caplen = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset + 8));
            if (offset + 16 + caplen > data.Length) break;
            var frame = data.AsMemory(offset + 16, caplen);
            offset += 16 + caplen;
            number++;
            if (caplen < 16) continue;
            yield return new NetlinkRecord(frame[16..], (NetlinkProtocol)BinaryPrimitives.ReadUInt16BigEndian(frame.Span[14..]))
            {
                Timestamp = DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(usec * 10),
                Source = path,
                RecordNumber = number,
            };
        }
    }

    /// <summary>
    /// The recorded traffic in <paramref name="sources"/> (files, or folders whose *.pcap are taken, not recursing),
    /// interleaved record by record so every protocol is spread over the whole stream (each source keeps its own
    /// order, so generic netlink ids are still learned before use). One round holds every record of every source once.
    /// </summary>
    public static List<NetlinkRecord> ReadMix(IEnumerable<string> sources)
    {
        var files = new List<string>();
        foreach (var s in sources)
        {
            if (Directory.Exists(s)) files.AddRange(Directory.GetFiles(s, "*.pcap").Order(StringComparer.Ordinal));
            else if (File.Exists(s)) files.Add(s);
            else throw new FileNotFoundException($"no capture at {s}");
        }
        if (files.Count == 0) throw new FileNotFoundException("no source captures given");
        var each = files.Select(ReadAll).ToList();
        var mix = new List<NetlinkRecord>(each.Sum(e => e.Count));
        for (int i = 0; mix.Count < mix.Capacity; i++)
            foreach (var records in each)
                if (i < records.Count) mix.Add(records[i]);
        return mix;
    }

    /// <summary>The fixtures every mixed benchmark uses: all of tests/fixtures/*.pcap and tests/fixtures/native/*.pcap.</summary>
    public static string[] AllFixtures()
    {
        var native = Program.FixturePath("kernel-link-addr.pcap");
        var nativeDir = Path.GetDirectoryName(native)!;
        return new[] { Path.GetDirectoryName(nativeDir)!, nativeDir };
    }

    /// <summary>
    /// Writes a large capture by repeating real records: timestamps keep rising and every round moves the sequence
    /// numbers on (requests, their replies and the requests echoed in ACKs alike; notifications keep seq 0), so
    /// the copy looks like a long real session rather than one record over and over.
    /// </summary>
    /// <returns>Messages and records written.</returns>
    public static (long Messages, long Records) MakeBig(IReadOnlyList<NetlinkRecord> records, string target, long wantMessages)
    {
        using var f = new BufferedStream(File.Create(target), 1 << 20);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 262144);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 253);
        f.Write(header);
        long messages = 0, written = 0;
        uint round = 0;
        long startMicros = (long)(DateTimeOffset.UtcNow.AddDays(-1) - DateTimeOffset.UnixEpoch).TotalMicroseconds;
        Span<byte> rec = stackalloc byte[32];
        var raws = new List<RawMessage>();
        byte[] bytes = new byte[65536];
        while (messages < wantMessages)
        {
            foreach (var r in records)
            {
                if (bytes.Length < r.Data.Length) bytes = new byte[r.Data.Length * 2];
                var data = bytes.AsSpan(0, r.Data.Length);
                r.Data.Span.CopyTo(data);
                raws.Clear();
                NetlinkMessageSplitter.Split(r.Data, ByteOrder.LittleEndian, raws);
                foreach (var m in raws)
                {
                    if (m.IsMalformed) continue;
                    Advance(data[(m.Offset + 8)..], round);
                    // An ACK or error echoes the request's header: move its sequence number the same way.
                    if (m.Header.Type == Nl.NLMSG_ERROR && m.Bytes.Length >= 20 + Nl.HeaderLength)
                        Advance(data[(m.Offset + 20 + 8)..], round);
                    messages++;
                }
                long micros = startMicros + written * 10;
                rec.Clear();
                BinaryPrimitives.WriteUInt32LittleEndian(rec, (uint)(micros / 1_000_000));
                BinaryPrimitives.WriteUInt32LittleEndian(rec[4..], (uint)(micros % 1_000_000));
                BinaryPrimitives.WriteUInt32LittleEndian(rec[8..], (uint)data.Length + 16);
                BinaryPrimitives.WriteUInt32LittleEndian(rec[12..], (uint)data.Length + 16);
                BinaryPrimitives.WriteUInt16BigEndian(rec[16..], 4);
                BinaryPrimitives.WriteUInt16BigEndian(rec[18..], 824);
                BinaryPrimitives.WriteUInt16BigEndian(rec[30..], (ushort)r.Protocol);
                f.Write(rec);
                f.Write(data);
                written++;
                if (messages >= wantMessages) break;
            }
            round++;
        }
        return (messages, written);

        static void Advance(Span<byte> seq, uint round)
        {
            uint s = BinaryPrimitives.ReadUInt32LittleEndian(seq);
            if (s != 0) BinaryPrimitives.WriteUInt32LittleEndian(seq, unchecked(s + round * 100_000));
        }
    }
}
