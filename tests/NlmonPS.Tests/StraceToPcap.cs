using System.Globalization;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests;

/// <summary>
/// The one strace-to-pcap converter behind the native fixtures (tests/fixtures/native/record-*.sh): reads the logs of
/// `strace -f -ttt [-T] [-yy] -e trace=[socket,]sendmsg,recvmsg,sendto,recvfrom -e write=all -e read=all -xx` and
/// turns every netlink datagram a traced process sent (ToKernel) or received (FromKernel) into a LINKTYPE_NETLINK
/// record, written with <see cref="Fixtures.WriteNetlinkPcap"/>.
/// <list type="bullet">
/// <item>A descriptor's netlink protocol comes from -yy (<c>3&lt;NETLINK:[ROUTE:1234]&gt;</c>), else from the socket()
/// call that opened it (<c>socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = 3</c>, by inode when -yy names only that).
/// Descriptors that are not netlink sockets are left out.</item>
/// <item>A record's time is when the call returned, as near as the log tells: its start plus the time it took when -T
/// gives it, else the time of its <c>&lt;... resumed&gt;</c> line for a call split by <c>&lt;unfinished ...&gt;</c>
/// (the halves are joined), else its start. A read that blocked, as a monitor's does, is stamped when it returned.</item>
/// <item>Failed and empty calls, and MSG_PEEK reads (size probes: the real read follows), are left out; the hex dump
/// lines after a call (several iovecs concatenate) are its bytes, up to what it returned.</item>
/// <item>Logs of commands run side by side (a monitor and the commands it watches) merge in time order; equal times
/// keep the order of the logs given.</item>
/// </list>
/// </summary>
public static partial class StraceToPcap
{
    /// <summary>One datagram. <see cref="Socket"/> names the log, process and descriptor it went through.</summary>
    public sealed record Record(DateTimeOffset Time, NetlinkProtocol Protocol, NetlinkDirection Direction, byte[] Data, string Socket = "");

    // "1234 1700000000.123456 sendmsg(3<NETLINK:[GENERIC:1234]>, ..." (the pid is there with -f).
    [GeneratedRegex(@"^(?:(?<pid>\d+)\s+)?(?<time>\d+\.\d+)\s+(?<rest>.*)$")]
    private static partial Regex CallLine();

    [GeneratedRegex(@"^(?:<\.\.\. (?<call>socket|sendmsg|recvmsg|sendto|recvfrom) resumed>|(?<call>socket|sendmsg|recvmsg|sendto|recvfrom)\()(?<text>.*)$")]
    private static partial Regex Call();

    // socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3   (-yy adds <NETLINK:[89816]>, the inode)
    [GeneratedRegex(@"^AF_NETLINK, [^,]+, (?<proto>\w+)\) = (?<fd>\d+)(?:<NETLINK:\[(?<inode>\d+)\]>)?")]
    private static partial Regex NetlinkSocket();

    [GeneratedRegex(@"^(?<fd>\d+)(?<annotated><(?:NETLINK:\[(?:(?<proto>[A-Z0-9_]+):)?(?<id>\d+)\]>)?)?")]
    private static partial Regex Descriptor();

    // -T: the time the call took, at the end of its line.
    [GeneratedRegex(@"<(?<duration>\d+\.\d+)>$")]
    private static partial Regex Duration();

    private const string Unfinished = "<unfinished ...>";

