using NlmonPS.Decoding;
using Xunit;
namespace NlmonPS.Tests.Decoding;
public sealed class TcScratch
{
    [Fact]
    public void Dump()
    {
        var f = Environment.GetEnvironmentVariable("TC_DUMP");
        Assert.SkipWhen(string.IsNullOrEmpty(f), "scratch");
        using var w = new StreamWriter("/tmp/tcdump.txt");
        foreach (var m in Fixtures.Decode(f!))
        {
            w.WriteLine($"#{m.RecordNumber}.{m.Index} {m.Direction} {m.TypeName} [{string.Join(",", m.FlagNames)}] seq {m.Sequence} {(m.IsMalformed ? "MALFORMED " + m.MalformedReason : "")}");
            w.WriteLine("  hdr " + m.Header);
            w.WriteLine("  attrs " + m.Attributes);
            if (m.Error is { } e) w.WriteLine($"  error {e} req={e.Request?.Attributes}");
            w.WriteLine("  => " + m.Summary);
        }
    }
}
