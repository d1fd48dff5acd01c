using System.Diagnostics;
using BenchmarkDotNet.Running;
using NlmonPS.Bench;
using NlmonPS.Decoding;

// NlmonPS.Bench engine [BenchmarkDotNet args]      BenchmarkDotNet engine benchmarks
// NlmonPS.Bench make-capture <source> <target> <n>  a big capture of at least n messages from real records
// NlmonPS.Bench decode <file>                       decodes every message of a file to a complete object; prints rates

switch (args.FirstOrDefault())
{
    case "make-capture":
        long made = PcapFile.MakeBig(args[1], args[2], long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
        Console.WriteLine($"{made} messages written to {args[2]}");
        return 0;
    case "decode":
    {
        var clock = Stopwatch.StartNew();
        var records = PcapFile.ReadAll(args[1]);
        var read = clock.Elapsed;
        var decoder = new NetlinkDecoder();
        long messages = 0, attributes = 0;
        long allocated = GC.GetTotalAllocatedBytes(true);
        clock.Restart();
        foreach (var r in records)
            foreach (var m in decoder.Decode(r)) { messages++; attributes += m.Attributes.Count; _ = m.Summary; }
        var decode = clock.Elapsed;
        allocated = GC.GetTotalAllocatedBytes(true) - allocated;
        Console.WriteLine($"records {records.Count} messages {messages} attributes {attributes} read {read.TotalSeconds:F3}s decode {decode.TotalSeconds:F3}s");
        Console.WriteLine($"records/s {records.Count / decode.TotalSeconds:F0} messages/s {messages / decode.TotalSeconds:F0} attributes/s {attributes / decode.TotalSeconds:F0} bytes-allocated/message {allocated / Math.Max(1, messages)}");
        return 0;
    }
    default:
        BenchmarkSwitcher.FromAssembly(typeof(EngineBenchmarks).Assembly).Run(args.Skip(args.FirstOrDefault() == "engine" ? 1 : 0).ToArray());
        return 0;
}

namespace NlmonPS.Bench
{
    internal static partial class Program
    {
        public static string FixturePath(string name)
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "native", name);
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException($"fixture {name} not found above {AppContext.BaseDirectory}");
        }
    }
}
