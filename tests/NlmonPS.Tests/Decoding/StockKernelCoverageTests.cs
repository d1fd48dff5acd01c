using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Every capture recorded through nlmon on Debian's stock kernel (tests/fixtures/*.pcap, kernel/record-fixtures.sh):
/// every message named, every attribute at every depth named, nothing malformed.
/// </summary>
public class StockKernelCoverageTests
{
    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures"), "*.pcap").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
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
