using BenchmarkDotNet.Attributes;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Bench;

/// <summary>
/// The engine alone, on real recorded traffic held in memory: split, walk, decode. "mix" is every fixture in
/// tests/fixtures (route, tc, nftables, conntrack, sockdiag, xfrm, genl, dropmon) and tests/fixtures/native,
/// interleaved record by record; a file name benchmarks that fixture alone. The Records/s, Messages/s,
/// Attributes/s and Alloc/msg columns divide by what one operation handles (see <see cref="Workload"/>).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(RateColumns.Config))]
public class EngineBenchmarks
{
    private Workload _work = null!;
    private readonly List<RawMessage> _raw = new();
    private readonly List<RawAttribute> _attributes = new();

    [Params("mix")]
    public string Fixture { get; set; } = "mix";

    [GlobalSetup]
    public void Setup() => _work = Workload.Load(Fixture);

    /// <summary>Records split into messages (nlmsghdr walk only).</summary>
    [Benchmark]
    public int Split()
    {
        int n = 0;
        foreach (var r in _work.Records)
        {
            _raw.Clear();
            NetlinkMessageSplitter.Split(r.Data, ByteOrder.LittleEndian, _raw);
            n += _raw.Count;
        }
        return n;
    }

    /// <summary>Every top-level attribute stream walked (TLV headers only, no values).</summary>
    [Benchmark]
    public int WalkAttributes()
    {
        int n = 0;
        foreach (var (data, offset) in _work.AttributeStreams)
        {
            _attributes.Clear();
            AttributeWalker.Walk(data, offset, ByteOrder.LittleEndian, _attributes);
            n += _attributes.Count;
        }
        return n;
    }

    /// <summary>Every message decoded to a NetlinkMessage: names resolved, the whole tree checked (IsMalformed exact, key
    /// material zeroed); values are made when first read.</summary>
    [Benchmark]
    public int Decode()
    {
        var decoder = new NetlinkDecoder();
        int n = 0;
        foreach (var r in _work.Records) n += Workload.Decode(decoder, r).Count;
        return n;
    }

    /// <summary>Every message decoded to a NetlinkMessage, and its Summary line built.</summary>
    [Benchmark]
    public int DecodeComplete()
    {
        var decoder = new NetlinkDecoder();
        int n = 0;
        foreach (var r in _work.Records)
            foreach (var m in Workload.Decode(decoder, r)) { n += m.Summary.Length > 0 ? 1 : 0; }
        return n;
    }

    /// <summary>As <see cref="DecodeComplete"/>, then every value of every field read (header, attributes at every depth, error).</summary>
    [Benchmark]
    public int DecodeAndReadAll()
    {
        var decoder = new NetlinkDecoder();
        int n = 0;
        foreach (var r in _work.Records)
            foreach (var m in Workload.Decode(decoder, r)) n += Workload.Touch(m) + (m.Summary.Length > 0 ? 1 : 0);
        return n;
    }
}

/// <summary>The records a benchmark runs over, and how many records, messages and attributes one pass handles.</summary>
internal sealed class Workload
{
    private static readonly Dictionary<string, Workload> Cache = new();

    public required List<NetlinkRecord> Records { get; init; }
    public required List<(ReadOnlyMemory<byte> Data, int Offset)> AttributeStreams { get; init; }
    public long Messages { get; init; }
    public long Attributes { get; init; }
    /// <summary>Top-level attributes: what <see cref="EngineBenchmarks.WalkAttributes"/> walks.</summary>
    public long TopLevelAttributes { get; init; }

    public static Workload Load(string fixture)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(fixture, out var cached)) return cached;
            var records = fixture == "mix" ? PcapFile.ReadMix(PcapFile.AllFixtures()) : PcapFile.ReadAll(Program.FixturePath(fixture));
            // Where each message's attributes start, from a full decode (the family header's size varies by type).
            var streams = new List<(ReadOnlyMemory<byte>, int)>();
            long messages = 0, attributes = 0, topLevel = 0;
            var decoder = new NetlinkDecoder();
            foreach (var r in records)
            {
                var raws = NetlinkMessageSplitter.Split(r.Data, ByteOrder.LittleEndian);
                var decoded = decoder.Decode(r);
                messages += decoded.Count;
                for (int i = 0; i < decoded.Count && i < raws.Count; i++)
                {
                    attributes += CountAttributes(decoded[i].Attributes);
                    topLevel += decoded[i].Attributes.Count;
                    if (decoded[i].Attributes.Count == 0) continue;
                    int start = decoded[i].Attributes[0].Offset;
                    if (start < raws[i].Bytes.Length) streams.Add((raws[i].Bytes[start..], start));
                }
            }
            return Cache[fixture] = new Workload { Records = records, AttributeStreams = streams, Messages = messages, Attributes = attributes, TopLevelAttributes = topLevel };
        }
    }

    /// <summary>Attributes at every depth (struct fields not counted, and structs not decoded to count them).</summary>
    public static long CountAttributes(NetlinkFields fields)
    {
        long n = 0;
        foreach (var f in fields)
        {
            if (f.Type < 0) continue;
            n++;
            if (f.Kind == ValueKind.Nested && f.Value is NetlinkFields nested) n += CountAttributes(nested);
            else if (f.Kind == ValueKind.NestedArray && f.Value is NetlinkFields[] array) foreach (var a in array) n += CountAttributes(a);
        }
        return n;
    }

    /// <summary>
    /// Reads every value of a message at every depth the way PowerShell does (ConvertTo-Json, Format-List, member
    /// access: through IDictionary, name to value).
    /// </summary>
    // One list for every record, as Get-NetlinkMessage decodes a file (the messages are handed on at once).
    [ThreadStatic] private static List<NetlinkMessage>? t_decoded;

    /// <summary>A record's messages, in a list reused for the next record.</summary>
    public static List<NetlinkMessage> Decode(NetlinkDecoder decoder, NetlinkRecord record)
    {
        var list = t_decoded ??= new List<NetlinkMessage>();
        list.Clear();
        decoder.Decode(record, null, list);
        return list;
    }

    public static int Touch(NetlinkMessage m)
    {
        int n = Touch(m.Header) + Touch(m.Attributes) + m.Bytes.Length + m.FlagNames.Length;
        if (m.Error is { } e) n += e.ErrorName.Length + (e.Request is { } req ? Touch(req) : 0) + (e.Policy is { } p ? Touch(p) : 0);
        return n;
    }

    public static int Touch(NetlinkFields fields)
    {
        int n = 0;
        foreach (System.Collections.DictionaryEntry entry in (System.Collections.IDictionary)fields) n += TouchValue(entry.Value);
        return n;
    }

    // Exact-type tests first, arrays apart: the harness's own dispatch should not weigh on the engine's figure.
    private static int TouchValue(object? value)
    {
        if (value is null) return 0;
        if (value is NetlinkFields nested) return Touch(nested);
        if (value is not Array) return 1;
        return value switch
        {
            NetlinkFields[] array => array.Sum(Touch),
            byte[] b => b.Length,
            object?[] repeated => repeated.Sum(TouchValue),
            _ => 1,
        };
    }
}
