using System.Globalization;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Turns `strace -f -ttt -T -yy -e trace=sendmsg,recvmsg,sendto,recvfrom -e write=all -e read=all -xx` output into
/// netlink records: sends go to the kernel, receives come from it, MSG_PEEK probes are skipped, and only
/// netlink sockets count (strace -yy names their protocol). The record-*.sh scripts under tests/fixtures/native
/// run it through the explicit test below to write native fixtures with <see cref="Fixtures.WriteNetlinkPcap"/>.
/// </summary>
public static partial class StraceRecorder
{
    public sealed record Record(DateTimeOffset Time, NetlinkProtocol Protocol, NetlinkDirection Direction, byte[] Data);

    // "1234 1700000000.123456 sendmsg(3<NETLINK:[GENERIC:1234]>, ..." (the call may be split by <unfinished ...>).
    [GeneratedRegex(@"^(?<pid>\d+)\s+(?<time>\d+\.\d+)\s+(?<call>sendmsg|recvmsg|sendto|recvfrom)\((?<fd>\d+)<(?<sock>[^>]*)>")]
    private static partial Regex CallStart();

    [GeneratedRegex(@"^(?<pid>\d+)\s+(?<time>\d+\.\d+)\s+<\.\.\. (?<call>sendmsg|recvmsg|sendto|recvfrom) resumed>")]
    private static partial Regex CallResumed();

    [GeneratedRegex(@"NETLINK:\[(?<proto>[A-Z0-9_]+)")]
    private static partial Regex NetlinkSocket();

    [GeneratedRegex(@"\) = (?<ret>-?\d+)")]
    private static partial Regex Result();

    // -T: the time spent in the call, so a read that blocked (a monitor) is stamped when it returned.
    [GeneratedRegex(@"<(?<duration>\d+\.\d+)>$")]
    private static partial Regex Duration();

    [GeneratedRegex(@"^ \| [0-9a-f]{5}  (?<hex>(?:[0-9a-f]{2} {1,2}){1,16})")]
    private static partial Regex HexLine();

    private static readonly Dictionary<string, NetlinkProtocol> StraceNames = new(StringComparer.Ordinal)
    {
        ["ROUTE"] = NetlinkProtocol.Route, ["USERSOCK"] = NetlinkProtocol.Usersock, ["SOCK_DIAG"] = NetlinkProtocol.SockDiag,
        ["INET_DIAG"] = NetlinkProtocol.SockDiag, ["NFLOG"] = NetlinkProtocol.Nflog, ["XFRM"] = NetlinkProtocol.Xfrm,
        ["FIB_LOOKUP"] = NetlinkProtocol.FibLookup, ["NETFILTER"] = NetlinkProtocol.Netfilter, ["GENERIC"] = NetlinkProtocol.Generic,
        ["AUDIT"] = NetlinkProtocol.Audit, ["CONNECTOR"] = NetlinkProtocol.Connector, ["KOBJECT_UEVENT"] = NetlinkProtocol.KobjectUevent,
        ["SELINUX"] = NetlinkProtocol.SELinux, ["CRYPTO"] = NetlinkProtocol.Crypto, ["RDMA"] = NetlinkProtocol.Rdma,
    };

