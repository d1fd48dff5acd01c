using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Every capture recorded through nlmon on Debian's stock kernels by kernel/record-fixtures.sh (6.1:
/// tests/fixtures/*.pcap; 6.12 from bookworm-backports: tests/fixtures/6.12/*.pcap): every message named, every
/// attribute at every depth named, nothing malformed.
/// </summary>
public class StockKernelCoverageTests
{
    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        var fixtures = Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures");
        foreach (var dir in new[] { fixtures, Path.Combine(fixtures, "6.12") })
            foreach (var f in Directory.EnumerateFiles(dir, "*.pcap").Order(StringComparer.Ordinal))
                data.Add(Path.GetRelativePath(fixtures, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void EveryMessageAndAttributeIsNamed(string capture)
    {
        var messages = Fixtures.Decode(ModuleLoader.Fixture(capture));
        Assert.NotEmpty(messages);
        var problems = new List<string>();
        foreach (var m in messages)
        {
            var where = $"record {m.RecordNumber}/{m.Index} {m.TypeName}";
            if (m.IsMalformed) problems.Add($"{where}: malformed: {m.MalformedReason}");
            if (m.TypeName.StartsWith("unknown", StringComparison.Ordinal) || m.Family?.StartsWith("genl(", StringComparison.Ordinal) == true)
                problems.Add($"{where}: unknown type");
            Unknown(m.Attributes, ".", where, problems);
            if (m.Error?.Request is { } request) Unknown(request.Attributes, "(echo).", where, problems);
        }
        Assert.True(problems.Count == 0, $"{problems.Count} problems in {capture}:\n" + string.Join("\n", problems.Take(40)));
    }

    private static void Unknown(NetlinkFields fields, string path, string where, List<string> problems)
    {
        foreach (var f in fields)
        {
            if (!f.IsKnown) problems.Add($"{where}: attribute {path}{f.Name}");
            switch (f.Value)
            {
                case NetlinkFields nested: Unknown(nested, $"{path}{f.Name}.", where, problems); break;
                case NetlinkFields[] array:
                    for (int i = 0; i < array.Length; i++) Unknown(array[i], $"{path}{f.Name}[{i}].", where, problems);
                    break;
            }
        }
    }
}
