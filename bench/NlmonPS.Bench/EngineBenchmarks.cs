using BenchmarkDotNet.Attributes;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Bench;

/// <summary>The engine alone, on real recorded traffic held in memory: split, walk, decode.</summary>
[MemoryDiagnoser]
public class EngineBenchmarks
{
    private List<NetlinkRecord> _records = null!;
    private readonly List<RawMessage> _raw = new();
    private readonly List<RawAttribute> _attributes = new();

    [Params("kernel-link-addr.pcap")]
    public string Fixture { get; set; } = "";

    [GlobalSetup]
    public void Setup() => _records = PcapFile.ReadAll(Program.FixturePath(Fixture));

    /// <summary>Records split into messages (nlmsghdr walk only).</summary>
    [Benchmark]
    public int Split()
    {
        int n = 0;
        foreach (var r in _records)
        {
            _raw.Clear();
            NetlinkMessageSplitter.Split(r.Data, ByteOrder.LittleEndian, _raw);
            n += _raw.Count;
        }
        return n;
    }

    /// <summary>Every top-level attribute walked (no values).</summary>
    [Benchmark]
    public int WalkAttributes()
    {
        int n = 0;
        foreach (var r in _records)
        {
            _raw.Clear();
            NetlinkMessageSplitter.Split(r.Data, ByteOrder.LittleEndian, _raw);
            foreach (var m in _raw)
            {
                if (m.Payload.Length <= 16) continue;
                _attributes.Clear();
                AttributeWalker.Walk(m.Payload[16..], 32, ByteOrder.LittleEndian, _attributes);
                n += _attributes.Count;
            }
        }
        return n;
    }

    /// <summary>Every message decoded to a complete NetlinkMessage (header, attributes, error, summary).</summary>
    [Benchmark]
    public int DecodeComplete()
    {
        var decoder = new NetlinkDecoder();
        int n = 0;
        foreach (var r in _records)
            foreach (var m in decoder.Decode(r)) { n += m.Summary.Length > 0 ? 1 : 0; }
        return n;
    }
}
