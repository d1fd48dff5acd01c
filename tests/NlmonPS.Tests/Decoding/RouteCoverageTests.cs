using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Every rtnetlink message of every route fixture decodes fully: a known type name, a known name for every attribute
/// at every depth, nothing malformed. Native fixtures are recorded here (tests/fixtures/native/route-*.pcap); nlmon
/// captures from a stock kernel may sit beside them (tests/fixtures/route-*.pcap).
/// </summary>
public class RouteCoverageTests
{
    public static IEnumerable<string> RouteFixtures()
    {
        var root = Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures");
        return Directory.GetFiles(root, "route-*.pcap", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p)).Order(StringComparer.Ordinal);
    }

    public static TheoryData<string> Fixtures => new(RouteFixtures());

    [Fact]
    public void NativeFixturesArePresent() =>
        Assert.True(RouteFixtures().Count(f => f.StartsWith("native", StringComparison.Ordinal)) >= 10, "tests/fixtures/native/route-*.pcap missing: run tests/fixtures/native/record-route.sh");

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void EveryMessageAndAttributeIsKnown(string fixture)
    {
        var messages = global::NlmonPS.Tests.Fixtures.Decode(ModuleLoader.Fixture(fixture));
        Assert.NotEmpty(messages);
        var problems = new List<string>();
        foreach (var m in messages.Where(m => m.Protocol == NetlinkProtocol.Route))
        {
            var where = $"record {m.RecordNumber} #{m.Index} {m.TypeName}";
            if (m.TypeName.StartsWith("unknown", StringComparison.Ordinal) || m.TypeName.StartsWith("NLMSG_RESERVED", StringComparison.Ordinal))
                problems.Add($"{where}: unknown type {m.Type}");
            if (m.IsMalformed) problems.Add($"{where}: malformed: {m.MalformedReason}");
            foreach (var path in UnknownFields(m.Header, "header").Concat(UnknownFields(m.Attributes, "")))
                problems.Add($"{where}: {path}");
            if (m.Error?.Request is { } echoed)
                foreach (var path in UnknownFields(echoed.Attributes, "request"))
                    problems.Add($"{where}: {path}");
            if (string.IsNullOrEmpty(m.Summary)) problems.Add($"{where}: no summary");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems.Distinct().Take(60)));
    }

    /// <summary>Paths of fields named unknown_N, at any depth.</summary>
    public static IEnumerable<string> UnknownFields(NetlinkFields fields, string path)
    {
        foreach (var f in fields)
        {
            var here = path.Length == 0 ? f.Name : $"{path}.{f.Name}";
            if (!f.IsKnown) yield return $"{here} ({NetlinkFields.Format(f.Value)})";
            switch (f.Value)
            {
                case NetlinkFields nested:
                    foreach (var p in UnknownFields(nested, here)) yield return p;
                    break;
                case NetlinkFields[] array:
                    for (int i = 0; i < array.Length; i++)
                        foreach (var p in UnknownFields(array[i], $"{here}[{i}]")) yield return p;
                    break;
            }
        }
    }
}
