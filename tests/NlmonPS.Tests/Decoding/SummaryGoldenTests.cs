using System.Security.Cryptography;
using System.Text;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Every fixture message's Summary line, pinned: Summaries.approved.txt holds the line of each message of every
/// capture under tests/fixtures (decoded in order by one decoder, as Get-NetlinkMessage reads the file), and the
/// -RevealSecrets line where it differs. Mutated copies of the same records (seeded bit flips, cut records, extreme
/// length fields, both byte orders) are pinned by one hash of their lines, so a change to how summaries are built
/// (they are speed-tuned) cannot change a character of what users see, malformed input included. On a difference
/// the test writes Summaries.received.txt beside the approved file, and the mutated records' lines in
/// Summaries.mutated.received.txt; review them and copy the first over the approved file when the change is meant.
/// </summary>
public sealed class SummaryGoldenTests
{
    private static readonly string Root = Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures");

    private static IEnumerable<string> Captures() =>
        Directory.EnumerateFiles(Root, "*.pcap", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    /// <summary>The fixtures' lines: "file #record.index summary", and "  reveal: ..." under one that -RevealSecrets changes.</summary>
    private static void FixtureLines(StringBuilder sb)
    {
        foreach (var file in Captures())
        {
            var plain = Fixtures.Decode(Path.Combine(Root, file));
            var revealed = Fixtures.Decode(Path.Combine(Root, file), new DecodeOptions { RevealSecrets = true });
            Assert.Equal(plain.Count, revealed.Count);
            for (int i = 0; i < plain.Count; i++)
            {
                sb.Append(file).Append(" #").Append(plain[i].RecordNumber).Append('.').Append(plain[i].Index)
                    .Append(' ').Append(plain[i].Summary).Append('\n');
                if (revealed[i].Summary != plain[i].Summary) sb.Append("  reveal: ").Append(revealed[i].Summary).Append('\n');
            }
        }
    }

    private static readonly ushort[] Extremes = { 0, 1, 3, 4, 5, 0x7fff, 0xffff, 0x8000, 0x4000 };

    /// <summary>Each record of every fixture, mutated four ways by a fixed seed, decoded alone in both byte orders.</summary>
    private static void MutatedLines(StringBuilder sb)
    {
        var options = new[] { new DecodeOptions(), new DecodeOptions { RevealSecrets = true, ByteOrder = ByteOrder.BigEndian } };
        foreach (var file in Captures())
        {
            var random = new Random(file.Length * 7919 + file[0]);
            foreach (var record in Fixtures.ReadNetlinkPcap(Path.Combine(Root, file)))
            {
                var original = record.Data.ToArray();
                if (original.Length == 0) continue;
                var flipped = (byte[])original.Clone();
                for (int k = random.Next(1, 9); k > 0; k--) flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                var extreme = (byte[])original.Clone();
                BitConverter.TryWriteBytes(extreme.AsSpan(random.Next(Math.Max(1, original.Length / 2)) * 2 & ~1), Extremes[random.Next(Extremes.Length)]);
                var cut = original[..random.Next(original.Length + 1)];
                var spliced = original[..random.Next(original.Length + 1)].Concat(Enumerable.Range(0, random.Next(65)).Select(_ => (byte)random.Next(256))).ToArray();
                foreach (var mutated in new[] { flipped, extreme, cut, spliced })
                    foreach (var o in options)
                        foreach (var m in new NetlinkDecoder(o).Decode(new NetlinkRecord(mutated, record.Protocol)))
                            sb.Append(file).Append(" #").Append(record.RecordNumber).Append('.').Append(m.Index)
                                .Append(' ').Append(m.Summary).Append('\n');
            }
        }
    }

    [Fact]
    public void EveryFixtureMessagesSummaryIsTheApprovedOne()
    {
        var fixtures = new StringBuilder();
        FixtureLines(fixtures);
        var mutated = new StringBuilder();
        MutatedLines(mutated);
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(mutated.ToString()))).ToLowerInvariant();
        string text = $"# mutated records' summaries, SHA-256: {hash}\n{fixtures}";

        string approvedPath = Path.Combine(ModuleLoader.RepoRoot, "tests", "NlmonPS.Tests", "Decoding", "Summaries.approved.txt");
        string approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (text == approved) return;
        string received = Path.Combine(Path.GetDirectoryName(approvedPath)!, "Summaries.received.txt");
        try
        {
            File.WriteAllText(received, text);
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(received)!, "Summaries.mutated.received.txt"), mutated.ToString());
        }
        catch (IOException) { } catch (UnauthorizedAccessException) { }
        Assert.Fail($"Summary lines changed. Review {received} and, if the change is meant, copy it over {approvedPath}.");
    }
}
