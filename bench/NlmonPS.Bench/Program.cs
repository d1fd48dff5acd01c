using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using NlmonPS.Bench;
using NlmonPS.Capture;
using NlmonPS.Decoding;

// NlmonPS.Bench engine [BenchmarkDotNet args]            BenchmarkDotNet engine benchmarks (mix of every fixture)
// NlmonPS.Bench make-capture [--min-bytes N] <target> <n> [source...]   a capture of at least n messages repeating real records
//                                                         (default sources: every fixture, interleaved)
// NlmonPS.Bench decode [--reader] [--all] [--no-summary] [--passes N] <file>          reads the file into memory, then decodes every message to a
//                                                         complete object and builds its Summary; prints the engine's
//                                                         rates and, last, "wall S cpu S" of that phase. --reader
//                                                         streams through NetlinkCaptureReader (libpcap) as
//                                                         Get-NetlinkMessage does; --all also reads every value at
//                                                         every depth (what a JSON dump of the object would);
//                                                         --no-summary leaves the Summary line unbuilt; --passes N
//                                                         decodes the file N-1 times first (warm-up, timed to stderr)
// NlmonPS.Bench read <file>                               reading alone, through NetlinkCaptureReader
// NlmonPS.Bench phases [rounds] [phase...]                CPU per message of split / decode / summary / read-all (each phase, its name quoted)
// NlmonPS.Bench stats [file]                              what the workload is made of
// NlmonPS.Bench allocations [--all] [--no-summary]      which types the decode allocates
// NlmonPS.Bench summary-costs [--walked] [rounds]        where Summary time goes: ns per line by protocol and type

