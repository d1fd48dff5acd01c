using System.Globalization;
using System.Text.RegularExpressions;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Turns `strace -ttt -xx -e write=all -e read=all` logs of real `tc` runs into LINKTYPE_NETLINK pcaps: sends become
/// requests, receives the kernel's answers (MSG_PEEK|MSG_TRUNC size probes are skipped). tc resolves device names
/// with RTM_GETLINK dumps; those exchanges are left out so the fixtures hold traffic control only.
/// Run by tests/fixtures/native/record-tc.sh through <see cref="TcFixtureRecorder"/>.
/// </summary>
public static partial class TcStraceConverter
{
    [GeneratedRegex(@"^(?:(?<pid>\d+)\s+)?(?<time>\d+\.\d+)\s+(?<call>socket|sendto|sendmsg|recvfrom|recvmsg)\((?<fd>\d+|AF_\w+)?(?<rest>.*)\)\s+=\s+(?<ret>-?\d+)")]
    private static partial Regex CallLine();

    [GeneratedRegex(@"^ \| [0-9a-f]{5}  ")]
    private static partial Regex DumpLine();

    private static readonly Dictionary<string, NetlinkProtocol> ProtocolNames = new()
    {
        ["NETLINK_ROUTE"] = NetlinkProtocol.Route,
        ["NETLINK_GENERIC"] = NetlinkProtocol.Generic,
        ["NETLINK_NETFILTER"] = NetlinkProtocol.Netfilter,
    };

    /// <summary>One datagram: when, which way, on which netlink protocol and socket, its bytes.</summary>
    public sealed record Datagram(DateTimeOffset Time, bool ToKernel, NetlinkProtocol Protocol, byte[] Data, string Socket = "");

    /// <summary>Reads the datagrams of one strace log, in order. <paramref name="log"/> names the log in <see cref="Datagram.Socket"/>.</summary>
    public static List<Datagram> Parse(IEnumerable<string> lines, string log = "")
    {
        var result = new List<Datagram>();
        var protocolByFd = new Dictionary<int, NetlinkProtocol>();
        var netlinkFds = new HashSet<int>();
        (DateTimeOffset Time, bool ToKernel, int Fd, int Length, string Pid)? current = null;
        var bytes = new List<byte>();

        void Flush()
        {
            if (current is { } c && bytes.Count > 0 && (netlinkFds.Contains(c.Fd) || netlinkFds.Count == 0))
            {
                var data = bytes.Take(c.Length).ToArray();
                result.Add(new Datagram(c.Time, c.ToKernel, protocolByFd.GetValueOrDefault(c.Fd, NetlinkProtocol.Route), data, $"{log}:{c.Pid}:{c.Fd}"));
            }
            current = null;
            bytes.Clear();
        }

        foreach (var line in lines)
        {
            if (DumpLine().IsMatch(line))
            {
                if (current is null) continue;
                // " | 00000  28 00 00 00 ...  (ascii) |": 16 hex columns after the offset, the text column after them.
                var hex = line.Substring(10, Math.Min(49, line.Length - 10));
                foreach (var token in hex.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    bytes.Add(byte.Parse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                continue;
            }
            if (line.StartsWith(" * ", StringComparison.Ordinal)) continue; // "* N bytes in buffer K": iovecs of one datagram
            Flush();
            var m = CallLine().Match(line);
            if (!m.Success) continue;
            var call = m.Groups["call"].Value;
            int ret = int.Parse(m.Groups["ret"].Value, CultureInfo.InvariantCulture);
            var seconds = decimal.Parse(m.Groups["time"].Value, CultureInfo.InvariantCulture);
            var time = DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
            if (call == "socket")
            {
                if (!m.Groups["rest"].Value.Contains("NETLINK_", StringComparison.Ordinal) || ret < 0) continue;
                var name = Regex.Match(m.Groups["rest"].Value, @"NETLINK_\w+").Value;
                netlinkFds.Add(ret);
                protocolByFd[ret] = ProtocolNames.GetValueOrDefault(name, NetlinkProtocol.Route);
                continue;
            }
            if (ret <= 0 || line.Contains("MSG_PEEK", StringComparison.Ordinal)) continue;
            int fd = int.Parse(m.Groups["fd"].Value, CultureInfo.InvariantCulture);
            current = (time, call.StartsWith("send", StringComparison.Ordinal), fd, ret, m.Groups["pid"].Value);
        }
        Flush();
        return result;
    }

    /// <summary>
    /// Drops the device-name lookups (RTM_*LINK requests, their answers, their DONE/ACK). tc may run them on a
    /// second socket with the same sequence number as the request it is printing, so a lookup is its socket and
    /// sequence number.
    /// </summary>
    public static List<Datagram> WithoutLinkLookups(IEnumerable<Datagram> datagrams)
    {
        var dropSequences = new HashSet<(string, uint)>();
        var kept = new List<Datagram>();
        foreach (var d in datagrams)
        {
            var order = NetlinkMessageSplitter.DetectByteOrder(d.Data, Endian.Host);
            var keep = new List<byte>();
            foreach (var raw in NetlinkMessageSplitter.Split(d.Data, order))
            {
                bool link = raw.Header.Type is >= 16 and <= 19;
                if (link && d.ToKernel) dropSequences.Add((d.Socket, raw.Header.Sequence));
                if (link || dropSequences.Contains((d.Socket, raw.Header.Sequence))) continue;
                keep.AddRange(raw.Bytes.ToArray());
                // Splitting drops the alignment padding between messages; put it back.
                while (keep.Count % 4 != 0) keep.Add(0);
            }
            if (keep.Count > 0) kept.Add(d with { Data = keep.ToArray() });
        }
        return kept;
    }
}

/// <summary>
/// The recorder's back end: converts the strace logs record-tc.sh leaves in $NLMONPS_TC_TRACES/&lt;fixture&gt;/*.strace
/// into tests/fixtures/native/&lt;fixture&gt;.pcap. Skipped in ordinary test runs.
/// </summary>
public sealed class TcFixtureRecorder
{
    [Fact]
    public void ConvertStraceLogs()
    {
        var traces = Environment.GetEnvironmentVariable("NLMONPS_TC_TRACES");
        Assert.SkipWhen(string.IsNullOrEmpty(traces), "set NLMONPS_TC_TRACES (tests/fixtures/native/record-tc.sh does) to convert strace logs");
        var outDir = Environment.GetEnvironmentVariable("NLMONPS_TC_OUT") is { Length: > 0 } o ? o : ModuleLoader.Fixture("native");
        Directory.CreateDirectory(outDir);
        foreach (var fixture in Directory.GetDirectories(traces!).OrderBy(d => d, StringComparer.Ordinal))
        {
            var logs = Directory.GetFiles(fixture, "*.strace")
                .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f), CultureInfo.InvariantCulture));
            // By time: a background listener (tc monitor) interleaves with the commands it watches.
            var datagrams = logs.SelectMany(f => TcStraceConverter.Parse(File.ReadLines(f), Path.GetFileName(f))).OrderBy(d => d.Time).ToList();
            var kept = TcStraceConverter.WithoutLinkLookups(datagrams);
            Assert.NotEmpty(kept);
            Fixtures.WriteNetlinkPcap(Path.Combine(outDir, Path.GetFileName(fixture) + ".pcap"),
                kept.Select(d => (d.Time, d.Protocol, d.Data)));
        }
    }
}
