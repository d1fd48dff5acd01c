using System.Globalization;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Turns strace logs of real iproute2 commands into netlink records, for the native fixtures
/// (tests/fixtures/native/route-*.pcap, recorded by tests/fixtures/native/record-route.sh).
/// Expects `strace -f -ttt -e trace=socket,sendmsg,recvmsg,sendto,recvfrom -e write=all -e read=all -xx`:
/// the socket() calls give each descriptor's netlink protocol, and the hex dumps that follow each call give its bytes.
/// </summary>
public static partial class StraceNetlink
{
    [GeneratedRegex(@"^(?<pid>\d+)\s+(?:(?<time>\d+\.\d+)\s+)?(?<rest>.*)$")]
    private static partial Regex LinePattern();

    [GeneratedRegex(@"^socket\(AF_NETLINK, [^,]+, (?<proto>NETLINK_\w+|\d+)\) = (?<fd>\d+)")]
    private static partial Regex SocketPattern();

    [GeneratedRegex(@"^(?:<\.\.\. )?(?<call>sendmsg|recvmsg|sendto|recvfrom)[ (]")]
    private static partial Regex CallPattern();

    [GeneratedRegex(@"^(?<call>sendmsg|recvmsg|sendto|recvfrom)\((?<fd>\d+),")]
    private static partial Regex CallStartPattern();

    [GeneratedRegex(@"\) = (?<ret>-?\d+)")]
    private static partial Regex ReturnPattern();

    private static readonly Dictionary<string, NetlinkProtocol> Protocols = new()
    {
        ["NETLINK_ROUTE"] = NetlinkProtocol.Route,
        ["NETLINK_GENERIC"] = NetlinkProtocol.Generic,
        ["NETLINK_NETFILTER"] = NetlinkProtocol.Netfilter,
        ["NETLINK_SOCK_DIAG"] = NetlinkProtocol.SockDiag,
        ["NETLINK_XFRM"] = NetlinkProtocol.Xfrm,
    };

    public sealed record Record(DateTimeOffset Time, NetlinkProtocol Protocol, NetlinkDirection Direction, byte[] Data);

