using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Protocols.Route;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// The traffic-control tables against the installed uapi headers, compiled by the C compiler: every attribute
/// number (prefix + name is the constant), every struct size and the offset of every member the header names.
/// Constants newer than the headers (Debian 12 ships 6.1's) must be the known list below.
/// </summary>
public sealed class TcUapiTests
{
    /// <summary>Structs that grew after Linux 6.1 (the tables have the newer kernels' fields): their size in the headers.</summary>
    private static readonly Dictionary<string, int> GrownSinceHeaders = new(StringComparer.Ordinal)
    {
        ["tc_fq_qd_stats"] = 104,   // 6.7: fastpath_packets, band_drops[3], band_pkt_count[3] (152 bytes)
    };

    /// <summary>Attributes added after Linux 6.1 (numbers checked against newer kernels' headers by hand).</summary>
    private static readonly HashSet<string> NewerThanHeaders = new(StringComparer.Ordinal)
    {
        "TCA_MIRRED_BLOCKID", "TCA_FQ_PRIOMAP", "TCA_FQ_WEIGHTS", "TCA_FQ_OFFLOAD_HORIZON", "TCA_NETEM_PRNG_SEED",   // in the 6.12 fixture
        "TCA_FLOWER_L2_MISS", "TCA_FLOWER_KEY_CFM", "TCA_FLOWER_KEY_SPI", "TCA_FLOWER_KEY_SPI_MASK",
        "TCA_FLOWER_KEY_ENC_FLAGS", "TCA_FLOWER_KEY_ENC_FLAGS_MASK", "TCA_FLOWER_KEY_CFM_MD_LEVEL", "TCA_FLOWER_KEY_CFM_OPCODE",
    };

    private static readonly string[] HeaderFiles =
    {
        "/usr/include/linux/rtnetlink.h", "/usr/include/linux/pkt_sched.h", "/usr/include/linux/pkt_cls.h", "/usr/include/linux/gen_stats.h",
    };

    internal static IEnumerable<AttributeTable> Reachable(params AttributeTable[] roots)
    {
        var seen = new HashSet<AttributeTable>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<AttributeTable>(roots);
        while (pending.Count > 0)
        {
            var table = pending.Pop();
            if (!seen.Add(table)) continue;
            yield return table;
            foreach (var (_, spec) in table.Entries())
            {
                if (spec.Nested is { } nested) pending.Push(nested);
                foreach (var perKind in spec.NestedByKind?.Values ?? Enumerable.Empty<AttributeTable>()) pending.Push(perKind);
            }
        }
    }

    private static IEnumerable<StructSpec> Structs(IEnumerable<AttributeTable> tables)
    {
        var seen = new HashSet<StructSpec>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<StructSpec>();
        foreach (var table in tables)
            foreach (var (_, spec) in table.Entries())
            {
                if (spec.Struct is { } s) pending.Push(s);
                foreach (var perKind in spec.StructByKind?.Values ?? Enumerable.Empty<StructSpec>()) pending.Push(perKind);
            }
        while (pending.Count > 0)
        {
            var s = pending.Pop();
            if (!seen.Add(s)) continue;
            yield return s;
            foreach (var f in s) if (f.Struct is { } inner) pending.Push(inner);
        }
    }

    private static string Headers()
    {
        var files = HeaderFiles.Concat(Directory.GetFiles("/usr/include/linux/tc_act", "*.h"));
        return string.Concat(files.Select(File.ReadAllText));
    }

    [Fact]
    public void NumbersAndStructsMatchTheHeaders()
    {
        Assert.SkipUnless(File.Exists("/usr/include/linux/pkt_cls.h") && Which("gcc") is not null, "needs gcc and the uapi headers");
        var text = Headers();
        var tables = Reachable(TcTables.Tc, TcTables.ActionRoot).ToList();
        var c = new StringBuilder("#include <stddef.h>\n#include <linux/rtnetlink.h>\n#include <linux/pkt_sched.h>\n#include <linux/pkt_cls.h>\n#include <linux/gen_stats.h>\n");
        foreach (var h in Directory.GetFiles("/usr/include/linux/tc_act", "*.h").Order(StringComparer.Ordinal))
            c.Append("#include <linux/tc_act/").Append(Path.GetFileName(h)).Append(">\n");

        var missing = new List<string>();
        int constants = 0;
        foreach (var table in tables.Where(t => t.UapiPrefix is not null))
            foreach (var (type, spec) in table.Entries())
            {
                var constant = table.UapiPrefix + (spec.UapiName ?? spec.Name.ToUpperInvariant());
                if (!Regex.IsMatch(text, $@"\b{constant}\b")) { missing.Add(constant); continue; }
                c.Append($"_Static_assert({constant} == {type}, \"{table.Name}: {constant} is not {type}\");\n");
                constants++;
            }

        int structs = 0;
        foreach (var s in Structs(tables))
        {
            var body = Regex.Match(text, $@"struct {s.Name} \{{(?<body>.*?)\}};", RegexOptions.Singleline);
            if (!body.Success) continue;
            structs++;
            int size = GrownSinceHeaders.GetValueOrDefault(s.Name, s.Size);
            c.Append($"_Static_assert(sizeof(struct {s.Name}) == {size}, \"sizeof(struct {s.Name}) is not {size}\");\n");
            var members = body.Groups["body"].Value;
            bool gen = members.Contains("tc_gen", StringComparison.Ordinal);
            foreach (var f in s)
            {
                bool named = Regex.IsMatch(members, $@"\b{f.Name}\b") || gen && f.Name is "index" or "capab" or "action" or "refcnt" or "bindcnt";
                if (named)
                    c.Append($"_Static_assert(offsetof(struct {s.Name}, {f.Name}) == {f.Offset}, \"{s.Name}.{f.Name} is not at {f.Offset}\");\n");
            }
        }

        var source = Path.Combine(Path.GetTempPath(), $"nlmonps-tc-uapi-{Environment.ProcessId}.c");
        File.WriteAllText(source, c.ToString());
        try
        {
            var (exit, output) = Run("gcc", $"-fsyntax-only -x c {source}");
            Assert.True(exit == 0, output);
        }
        finally { File.Delete(source); }

        Assert.True(constants > 300, $"only {constants} constants checked");
        Assert.True(structs > 40, $"only {structs} structs checked");
        Assert.Equal(NewerThanHeaders.Order(StringComparer.Ordinal), missing.Order(StringComparer.Ordinal));
    }

    /// <summary>The names are the constants' suffixes, lower case: a table never holds a name twice.</summary>
    [Fact]
    public void NamesAreUniqueWithinEachTable()
    {
        foreach (var table in Reachable(TcTables.Tc, TcTables.ActionRoot))
        {
            var duplicates = table.Entries().GroupBy(e => e.Spec.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicates.Count == 0, $"{table.Name}: {string.Join(", ", duplicates)}");
            Assert.All(table.Entries(), e => Assert.Equal(e.Spec.Name.ToLowerInvariant(), e.Spec.Name));
        }
    }

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static (int Exit, string Output) Run(string file, string arguments)
    {
        using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
