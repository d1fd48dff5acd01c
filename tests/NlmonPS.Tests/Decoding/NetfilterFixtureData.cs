using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// The native netfilter fixtures (tests/fixtures/native/nf-*.pcap, recorded by record-nf.sh): decoded with the
/// directions strace saw (the .directions file beside each pcap), and the commands' printed output by command.
/// </summary>
public static class NetfilterFixtureData
{
    public static readonly string[] Names = { "nftables", "conntrack", "ipset", "nflog-queue", "misc", "other" };

    public static string PcapPath(string name) => ModuleLoader.Fixture(Path.Combine("native", $"nf-{name}.pcap"));

    /// <summary>Every message of a fixture, decoded in order by one decoder, each record with its recorded direction.</summary>
    public static List<NetlinkMessage> Decode(string name)
    {
        var path = PcapPath(name);
        var directions = File.ReadAllText(Path.ChangeExtension(path, ".directions")).Trim();
        var decoder = new NetlinkDecoder();
        var records = Fixtures.ReadNetlinkPcap(path).ToList();
        Xunit.Assert.Equal(records.Count, directions.Length);
        return records.Select((r, i) => r with { Direction = directions[i] == 'S' ? NetlinkDirection.ToKernel : NetlinkDirection.FromKernel })
            .SelectMany(decoder.Decode).ToList();
    }

    /// <summary>Each command's printed lines, by the command line ("$ nft add table inet t" -> its output).</summary>
    public static List<(string Command, List<string> Lines)> Output(string name) => Transcript(Path.ChangeExtension(PcapPath(name), ".txt"));

    public static List<string> OutputOf(string name, string command) =>
        Output(name).Where(o => o.Command == command).SelectMany(o => o.Lines).ToList();

    /// <summary>
    /// A transcript: "$ command" then its output. The kernel rig's transcripts (tests/fixtures/*.txt) also have
    /// "#t" clock lines and "## ..." markers, and their background commands' output comes at the end, under
    /// "## background: command" (returned as the command "background: command").
    /// </summary>
    public static List<(string Command, List<string> Lines)> Transcript(string path)
    {
        var result = new List<(string, List<string>)>();
        List<string>? current = null;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("$ ", StringComparison.Ordinal)) result.Add((line[2..], current = new List<string>()));
            else if (line.StartsWith("## background: ", StringComparison.Ordinal)) result.Add((line[3..], current = new List<string>()));
            else if (line.StartsWith("## ", StringComparison.Ordinal)) current = null;
            else if (!line.StartsWith("#t ", StringComparison.Ordinal)) current?.Add(line);
        }
        return result;
    }

    /// <summary>A capture the kernel rig recorded through nlmon (tests/fixtures/NAME.pcap), or null when absent.</summary>
    public static (List<NetlinkMessage> Messages, List<(string Command, List<string> Lines)> Transcript)? Rig(string name)
    {
        var path = ModuleLoader.Fixture(name + ".pcap");
        if (!File.Exists(path)) return null;
        return (Fixtures.Decode(path), Transcript(Path.ChangeExtension(path, ".txt")));
    }

    /// <summary>Whitespace collapsed, ends trimmed: the tools pad their columns.</summary>
    public static string Normalize(string s) => Regex.Replace(s, @"\s+", " ").Trim();

    /// <summary>All fields of a decoded tree, depth first, with their paths.</summary>
    public static IEnumerable<(string Path, NetlinkField Field)> Walk(NetlinkFields fields, string path = "")
    {
        foreach (var f in fields)
        {
            var p = path.Length == 0 ? f.Name : $"{path}.{f.Name}";
            yield return (p, f);
            if (f.Value is NetlinkFields nested)
                foreach (var x in Walk(nested, p)) yield return x;
            else if (f.Value is NetlinkFields[] array)
                for (int i = 0; i < array.Length; i++)
                    foreach (var x in Walk(array[i], $"{p}[{i}]")) yield return x;
        }
    }
}