    public static List<Record> Parse(IEnumerable<string> lines)
    {
        var records = new List<Record>();
        var pending = new Dictionary<string, string>();   // pid -> the first half of an unfinished call
        Record? current = null;
        var data = new List<byte>();

        void Flush()
        {
            if (current is not null && data.Count > 0) records.Add(current with { Data = data.ToArray() });
            current = null;
            data.Clear();
        }

        foreach (var raw in lines)
        {
            var hex = HexLine().Match(raw);
            if (hex.Success)
            {
                if (current is null) continue;
                foreach (var b in hex.Groups["hex"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    data.Add(byte.Parse(b, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                continue;
            }
            if (raw.StartsWith(" * ", StringComparison.Ordinal)) continue;   // " * 32 bytes in buffer 0"
            Flush();

            string line = raw;
            var resumed = CallResumed().Match(raw);
            if (resumed.Success)
            {
                if (!pending.Remove(resumed.Groups["pid"].Value, out var first)) continue;
                line = first + raw[(resumed.Index + resumed.Length)..];
            }
            var start = CallStart().Match(line);
            if (!start.Success) continue;
            if (line.EndsWith("<unfinished ...>", StringComparison.Ordinal))
            {
                pending[start.Groups["pid"].Value] = line[..^"<unfinished ...>".Length];
                continue;
            }
            var proto = NetlinkSocket().Match(start.Groups["sock"].Value);
            var result = Result().Match(line);
            if (!proto.Success || !result.Success || result.Groups["ret"].Value.StartsWith('-')) continue;
            // MSG_PEEK probes (buffer sizing) would duplicate the message that the next read takes.
            if (line.LastIndexOf("MSG_PEEK", StringComparison.Ordinal) > line.LastIndexOf('}')) continue;
            if (!StraceNames.TryGetValue(proto.Groups["proto"].Value, out var protocol)) continue;
            var seconds = decimal.Parse(start.Groups["time"].Value, CultureInfo.InvariantCulture);
            if (Duration().Match(line) is { Success: true } spent)
                seconds += decimal.Parse(spent.Groups["duration"].Value, CultureInfo.InvariantCulture);
            var time = DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
            var direction = start.Groups["call"].Value.StartsWith("send", StringComparison.Ordinal)
                ? NetlinkDirection.ToKernel : NetlinkDirection.FromKernel;
            current = new Record(time, protocol, direction, Array.Empty<byte>());
        }
        Flush();
        return records;
    }

    /// <summary>
    /// Run by tests/fixtures/native/record-*.sh: NLMONPS_STRACE_IN (trace files, ':'-separated, in order) to
    /// NLMONPS_PCAP_OUT. Explicit: never part of a normal test run.
    /// </summary>
    [Fact(Explicit = true)]
    public static void Convert()
    {
        var inputs = Environment.GetEnvironmentVariable("NLMONPS_STRACE_IN")?.Split(':', StringSplitOptions.RemoveEmptyEntries);
        var output = Environment.GetEnvironmentVariable("NLMONPS_PCAP_OUT");
        Assert.True(inputs is { Length: > 0 } && output is not null, "set NLMONPS_STRACE_IN and NLMONPS_PCAP_OUT");
        // Traces of commands run side by side (a monitor and the commands it watches) merge in time order.
        var records = inputs!.SelectMany(f => Parse(File.ReadLines(f))).OrderBy(r => r.Time).ToList();
        Assert.NotEmpty(records);
        Fixtures.WriteNetlinkPcap(output!, records.Select(r => (r.Time, r.Protocol, r.Data)));
    }

    /// <summary>Writes a fixture's decoded messages as text (NLMONPS_DUMP_IN to NLMONPS_DUMP_OUT), to read while writing tests.</summary>
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

    [Fact]
    public static void ParsesSendsReceivesAndSkipsPeeks()
    {
        var trace = new[]
        {
            "16590 1700000000.000001 sendmsg(3<NETLINK:[GENERIC:16590]>, {msg_name={...}, msg_flags=0}, 0) = 32",
            " * 32 bytes in buffer 0",
            " | 00000  20 00 00 00 10 00 05 00  f4 3a 04 6b 00 00 00 00   ........:.k.... |",
            " | 00010  03 00 00 00 0b 00 02 00  6e 6c 63 74 72 6c 00 00  ........nlctrl.. |",
            "16590 1700000000.000002 recvmsg(3<NETLINK:[GENERIC:16590]>, {msg_flags=MSG_TRUNC}, MSG_PEEK|MSG_TRUNC) = 136",
            "16590 1700000000.000003 recvmsg(3<NETLINK:[GENERIC:16590]>,  <unfinished ...>",
            "16591 1700000000.000004 sendto(4<UNIX:[1]>, \"x\", 1, 0, NULL, 0) = 1",
            "16590 1700000000.000005 <... recvmsg resumed>{msg_flags=0}, 0) = 20",
            " * 20 bytes in buffer 0",
            " | 00000  14 00 00 00 03 00 02 00  f4 3a 04 6b ce 40 00 00  ........:.k.@.. |",
            " | 00010  00 00 00 00                                       ....             |",
        };
        var records = Parse(trace);
        Assert.Equal(2, records.Count);
        Assert.Equal((NetlinkProtocol.Generic, NetlinkDirection.ToKernel, 32), (records[0].Protocol, records[0].Direction, records[0].Data.Length));
        Assert.Equal((NetlinkDirection.FromKernel, 20), (records[1].Direction, records[1].Data.Length));
        Assert.Equal(0x6e, records[0].Data[24]);
    }
}
