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

    /// <summary>A fixture file; "tc-nlmon-6.1" names the rig's own nlmon capture, tests/fixtures/tc.pcap.</summary>
    public static string Path(string name) => name.StartsWith("tc-nlmon-6.1", StringComparison.Ordinal)
        ? ModuleLoader.Fixture(name.Replace("tc-nlmon-6.1", "tc", StringComparison.Ordinal))
        : ModuleLoader.Fixture(System.IO.Path.Combine("native", name));

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

    /// <summary>
    /// The ifindex of each device: from the transcript's header ("#   3: v0@v1:", record-tc.sh) or, for nlmon
    /// captures, from the RTM_NEWLINK answers to tc's own name lookups.
    /// </summary>
    public static Dictionary<string, int> Devices(string name)
    {
        var devices = Regex.Matches(Transcript(name), @"^#\s+(\d+): ([^@:\s]+)", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[2].Value, m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        foreach (var m in Messages(name).Where(m => m.TypeName == "RTM_NEWLINK" && m.Attributes["ifname"] is string))
            devices.TryAdd((string)m.Attributes["ifname"]!, (int)m.Header["index"]!);
        return devices;
    }

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