    /// <summary>The netlink buffers a traced process sent and received, in order. Peeks (MSG_PEEK) and failed calls are left out.</summary>
    public static List<Record> Parse(IEnumerable<string> lines)
    {
        var records = new List<Record>();
        var sockets = new Dictionary<(string Pid, string Fd), NetlinkProtocol>();
        var pendingFd = new Dictionary<string, (string Call, string Fd)>();
        (NetlinkProtocol Protocol, NetlinkDirection Direction, DateTimeOffset Time)? current = null;
        var bytes = new List<byte>();

        void Flush()
        {
            if (current is { } c && bytes.Count > 0) records.Add(new Record(c.Time, c.Protocol, c.Direction, bytes.ToArray()));
            current = null;
            bytes.Clear();
        }

        foreach (var line in lines)
        {
            if (line.StartsWith(" | ", StringComparison.Ordinal))
            {
                // " | 00000  30 00 00 00 12 00 01 00  e8 3a 04 6b 00 00 00 00  0........:.k.... |": hex in columns 10..58.
                if (current is null || line.Length < 11) continue;
                var hex = line.Substring(10, Math.Min(49, line.Length - 10));
                foreach (var token in hex.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    bytes.Add(byte.Parse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                continue;
            }
            if (line.StartsWith(" * ", StringComparison.Ordinal)) continue; // "* N bytes in buffer K": buffers concatenate.

            Flush();
            var m = LinePattern().Match(line);
            if (!m.Success) continue;
            var pid = m.Groups["pid"].Value;
            var rest = m.Groups["rest"].Value;
            var time = m.Groups["time"].Success
                ? DateTimeOffset.UnixEpoch.AddTicks((long)(double.Parse(m.Groups["time"].Value, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond))
                : DateTimeOffset.UnixEpoch;

            var socket = SocketPattern().Match(rest);
            if (socket.Success)
            {
                var proto = socket.Groups["proto"].Value;
                sockets[(pid, socket.Groups["fd"].Value)] = Protocols.TryGetValue(proto, out var p) ? p
                    : int.TryParse(proto, out var n) ? (NetlinkProtocol)n : NetlinkProtocol.Route;
                continue;
            }
            var call = CallPattern().Match(rest);
            if (!call.Success) continue;
            string fd;
            var start = CallStartPattern().Match(rest);
            if (start.Success) fd = start.Groups["fd"].Value;
            else if (pendingFd.TryGetValue(pid, out var pending)) fd = pending.Fd;
            else continue;
            if (rest.EndsWith("<unfinished ...>", StringComparison.Ordinal)) { pendingFd[pid] = (call.Groups["call"].Value, fd); continue; }
            pendingFd.Remove(pid);

            var ret = ReturnPattern().Match(rest);
            if (!ret.Success || ret.Groups["ret"].Value.StartsWith('-')) continue;
            if (rest.Contains("MSG_PEEK", StringComparison.Ordinal)) continue; // size probes: the real read follows
            if (!sockets.TryGetValue((pid, fd), out var protocol)) continue; // not a netlink socket we saw opened
            var name = call.Groups["call"].Value;
            current = (protocol, name.StartsWith("send", StringComparison.Ordinal) ? NetlinkDirection.ToKernel : NetlinkDirection.FromKernel, time);
        }
        Flush();
        return records;
    }

    /// <summary>Converts every scenario folder (NAME/*.trace, sorted) under <paramref name="traceRoot"/> into route-NAME.pcap in <paramref name="outDir"/>.</summary>
    public static Dictionary<string, int> ConvertAll(string traceRoot, string outDir)
    {
        var counts = new Dictionary<string, int>();
        foreach (var dir in Directory.GetDirectories(traceRoot).Order(StringComparer.Ordinal))
        {
            var records = new List<Record>();
            foreach (var trace in Directory.GetFiles(dir, "*.trace").Order(StringComparer.Ordinal))
                records.AddRange(Parse(File.ReadLines(trace)));
            var name = Path.GetFileName(dir);
            Fixtures.WriteNetlinkPcap(Path.Combine(outDir, $"route-{name}.pcap"), records.Select(r => (r.Time, r.Protocol, r.Data)));
            counts[name] = records.Count;
        }
        return counts;
    }
}

public class RouteFixtureRecorderTests
{
    [Fact]
    public void ParsesSendsReceivesAndSkipsPeeks()
    {
        var log = new[]
        {
            "100 1700000000.000001 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 4",
            "100 1700000000.000002 sendmsg(4, {msg_name={sa_family=AF_NETLINK}, msg_iov=[...]}, 0) = 20",
            " * 20 bytes in buffer 0",
            " | 00000  14 00 00 00 12 00 01 03  01 00 00 00 00 00 00 00  ................ |",
            " | 00010  00 00 00 00                                       ....             |",
            "100 1700000000.000003 recvmsg(4, {msg_iov=[{iov_base=NULL, iov_len=0}]}, MSG_PEEK|MSG_TRUNC) = 20",
            "100 1700000000.000004 recvmsg(4, {msg_iov=[...]}, 0) = 20",
            " * 20 bytes in buffer 0",
            " | 00000  14 00 00 00 03 00 02 00  01 00 00 00 00 00 00 00  ................ |",
            " | 00010  00 00 00 00                                       ....             |",
            "100 1700000000.000005 recvmsg(5, {msg_iov=[...]}, 0) = 4",
            " | 00000  00 00 00 00                                       ....             |",
        };
        var records = StraceNetlink.Parse(log);
        Assert.Equal(2, records.Count);
        Assert.Equal(NetlinkDirection.ToKernel, records[0].Direction);
        Assert.Equal(20, records[0].Data.Length);
        Assert.Equal(0x12, records[0].Data[4]);
        Assert.Equal(NetlinkDirection.FromKernel, records[1].Direction);
        Assert.Equal(3, records[1].Data[4]);
    }

    /// <summary>
    /// The converter half of tests/fixtures/native/record-route.sh: runs only when that script sets
    /// NLMONPS_ROUTE_TRACES to its folder of strace logs.
    /// </summary>
    [Fact]
    public void ConvertRecordedTraces()
    {
        var root = Environment.GetEnvironmentVariable("NLMONPS_ROUTE_TRACES");
        if (string.IsNullOrEmpty(root)) Assert.Skip("set by tests/fixtures/native/record-route.sh when re-recording fixtures");
        var outDir = Environment.GetEnvironmentVariable("NLMONPS_ROUTE_FIXTURES") ?? Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures", "native");
        var counts = StraceNetlink.ConvertAll(root, outDir);
        Assert.NotEmpty(counts);
        Assert.All(counts, c => Assert.True(c.Value > 0, $"scenario {c.Key} recorded no netlink traffic"));
    }
}