    /// <summary>A netlink protocol as strace names it (NETLINK_ROUTE in socket(), ROUTE with -yy, or a number).</summary>
    public static NetlinkProtocol? ProtocolOf(string name) => name.Replace("NETLINK_", "", StringComparison.Ordinal) switch
    {
        "ROUTE" => NetlinkProtocol.Route,
        "USERSOCK" => NetlinkProtocol.Usersock,
        "SOCK_DIAG" or "INET_DIAG" => NetlinkProtocol.SockDiag,
        "NFLOG" => NetlinkProtocol.Nflog,
        "XFRM" => NetlinkProtocol.Xfrm,
        "SELINUX" => NetlinkProtocol.SELinux,
        "AUDIT" => NetlinkProtocol.Audit,
        "FIB_LOOKUP" => NetlinkProtocol.FibLookup,
        "CONNECTOR" => NetlinkProtocol.Connector,
        "NETFILTER" => NetlinkProtocol.Netfilter,
        "KOBJECT_UEVENT" => NetlinkProtocol.KobjectUevent,
        "GENERIC" => NetlinkProtocol.Generic,
        "RDMA" => NetlinkProtocol.Rdma,
        "CRYPTO" => NetlinkProtocol.Crypto,
        var other when int.TryParse(other, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => (NetlinkProtocol)n,
        _ => null,
    };

    /// <summary>The netlink datagrams of one strace log, in the log's order. <paramref name="log"/> names it in <see cref="Record.Socket"/>.</summary>
    public static List<Record> Parse(IEnumerable<string> lines, string log = "")
    {
        var records = new List<Record>();
        var pending = new Dictionary<string, (decimal Time, string Text)>();   // pid -> the first half of an unfinished call
        var byFd = new Dictionary<string, NetlinkProtocol>();                  // "pid:fd" and "fd" (the latest, any process)
        var byInode = new Dictionary<string, NetlinkProtocol>();
        (Record Record, int Length)? current = null;
        var data = new List<byte>();

        void Flush()
        {
            if (current is { } c && data.Count > 0)
                records.Add(c.Record with { Data = data.Take(c.Length).ToArray() });
            current = null;
            data.Clear();
        }

        foreach (var line in lines)
        {
            if (line.StartsWith(" | ", StringComparison.Ordinal))
            {
                // " | 00000  14 00 00 00 10 0a 01 00  00 00 00 00 00 00 00 00  ................ |": hex in columns 10..58.
                if (current is null || line.Length <= 10) continue;
                foreach (var token in line.Substring(10, Math.Min(49, line.Length - 10)).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    data.Add(byte.Parse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                continue;
            }
            if (line.StartsWith(" * ", StringComparison.Ordinal)) continue;   // " * 32 bytes in buffer 0": iovecs concatenate
            Flush();

            var m = CallLine().Match(line);
            if (!m.Success) continue;
            var call = Call().Match(m.Groups["rest"].Value);
            if (!call.Success) continue;
            var pid = m.Groups["pid"].Value;
            var name = call.Groups["call"].Value;
            var text = call.Groups["text"].Value;
            var seconds = decimal.Parse(m.Groups["time"].Value, CultureInfo.InvariantCulture);
            if (m.Groups["rest"].Value.StartsWith('<'))
            {
                // "<... recvmsg resumed>{msg_flags=0}, 0) = 20": the rest of the call the same process started before,
                // which returned about now (-T, when there, gives the time from the start).
                if (!pending.Remove(pid, out var first)) continue;
                text = first.Text + text;
                if (Duration().IsMatch(text)) seconds = first.Time;
            }
            else if (text.EndsWith(Unfinished, StringComparison.Ordinal))
            {
                pending[pid] = (seconds, text[..^Unfinished.Length]);
                continue;
            }

            var end = text.LastIndexOf(") = ", StringComparison.Ordinal);
            if (end < 0) continue;
            var ret = Regex.Match(text[(end + 4)..], @"^-?\d+").Value;
            if (!long.TryParse(ret, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var returned) || returned < 0) continue;

            if (name == "socket")
            {
                var s = NetlinkSocket().Match(text);
                var fd = returned.ToString(CultureInfo.InvariantCulture);
                if (s.Success && ProtocolOf(s.Groups["proto"].Value) is { } opened)
                {
                    byFd[$"{pid}:{fd}"] = byFd[fd] = opened;
                    if (s.Groups["inode"].Success) byInode[s.Groups["inode"].Value] = opened;
                }
                else
                {
                    byFd.Remove($"{pid}:{fd}");
                    byFd.Remove(fd);
                }
                continue;
            }
            if (returned == 0) continue;
            bool send = name.StartsWith("send", StringComparison.Ordinal);
            if (!send && IsPeek(text[..end])) continue;

            var d = Descriptor().Match(text);
            if (!d.Success) continue;
            var descriptor = d.Groups["fd"].Value;
            NetlinkProtocol protocol;
            if (d.Groups["proto"].Success)
            {
                if (ProtocolOf(d.Groups["proto"].Value) is not { } named) continue;
                protocol = named;
            }
            else if (d.Groups["id"].Success && byInode.TryGetValue(d.Groups["id"].Value, out var byNode)) protocol = byNode;
            else if (d.Groups["annotated"].Length > 0 && !d.Groups["id"].Success) continue;   // -yy: not a netlink socket
            else if (byFd.TryGetValue($"{pid}:{descriptor}", out var own) || byFd.TryGetValue(descriptor, out own)) protocol = own;
            else continue;

            if (Duration().Match(text) is { Success: true } spent)
                seconds += decimal.Parse(spent.Groups["duration"].Value, CultureInfo.InvariantCulture);
            var time = DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
            var direction = send ? NetlinkDirection.ToKernel : NetlinkDirection.FromKernel;
            current = (new Record(time, protocol, direction, [], $"{log}:{pid}:{descriptor}"), (int)Math.Min(returned, int.MaxValue));
        }
        Flush();
        return records;
    }

    /// <summary>
    /// A size probe: MSG_PEEK in the flags argument (recvmsg(fd, msg, MSG_PEEK|MSG_TRUNC), recvfrom(fd, buf, len,
    /// MSG_PEEK, ...)), not in a decoded field such as msg_flags=.
    /// </summary>
    private static bool IsPeek(string arguments)
    {
        foreach (var argument in arguments.Split(", "))
            if (!argument.Contains('=') && argument.Contains("MSG_PEEK", StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>The datagrams of several logs, merged in time order (equal times keep the order of <paramref name="paths"/>).</summary>
    public static List<Record> ParseFiles(IEnumerable<string> paths) =>
        paths.SelectMany(p => Parse(File.ReadLines(p), Path.GetFileName(p))).OrderBy(r => r.Time).ToList();

    /// <summary>
    /// Drops device-name lookups (RTM_*LINK requests, their answers, their DONE/ACK), for the tc fixtures. tc may run
    /// them on a second socket with the same sequence number as the request it is printing, so a lookup is its
    /// socket and sequence number. Messages kept from a datagram are realigned to 4 bytes.
    /// </summary>
    public static List<Record> WithoutLinkLookups(IEnumerable<Record> records)
    {
        var dropSequences = new HashSet<(string, uint)>();
        var kept = new List<Record>();
        foreach (var r in records)
        {
            var order = NetlinkMessageSplitter.DetectByteOrder(r.Data, Endian.Host);
            var keep = new List<byte>();
            foreach (var raw in NetlinkMessageSplitter.Split(r.Data, order))
            {
                bool link = raw.Header.Type is >= 16 and <= 19;
                if (link && r.Direction == NetlinkDirection.ToKernel) dropSequences.Add((r.Socket, raw.Header.Sequence));
                if (link || dropSequences.Contains((r.Socket, raw.Header.Sequence))) continue;
                keep.AddRange(raw.Bytes.ToArray());
                while (keep.Count % 4 != 0) keep.Add(0);
            }
            if (keep.Count > 0) kept.Add(r with { Data = keep.ToArray() });
        }
        return kept;
    }

    /// <summary>
    /// Writes <paramref name="records"/> to <paramref name="pcap"/>; with <paramref name="directions"/>, also
    /// NAME.directions beside it, one letter per record (S sent, R received), since the pcap, like nlmon's, marks
    /// every record outgoing.
    /// </summary>
    public static void Write(string pcap, IReadOnlyList<Record> records, bool directions = false)
    {
        Fixtures.WriteNetlinkPcap(pcap, records.Select(r => (r.Time, r.Protocol, r.Data)));
        if (directions)
            File.WriteAllText(Path.ChangeExtension(pcap, ".directions"),
                new string(records.Select(r => r.Direction == NetlinkDirection.ToKernel ? 'S' : 'R').ToArray()) + "\n");
    }
}

/// <summary>
/// The converter as tests/fixtures/native/record-*.sh run it (explicit: never part of a normal test run):
/// `NlmonPS.Tests -method NlmonPS.Tests.StraceToPcapRun.Convert -explicit only` with NLMONPS_STRACE_IN, the logs
/// (':'-separated, in order), and NLMONPS_PCAP_OUT; NLMONPS_STRACE_DIRECTIONS=1 also writes the .directions file,
/// NLMONPS_STRACE_WITHOUT_LINK_LOOKUPS=1 drops tc's device-name lookups.
/// </summary>
public sealed class StraceToPcapRun
{
    [Fact(Explicit = true)]
    public void Convert()
    {
        var inputs = Environment.GetEnvironmentVariable("NLMONPS_STRACE_IN")?.Split(':', StringSplitOptions.RemoveEmptyEntries);
        var output = Environment.GetEnvironmentVariable("NLMONPS_PCAP_OUT");
        Assert.True(inputs is { Length: > 0 } && !string.IsNullOrEmpty(output), "set NLMONPS_STRACE_IN and NLMONPS_PCAP_OUT");
        var records = StraceToPcap.ParseFiles(inputs!);
        if (Environment.GetEnvironmentVariable("NLMONPS_STRACE_WITHOUT_LINK_LOOKUPS") == "1") records = StraceToPcap.WithoutLinkLookups(records);
        Assert.True(records.Count > 0, $"{output}: the logs hold no netlink traffic");
        StraceToPcap.Write(output!, records, Environment.GetEnvironmentVariable("NLMONPS_STRACE_DIRECTIONS") == "1");
    }
}

public class StraceToPcapTests
{
    [Fact]
    public void TakesProtocolsFromYyJoinsUnfinishedCallsAndSkipsPeeks()
    {
        var trace = new[]
        {
            "16590 1700000000.000001 sendmsg(3<NETLINK:[GENERIC:16590]>, {msg_name={...}, msg_flags=0}, 0) = 32 <0.000010>",
            " * 32 bytes in buffer 0",
            " | 00000  20 00 00 00 10 00 05 00  f4 3a 04 6b 00 00 00 00   ........:.k.... |",
            " | 00010  03 00 00 00 0b 00 02 00  6e 6c 63 74 72 6c 00 00  ........nlctrl.. |",
            "16590 1700000000.000002 recvmsg(3<NETLINK:[GENERIC:16590]>, {msg_flags=MSG_TRUNC}, MSG_PEEK|MSG_TRUNC) = 136 <0.000010>",
            "16590 1700000000.000003 recvmsg(3<NETLINK:[GENERIC:16590]>,  <unfinished ...>",
            "16591 1700000000.000004 sendto(4<UNIX:[1]>, \"\\x78\", 1, 0, NULL, 0) = 1 <0.000010>",
            " | 00000  78                                                x                |",
            "16590 1700000000.000005 <... recvmsg resumed>{msg_flags=0}, 0) = 20 <0.500000>",
            " * 20 bytes in buffer 0",
            " | 00000  14 00 00 00 03 00 02 00  f4 3a 04 6b ce 40 00 00  ........:.k.@.. |",
            " | 00010  00 00 00 00                                       ....             |",
        };
        var records = StraceToPcap.Parse(trace);
        Assert.Equal(2, records.Count);
        Assert.Equal((NetlinkProtocol.Generic, NetlinkDirection.ToKernel, 32), (records[0].Protocol, records[0].Direction, records[0].Data.Length));
        Assert.Equal(0x6e, records[0].Data[24]);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(17_000_000_000_000_110), records[0].Time);
        Assert.Equal((NetlinkDirection.FromKernel, 20), (records[1].Direction, records[1].Data.Length));
        // Started at .000003, took 0.5 s: stamped when it returned.
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(17_000_000_005_000_030), records[1].Time);
    }

    [Fact]
    public void TakesProtocolsFromSocketCallsAndLeavesOtherDescriptorsOut()
    {
        var log = new[]
        {
            "100 1700000000.000001 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 4",
            "100 1700000000.000002 sendmsg(4, {msg_name={sa_family=AF_NETLINK}, msg_iov=[...]}, 0) = 20",
            " * 20 bytes in buffer 0",
            " | 00000  14 00 00 00 12 00 01 03  01 00 00 00 00 00 00 00  ................ |",
            " | 00010  00 00 00 00                                       ....             |",
            "100 1700000000.000003 recvmsg(4, {msg_iov=[{iov_base=NULL, iov_len=0}]}, MSG_PEEK|MSG_TRUNC) = 20",
            "100 1700000000.000004 recvmsg(4, {msg_iov=[...], msg_flags=0}, 0) = 20",
            " * 20 bytes in buffer 0",
            " | 00000  14 00 00 00 03 00 02 00  01 00 00 00 00 00 00 00  ................ |",
            " | 00010  00 00 00 00                                       ....             |",
            "100 1700000000.000005 recvmsg(5, {msg_iov=[...]}, 0) = 4",
            " | 00000  00 00 00 00                                       ....             |",
            "100 1700000000.000006 recvfrom(4, 0x7ffd, 8192, 0, NULL, NULL) = -1 EAGAIN (Resource temporarily unavailable)",
            // -yy on a socket() naming only the inode: later calls on that inode are NETFILTER.
            "100 1700000000.000007 socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER) = 6<NETLINK:[89816]>",
            "100 1700000000.000008 sendto(6<NETLINK:[89816]>, [...], 20, 0, NULL, 0) = 20",
            " | 00000  14 00 00 00 01 01 01 00  00 00 00 00 00 00 00 00  ................ |",
            " | 00010  00 00 00 00                                       ....             |",
        };
        var records = StraceToPcap.Parse(log, "route.trace");
        Assert.Equal(3, records.Count);
        Assert.Equal((NetlinkProtocol.Route, NetlinkDirection.ToKernel, 20, 0x12), (records[0].Protocol, records[0].Direction, records[0].Data.Length, records[0].Data[4]));
        Assert.Equal((NetlinkDirection.FromKernel, 3), (records[1].Direction, records[1].Data[4]));
        Assert.Equal("route.trace:100:4", records[1].Socket);
        Assert.Equal(NetlinkProtocol.Netfilter, records[2].Protocol);
    }

    [Fact]
    public void MergesLogsInTimeOrderAndDropsLinkLookups()
    {
        static string[] Log(string time, string call, string hex) =>
        [
            $"{time} socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3",
            $"{time} {call}(3, {{...}}, 0) = 16",
            $" | 00000  {hex}  ................ |",
        ];
        var dir = Directory.CreateTempSubdirectory("strace-to-pcap-");
        try
        {
            // A monitor's log and a command's: the command's RTM_GETLINK lookup (seq 1) is dropped, its RTM_NEWQDISC
            // (type 36, seq 2) and the monitor's notification kept, in time order.
            var monitor = Path.Combine(dir.FullName, "0.strace");
            File.WriteAllLines(monitor, Log("1700000000.000003", "recvmsg", "10 00 00 00 24 00 00 00  00 00 00 00 00 00 00 00"));
            var command = Path.Combine(dir.FullName, "1.strace");
            File.WriteAllLines(command, [.. Log("1700000000.000001", "sendmsg", "10 00 00 00 12 00 01 00  01 00 00 00 00 00 00 00"),
                .. Log("1700000000.000002", "sendmsg", "10 00 00 00 24 00 05 06  02 00 00 00 00 00 00 00")]);
            var records = StraceToPcap.WithoutLinkLookups(StraceToPcap.ParseFiles([monitor, command]));
            Assert.Equal([(36, NetlinkDirection.ToKernel), (36, NetlinkDirection.FromKernel)], records.Select(r => ((int)r.Data[4], r.Direction)));
            var pcap = Path.Combine(dir.FullName, "out.pcap");
            StraceToPcap.Write(pcap, records, directions: true);
            Assert.Equal("SR\n", File.ReadAllText(Path.Combine(dir.FullName, "out.directions")));
            Assert.Equal(2, Fixtures.ReadNetlinkPcap(pcap).Count());
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