switch (args.FirstOrDefault())
{
    case "make-capture":
    {
        // --min-bytes N keeps only the source records of at least N bytes: the mix of large messages (rtnetlink dumps
        // with statistics, nftables rule sets) that bench/pipelines.sh runs beside the whole mix.
        int minBytes = 0;
        if (args.Length > 2 && args[1] == "--min-bytes") { minBytes = int.Parse(args[2], CultureInfo.InvariantCulture); args = args[2..]; }
        if (args.Length < 3) { Console.Error.WriteLine("usage: make-capture [--min-bytes N] <target> <messages> [source...]"); return 2; }
        var sources = args.Length > 3 ? args[3..] : PcapFile.AllFixtures();
        var mix = PcapFile.ReadMix(sources).Where(r => r.Data.Length >= minBytes).ToList();
        if (mix.Count == 0) { Console.Error.WriteLine($"no source record has {minBytes} bytes or more"); return 2; }
        var (messages, records) = PcapFile.MakeBig(mix, args[1], long.Parse(args[2], CultureInfo.InvariantCulture));
        Console.WriteLine($"{messages} messages in {records} records written to {args[1]} (from {mix.Count} real records: {string.Join(" ", sources)})");
        return 0;
    }
    case "stats":
    {
        // What the workload is made of: fields per message, by value type.
        var records = args.Length > 1 ? PcapFile.ReadAll(args[1]) : PcapFile.ReadMix(PcapFile.AllFixtures());
        var decoder = new NetlinkDecoder();
        long messages = 0, fields = 0, structFields = 0, nests = 0;
        var byType = new Dictionary<string, long>();
        var byProtocol = new Dictionary<string, long>();
        foreach (var r in records)
            foreach (var m in decoder.Decode(r))
            {
                messages++;
                byProtocol[$"{m.Protocol} {m.TypeName}"] = byProtocol.GetValueOrDefault($"{m.Protocol} {m.TypeName}") + 1;
                Walk(m.Header); Walk(m.Attributes);
                if (m.Error?.Request is { } q) { Walk(q.Header); Walk(q.Attributes); }
            }
        Console.WriteLine($"records {records.Count} messages {messages}: per message {fields / (double)messages:F1} fields " +
                          $"({structFields / (double)messages:F1} struct fields, {(fields - structFields) / (double)messages:F1} attributes), {nests / (double)messages:F1} field sets");
        foreach (var (k, v) in byType.OrderByDescending(x => x.Value)) Console.WriteLine($"  value {k}: {v / (double)messages:F2} per message");
        foreach (var (k, v) in byProtocol.OrderByDescending(x => x.Value).Take(25)) Console.WriteLine($"  {k}: {v * 100.0 / messages:F1}%");
        return 0;

        void Walk(NetlinkFields set)
        {
            nests++;
            foreach (var f in set)
            {
                fields++;
                if (f.Type < 0) structFields++;
                var t = f.Value?.GetType().Name ?? "null";
                byType[t] = byType.GetValueOrDefault(t) + 1;
                if (f.Value is NetlinkFields n) Walk(n);
                else if (f.Value is NetlinkFields[] a) foreach (var x in a) Walk(x);
            }
        }
    }
    case "phases":
    {
        // CPU time per message of each phase over the fixture mix held in memory (best of several runs: the machine is shared).
        var records = Environment.GetEnvironmentVariable("NLMONPS_BENCH_FILE") is { Length: > 0 } phaseFile
            ? PcapFile.ReadAll(phaseFile) : PcapFile.ReadMix(PcapFile.AllFixtures());
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
        var raws = new List<NlmonPS.Wire.RawMessage>();
        long messages = 0;
        foreach (var r in records) messages += NlmonPS.Wire.NetlinkMessageSplitter.Split(r.Data, NlmonPS.Wire.ByteOrder.LittleEndian).Count;
        var phases = new (string Name, Action Run)[]
        {
            ("split", () => { foreach (var r in records) { raws.Clear(); NlmonPS.Wire.NetlinkMessageSplitter.Split(r.Data, NlmonPS.Wire.ByteOrder.LittleEndian, raws); } }),
            ("decode", () => { var d = new NetlinkDecoder(); foreach (var r in records) Workload.Decode(d, r); }),
            ("decode+summary", () => { var d = new NetlinkDecoder(); foreach (var r in records) foreach (var m in Workload.Decode(d, r)) _ = m.Summary; }),
            ("decode+read all", () => { var d = new NetlinkDecoder(); foreach (var r in records) foreach (var m in Workload.Decode(d, r)) Workload.Touch(m); }),
            ("decode+summary+read all", () => { var d = new NetlinkDecoder(); foreach (var r in records) foreach (var m in Workload.Decode(d, r)) { _ = m.Summary; Workload.Touch(m); } }),
        };
        var self = Process.GetCurrentProcess();
        foreach (var (name, run) in phases)
        {
            if (args.Length > 2 && !args[2..].Contains(name)) continue;
            for (int i = 0; i < 3; i++) run();
            double best = double.MaxValue;
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            long perMessage = (GC.GetAllocatedBytesForCurrentThread() - before) / messages;
            for (int rep = 0; rep < 10; rep++)
            {
                self.Refresh();
                var cpu = self.TotalProcessorTime;
                for (int i = 0; i < rounds; i++) run();
                self.Refresh();
                best = Math.Min(best, (self.TotalProcessorTime - cpu).TotalSeconds);
            }
            Console.WriteLine($"{name,-26} {best * 1e9 / (messages * rounds),8:F0} ns/message CPU  ({messages * rounds / best / 1e6:F2} M messages/s, {perMessage} B allocated/message)");
        }
        return 0;
    }
    case "allocations":
    {
        // Which types the decode allocates, sampled by the runtime every ~100 KB (GCAllocationTick).
        var records = PcapFile.ReadMix(PcapFile.AllFixtures());
        var decoder = new NetlinkDecoder();
        for (int warm = 0; warm < 3; warm++) foreach (var r in records) foreach (var m in decoder.Decode(r)) _ = m.Summary;
        using var listener = new AllocationListener();
        bool all = args.Contains("--all"), bare = args.Contains("--no-summary");
        for (int round = 0; round < 20; round++)
            foreach (var r in records)
                foreach (var m in decoder.Decode(r)) { if (!bare) _ = m.Summary; if (all) Workload.Touch(m); }
        long total = listener.Bytes.Values.Sum();
        foreach (var (type, bytes) in listener.Bytes.OrderByDescending(x => x.Value).Take(30))
            Console.WriteLine($"{bytes * 100.0 / total,6:F1}%  {type}");
        return 0;
    }
    case "summary-costs":
    {
        // The Summary line of every message of the fixture mix, timed one by one and grouped by protocol and type
        // (each decoded fresh, so the line is built, not cached; the first read of the attributes is in it).
        bool walked = args.Contains("--walked");   // the top-level attributes listed first, outside the timing
        int rounds = args.Length > 1 && int.TryParse(args[^1], out var n) ? n : 20;
        var records = PcapFile.ReadMix(PcapFile.AllFixtures());
        var costs = new Dictionary<string, (long Ticks, long Count)>();
        long totalTicks = 0, totalCount = 0;
        for (int round = -3; round < rounds; round++)
        {
            var decoder = new NetlinkDecoder();
            foreach (var r in records)
                foreach (var m in decoder.Decode(r))
                {
                    if (walked) _ = m.Attributes.Count;
                    long start = Stopwatch.GetTimestamp();
                    _ = m.Summary;
                    long ticks = Stopwatch.GetTimestamp() - start;
                    if (round < 0) continue;
                    var key = $"{m.Protocol} {m.TypeName}";
                    costs[key] = costs.TryGetValue(key, out var c) ? (c.Ticks + ticks, c.Count + 1) : (ticks, 1);
                    totalTicks += ticks;
                    totalCount++;
                }
        }
        double ns = 1e9 / Stopwatch.Frequency;
        Console.WriteLine($"{totalTicks * ns / totalCount,8:F0} ns a line on average, {totalCount / rounds} lines a round");
        foreach (var (key, c) in costs.OrderByDescending(x => x.Value.Ticks).Take(40))
            Console.WriteLine($"{c.Ticks * 100.0 / totalTicks,6:F1}%  {c.Ticks * ns / c.Count,8:F0} ns  {c.Count / rounds,6}  {key}");
        return 0;
    }
    case "read":
    {
        // Reading alone, through NetlinkCaptureReader (libpcap), as Get-NetlinkMessage reads.
        var clock = Stopwatch.StartNew();
        long records = 0, bytes = 0;
        using (var reader = NetlinkCaptureReader.Open(args[1]))
            while (reader.ReadNext() is { } record) { records++; bytes += record.Data.Length; }
        Console.WriteLine($"records {records} bytes {bytes} read {clock.Elapsed.TotalSeconds:F3}s records/s {records / clock.Elapsed.TotalSeconds:F0}");
        return 0;
    }
    case "decode":
    {
        // decode [--reader] [--all] <file>
        bool streaming = args.Contains("--reader"), all = args.Contains("--all"), summary = !args.Contains("--no-summary");
        string file = args[^1];
        long messages = 0, records = 0, malformed = 0;
        var decoder = new NetlinkDecoder();
        var self = Process.GetCurrentProcess();
        // In memory: the file's bytes, records made as the decoder asks (no reader cost, nothing held per record).
        byte[]? held = streaming ? null : File.ReadAllBytes(file);
        long allocated = GC.GetTotalAllocatedBytes(true);
        var gcPause = GC.GetTotalPauseDuration();
        var gcs = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2));
        self.Refresh();
        var cpu = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        if (held is null)
        {
            using var reader = NetlinkCaptureReader.Open(file);
            var decoded = new List<NetlinkMessage>();
            while (reader.ReadNext() is { } record)
            {
                records++;
                decoded.Clear();
                decoder.Decode(record, null, decoded);
                foreach (var m in decoded) Use(m);
            }
        }
        else
        {
            // --passes N: N-1 passes first, each timed to stderr (the warm-up a long capture pays once), then the timed one.
            int passes = args.SkipWhile(a => a != "--passes").Skip(1).Select(int.Parse).FirstOrDefault(1);
            for (int pass = 1; pass < passes; pass++)
            {
                var passClock = Stopwatch.StartNew();
                self.Refresh();
                var passCpu = self.TotalProcessorTime;
                var warm = new NetlinkDecoder();
                foreach (var r in PcapFile.Records(held, file)) foreach (var m in warm.Decode(r)) { if (summary) _ = m.Summary; if (all) Workload.Touch(m); }
                self.Refresh();
                Console.Error.WriteLine($"pass {pass}: wall {passClock.Elapsed.TotalSeconds:F3} cpu {(self.TotalProcessorTime - passCpu).TotalSeconds:F3}");
            }
            allocated = GC.GetTotalAllocatedBytes(true);
            gcPause = GC.GetTotalPauseDuration();
            gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            self.Refresh();
            cpu = self.TotalProcessorTime;
            clock.Restart();
            var decoded = new List<NetlinkMessage>();   // as Get-NetlinkMessage reads a file: one list for every record
            foreach (var r in PcapFile.Records(held, file))
            {
                records++;
                decoded.Clear();
                decoder.Decode(r, null, decoded);
                foreach (var m in decoded) Use(m);
            }
        }
        var wall = clock.Elapsed.TotalSeconds;
        self.Refresh();
        var cpuSeconds = (self.TotalProcessorTime - cpu).TotalSeconds;
        allocated = GC.GetTotalAllocatedBytes(true) - allocated;
        string what = (streaming ? "read (libpcap) + decode" : "decode (records in memory)") + (summary ? " + summary" : "") + (all ? " + every value read" : "");
        Console.WriteLine($"records {records} messages {messages} malformed {malformed}: {what}");
        Console.WriteLine($"messages/s {messages / wall:F0} (cpu: {messages / cpuSeconds:F0}), records/s {records / wall:F0}, allocated/message {allocated / Math.Max(1, messages)} B");
        Console.WriteLine($"garbage collections {GC.CollectionCount(0) - gcs.Gen0}/{GC.CollectionCount(1) - gcs.Gen1}/{GC.CollectionCount(2) - gcs.Gen2} (gen 0/1/2), paused {(GC.GetTotalPauseDuration() - gcPause).TotalSeconds:F3} s");
        if (held is not null)
        {
            // Attributes at every depth, counted in a second pass outside the timing.
            long attributes = 0;
            var counter = new NetlinkDecoder();
            foreach (var r in PcapFile.Records(held, file)) foreach (var m in counter.Decode(r)) attributes += Workload.CountAttributes(m.Attributes);
            Console.WriteLine($"attributes {attributes}, attributes/s {attributes / wall:F0} (cpu: {attributes / cpuSeconds:F0})");
        }
        Console.WriteLine($"wall {wall:F3} cpu {cpuSeconds:F3}");
        return 0;

        void Use(NetlinkMessage m)
        {
            messages++;
            if (m.IsMalformed) malformed++;
            if (summary) _ = m.Summary;
            if (all) Workload.Touch(m);
        }
    }
    default:
    {
        // Every engine benchmark unless told otherwise (BenchmarkDotNet would ask on the console).
        var bdnArgs = args.Skip(args.FirstOrDefault() == "engine" ? 1 : 0).ToList();
        if (!bdnArgs.Contains("--filter") && !bdnArgs.Contains("--list")) bdnArgs.AddRange(new[] { "--filter", "*" });
        BenchmarkSwitcher.FromAssembly(typeof(EngineBenchmarks).Assembly).Run(bdnArgs.ToArray());
        return 0;
    }
}

namespace NlmonPS.Bench
{
    internal static partial class Program
    {
        public static string FixturePath(string name)
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                foreach (var sub in new[] { "native", "" })
                {
                    var candidate = Path.Combine(dir.FullName, "tests", "fixtures", sub, name);
                    if (File.Exists(candidate)) return candidate;
                }
            }
            throw new FileNotFoundException($"fixture {name} not found above {AppContext.BaseDirectory}");
        }
    }
}
