using System.Text.RegularExpressions;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// What tc printed while the fixtures were recorded (tc-*.txt) against the decoded messages' summaries: each object
/// tc listed (a qdisc, class, filter, chain or action dump line with its indented continuation lines) must be one
/// summary. tc prints device names and leaves out what the command filtered on (dev, hook, chain); the summaries
/// print ifindexes and everything, so both sides are normalised first.
/// </summary>
public sealed class TcTranscriptTests
{
    public static TheoryData<string> Transcripts()
    {
        var data = new TheoryData<string> { "tc-qdisc", "tc-filter", "tc-action" };
        if (File.Exists(TcFixture.Path("tc-nlmon-6.1.pcap"))) data.Add("tc-nlmon-6.1");
        return data;
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public void EveryObjectTcPrintedIsASummary(string fixture)
    {
        var devices = TcFixture.Devices(fixture);
        var summaries = TcFixture.Tc(fixture).Select(m => Normalise(m.Summary, devices)).ToList();
        var records = Records(TcFixture.Transcript(fixture));
        Assert.True(records.Count >= 3, $"only {records.Count} objects in {fixture}.txt");
        foreach (var (header, lines) in records)
        {
            var head = Normalise(header, devices);
            var want = lines.Select(l => Continuation(l, devices)).Where(l => l.Length > 0).ToList();
            bool anyHeader = head == "total acts 0"; // tc actions get: tc prints no real count
            var match = summaries.FirstOrDefault(s => (anyHeader || s.StartsWith(head, StringComparison.Ordinal)) && want.All(w => s.Contains(w, StringComparison.Ordinal)));
            Assert.True(match is not null,
                $"{fixture}: no summary for\n  {head}\n  {string.Join("\n  ", want)}\nclosest:\n  {string.Join("\n  ", summaries.Where(s => s.StartsWith(head.Split(' ')[0], StringComparison.Ordinal)).Take(40))}");
        }
    }

    /// <summary>Object records of a transcript: a line tc starts at column 0, plus the indented lines after it.</summary>
    private static List<(string Header, List<string> Lines)> Records(string transcript)
    {
        var records = new List<(string, List<string>)>();
        List<string>? current = null;
        foreach (var line in transcript.Split('\n'))
        {
            if (line.Length == 0) continue;
            if (char.IsWhiteSpace(line[0])) { current?.Add(line); continue; }
            current = null;
            if (Regex.IsMatch(line, @"^(qdisc|class|filter|chain) |^total acts "))
            {
                current = new List<string>();
                records.Add((line, current));
            }
        }
        return records;
    }

    /// <summary>Device names to ifindexes; no dev; for filters no hook, parent or chain; what tc learns elsewhere goes.</summary>
    private static string Normalise(string line, Dictionary<string, int> devices)
    {
        var s = Names(line, devices);
        s = Regex.Replace(s, @"(?<!input )\bdev \d+ ", "");
        s = Regex.Replace(s, @" -{16}", "");                       // q_ingress prints a row of dashes
        s = Regex.Replace(s, @" name \S+| jited", "");             // bpf program name and JIT state come from bpf(2)
        s = Regex.Replace(s, @" ver \d+\.\d+", "");                // htb's version, printed by tc -d only
        if (s.StartsWith("filter ", StringComparison.Ordinal))
            s = Regex.Replace(s, @"\b(ingress|egress|root|parent [0-9a-f]*:[0-9a-f]*|chain \d+) ", "");
        return Regex.Replace(s, @"\s+", " ").Trim();
    }

    private static string Continuation(string line, Dictionary<string, int> devices)
    {
        var s = Regex.Replace(Regex.Replace(Names(line, devices), @"\s+", " "), @" \)", ")").Trim();
        if (s is "Action statistics:" or "not_in_hw" or "in_hw" || s.StartsWith("used_hw_stats", StringComparison.Ordinal)) return "";
        s = Regex.Replace(s, @" installed \d+ sec.*$", "");      // action times: tc converts jiffies itself
        s = Regex.Replace(s, @"^(backlog \S+ \S+) requeues \d+$", "$1");
        return s;
    }

    private static string Names(string line, Dictionary<string, int> devices) =>
        Regex.Replace(line, @"(?<!input )\b(dev|device) ([^\s)]+)", m =>
            devices.TryGetValue(m.Groups[2].Value, out var index) ? $"{m.Groups[1].Value} {index}" : m.Value);
}
