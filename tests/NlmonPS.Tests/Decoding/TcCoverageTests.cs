using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>Everything in the tc fixtures decodes: known types, known attributes all the way down, nothing malformed.</summary>
public sealed class TcCoverageTests
{
    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        foreach (var name in TcFixture.Native) data.Add(name + ".pcap");
        // Recorded through nlmon on a stock 6.1 kernel (with matchall, flower, fq_codel, gact...) when available.
        if (File.Exists(TcFixture.Path("tc-nlmon-6.1.pcap"))) data.Add("tc-nlmon-6.1.pcap");
        return data;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void EveryMessageAndAttributeIsKnown(string capture)
    {
        var messages = TcFixture.Messages(capture);
        Assert.NotEmpty(messages);
        Assert.Contains(messages, TcFixture.IsTc);
        foreach (var m in messages)
        {
            var where = $"{capture} record {m.RecordNumber}.{m.Index} {m.TypeName}";
            Assert.False(m.IsMalformed, $"{where}: {m.MalformedReason}");
            Assert.DoesNotContain("unknown", m.TypeName, StringComparison.Ordinal);
            Assert.DoesNotContain("RESERVED", m.TypeName, StringComparison.Ordinal);
            AssertKnown(m.Attributes, where);
            if (m.Error?.Request is { } request)
            {
                Assert.False(request.IsMalformed, $"{where} echoed request: {request.MalformedReason}");
                AssertKnown(request.Attributes, where + " echoed request");
            }
        }
    }

    /// <summary>Every tc message gets a real summary, not the generic "TYPE seq N" fallback, and none throws.</summary>
    [Theory]
    [MemberData(nameof(Captures))]
    public void EveryTcMessageHasASummary(string capture)
    {
        foreach (var m in TcFixture.Messages(capture).Where(TcFixture.IsTc))
        {
            Assert.False(string.IsNullOrWhiteSpace(m.Summary));
            Assert.DoesNotContain($"{m.TypeName} seq", m.Summary, StringComparison.Ordinal);
            Assert.DoesNotContain("RTM_", m.Summary, StringComparison.Ordinal);
        }
    }

    internal static void AssertKnown(NetlinkFields fields, string where)
    {
        foreach (var f in fields)
        {
            Assert.True(f.IsKnown, $"{where}: {f.Name} (type {f.Type}) at offset {f.Offset}");
            Assert.Null(f.MalformedReason);
            switch (f.Value)
            {
                case NetlinkFields nested: AssertKnown(nested, $"{where}.{f.Name}"); break;
                case NetlinkFields[] array:
                    for (int i = 0; i < array.Length; i++) AssertKnown(array[i], $"{where}.{f.Name}[{i}]");
                    break;
            }
        }
    }
}
