using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests;

/// <summary>
/// Writes a fixture's decoded messages as text, to read while writing tests (explicit: never part of a normal run):
/// `NlmonPS.Tests -method NlmonPS.Tests.FixtureDump.Dump -explicit only` with NLMONPS_DUMP_IN (a pcap) and
/// NLMONPS_DUMP_OUT; NLMONPS_REVEAL=1 shows key material.
/// </summary>
public static class FixtureDump
{
    [Fact(Explicit = true)]
    public static void Dump()
    {
        var input = Environment.GetEnvironmentVariable("NLMONPS_DUMP_IN");
        var output = Environment.GetEnvironmentVariable("NLMONPS_DUMP_OUT");
        Assert.True(input is not null && output is not null, "set NLMONPS_DUMP_IN and NLMONPS_DUMP_OUT");
        var reveal = Environment.GetEnvironmentVariable("NLMONPS_REVEAL") == "1";
        using var w = new StreamWriter(output!);
        foreach (var m in Fixtures.Decode(input!, new DecodeOptions { RevealSecrets = reveal }))
        {
            w.WriteLine($"#{m.RecordNumber}.{m.Index} {m.Direction} {m.Protocol} {m.TypeName} flags [{string.Join(",", m.FlagNames)}] seq {m.Sequence} len {m.Length}{(m.IsMalformed ? " MALFORMED " + m.MalformedReason : "")}");
            w.WriteLine($"  summary: {m.Summary}");
            if (m.Header.Count > 0) w.WriteLine($"  header: {m.Header}");
            if (m.Error?.Request is { } r) w.WriteLine($"  request: {r.TypeName} {r.Attributes}");
            Write(w, m.Attributes, "  ");
        }

        static void Write(StreamWriter w, NetlinkFields fields, string indent)
        {
            foreach (var f in fields)
            {
                switch (f.Value)
                {
                    case NetlinkFields nested:
                        w.WriteLine($"{indent}{f.Name}:");
                        Write(w, nested, indent + "  ");
                        break;
                    case NetlinkFields[] array:
                        for (int i = 0; i < array.Length; i++)
                        {
                            w.WriteLine($"{indent}{f.Name}[{i}]:");
                            Write(w, array[i], indent + "  ");
                        }
                        break;
                    default:
                        w.WriteLine($"{indent}{f}");
                        break;
                }
            }
        }
    }
}
