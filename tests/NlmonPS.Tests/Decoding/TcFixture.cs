using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Shared reading of the traffic-control fixtures: tests/fixtures/native/tc-*.pcap recorded from real tc commands
/// on this machine's kernel (record-tc.sh), their tc-*.txt transcripts, and the nlmon capture of a stock 6.1
/// kernel (tc-nlmon-6.1.pcap) when a colleague's rig has provided it.
/// </summary>
public static class TcFixture
{
    public static readonly string[] Native = { "tc-qdisc", "tc-filter", "tc-action", "tc-monitor" };

    private static readonly Dictionary<string, List<NetlinkMessage>> Cache = new();

    public static string Path(string name) => ModuleLoader.Fixture(System.IO.Path.Combine("native", name));

    public static List<NetlinkMessage> Messages(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out var messages))
                Cache[name] = messages = Fixtures.Decode(Path(name.EndsWith(".pcap", StringComparison.Ordinal) ? name : name + ".pcap"));
            return messages;
        }
    }

    public static string Transcript(string name) => File.ReadAllText(Path(name + ".txt"));

    /// <summary>The ifindex of each device the transcript's header lists ("#   3: v0@v1:").</summary>
    public static Dictionary<string, int> Devices(string name) =>
        Regex.Matches(Transcript(name), @"^#\s+(\d+): ([^@:\s]+)", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[2].Value, m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Traffic-control message types (RTM_*QDISC/TCLASS/TFILTER/ACTION, RTM_*CHAIN).</summary>
    public static bool IsTc(NetlinkMessage m) => m.Type is >= 36 and <= 51 or >= 100 and <= 103;

    public static IEnumerable<NetlinkMessage> Tc(string name) => Messages(name).Where(IsTc);

    /// <summary>Kernel messages of one type that carry a kind.</summary>
    public static IEnumerable<NetlinkMessage> Replies(string name, string type) =>
        Messages(name).Where(m => m.TypeName == type && m.Direction == NetlinkDirection.FromKernel);

    public static IEnumerable<NetlinkMessage> Requests(string name, string type) =>
        Messages(name).Where(m => m.TypeName == type && m.Direction == NetlinkDirection.ToKernel);

    public static NetlinkFields Options(NetlinkMessage m) => Assert.IsType<NetlinkFields>(m.Attributes["options"]);

    public static NetlinkFields F(object? value) => Assert.IsType<NetlinkFields>(value);
}
