using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;
using static NlmonPS.Tests.Decoding.GenericTestKit;

namespace NlmonPS.Tests.Decoding;

/// <summary>sock_diag against `ss`: the native capture (this machine, a private namespace with known sockets) and the rig's.</summary>
public class SockDiagTests
{
    private static IEnumerable<string> Paths()
    {
        yield return Native("sockdiag-ss.pcap");
        if (File.Exists(Rig("sockdiag.pcap"))) yield return Rig("sockdiag.pcap");
    }

    /// <summary>The lines `ss` printed for one command, without its column header, spaces squeezed.</summary>
    private static List<string> Block(string text, string command)
    {
        int start = text.IndexOf("$ " + command + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, command);
        return text[(start + command.Length + 3)..].Split('\n').Skip(1)
            .TakeWhile(l => !l.StartsWith('$') && !l.StartsWith('#')).Where(l => l.Trim().Length > 0)
            .Select(l => Regex.Replace(l.Trim(), @"\s+", " ")).ToList();
    }

    [Fact]
    public void TcpSocketsReadAsSsListsThem()
    {
        foreach (var path in Paths())
        {
            var lines = Block(Transcript(path), "ss -tan");
            var summaries = Decode(path).Where(m => m.Direction == NetlinkDirection.FromKernel && m.TypeName == "SOCK_DIAG_BY_FAMILY").Select(m => m.Summary).ToList();
            Assert.True(lines.Count >= 4, path);
            foreach (var line in lines)
            {
                var f = line.Split(' ');   // State Recv-Q Send-Q Local Peer
                Assert.Contains(summaries, s => s.StartsWith($"tcp {f[0]} {f[1]} {f[2]} {f[3]} -> {f[4]} ino ", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public void UdpUnixNetlinkAndPacketSocketsReadAsSsListsThem()
    {
        var path = Native("sockdiag-ss.pcap");
        var text = Transcript(path);
        var messages = Decode(path);
        var replies = messages.Where(m => m.Direction == NetlinkDirection.FromKernel && m.TypeName == "SOCK_DIAG_BY_FAMILY").ToList();
        Assert.Contains(replies, m => m.Summary.StartsWith("udp UNCONN 0 0 0.0.0.0:5353 -> 0.0.0.0:*", StringComparison.Ordinal));
        Assert.Contains(Block(text, "ss -uan"), l => l.StartsWith("UNCONN 0 0 0.0.0.0:5353", StringComparison.Ordinal));
        foreach (var line in Block(text, "ss -xa"))
            Assert.Contains(replies, m => m.Summary == line);
        var abstractSocket = replies.First(m => m.Summary.Contains("@nlmonps-abstract", StringComparison.Ordinal));
        Assert.Equal(0, ((byte[])abstractSocket.Attributes["name"]!)[0]);
        Assert.Equal("dgram", abstractSocket.Header["type"]);
        // ss -xaem: the socket memory as ss printed it.
        foreach (var line in Block(text, "ss -xaem"))
            Assert.Contains(Regex.Match(line, @"skmem:\([^)]*\)").Value, string.Join("\n", replies.Select(m => m.Summary)));
        // Netlink sockets: every protocol ss named, the kernel's by port 0.
        var netlink = replies.Where(m => m.Header["family"] as string == "netlink").ToList();
        foreach (var line in Block(text, "ss -a -A netlink"))
        {
            var local = line.Split(' ')[3];
            var proto = local[..local.IndexOf(':')];
            var who = local[(proto.Length + 1)..];
            Assert.Contains(netlink, m => (string?)m.Header["protocol"] == proto
                && (who == "kernel" ? m.Header["portid"] is uint p && p == 0 : who.EndsWith("/" + m.Header["portid"], StringComparison.Ordinal)));
        }
        // Packet socket: "ver:0 cpy_thresh:0 flags( running )", bound to lo, ETH_P_ALL.
        var packet = replies.Single(m => m.Header["family"] as string == "packet");
        var info = (NetlinkFields)packet.Attributes["info"]!;
        Assert.Equal((0u, 0u, 1u), ((uint)info["version"]!, (uint)info["copy_thresh"]!, (uint)info["index"]!));
        Assert.Equal(new[] { "running" }, info["flags"]);
        Assert.Equal((ushort)3, packet.Header["num"]);
        Assert.Contains($"ino:{packet.Header["ino"]} ", Block(text, "ss -0 -ae")[0]);
    }

    [Fact]
    public void TcpInfoMatchesSsExtendedOutput()
    {
        var path = Native("sockdiag-ss.pcap");
        var text = Transcript(path);
        var lines = Block(text, "ss -tanie");
        var messages = Decode(path).Where(m => m.Attributes.Contains("info")).ToList();
        int checkedSockets = 0;
        for (int i = 0; i + 1 < lines.Count; i++)
        {
            if (!lines[i].StartsWith("ESTAB", StringComparison.Ordinal)) continue;
            var ino = uint.Parse(Regex.Match(lines[i], @"ino:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            var detail = lines[i + 1];
            uint Field(string name) => uint.Parse(Regex.Match(detail, $@"\b{name}:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            var m = messages.Single(x => x.Header["inode"] is uint n && n == ino);
            var tcp = (NetlinkFields)m.Attributes["info"]!;
            Assert.Equal("TCP_ESTABLISHED", tcp["state"]);
            Assert.Equal(Field("rto") * 1000, tcp["rto"]);
            Assert.Equal(Field("mss"), tcp["snd_mss"]);
            Assert.Equal(Field("pmtu"), tcp["pmtu"]);
            Assert.Equal(Field("rcvmss"), tcp["rcv_mss"]);
            Assert.Equal(Field("advmss"), tcp["advmss"]);
            Assert.Equal(Field("cwnd"), tcp["snd_cwnd"]);
            Assert.Equal(Field("segs_out"), tcp["segs_out"]);
            Assert.Equal(Field("segs_in"), tcp["segs_in"]);
            Assert.Equal(Field("snd_wnd"), tcp["snd_wnd"]);
            // This host's 6.18 sends 280 bytes: the fields of 6.2-6.18 (rcv_wnd... Accurate ECN's), none left over.
            Assert.True(tcp.ContainsKey("rcv_wnd") && tcp.ContainsKey("total_rto_time") && tcp.ContainsKey("received_ce_bytes"));
            Assert.False(tcp.ContainsKey("unknown_tail"));
            Assert.Contains("ts", (string[])tcp["options"]!);
            Assert.Contains("sack", (string[])tcp["options"]!);
            Assert.Equal(Regex.Match(detail, @"^ts sack (\w+)").Groups[1].Value, m.Attributes["cong"]);
            Assert.NotNull(m.Attributes["bbrinfo"]);
            checkedSockets++;
        }
        Assert.Equal(2, checkedSockets);
        // ss -tanm: skmem exactly as printed.
        var summaries = string.Join("\n", Decode(path).Select(m => m.Summary));
        foreach (var line in Block(text, "ss -tanm").Where(l => l.StartsWith("skmem", StringComparison.Ordinal)))
            Assert.Contains(line, summaries);
    }

    [Fact]
    public void RequestsAndRepliesArePickedByDirectionAndFamily()
    {
        var messages = Decode(Native("sockdiag-ss.pcap"));
        var requests = messages.Where(m => m.Direction == NetlinkDirection.ToKernel).ToList();
        var tcp = requests.First(m => m.Header["family"] as string == "inet");
        Assert.Equal(("SOCK_DIAG_BY_FAMILY", "tcp"), (tcp.TypeName, (string?)tcp.Header["protocol"]));
        Assert.Contains("TCP_LISTEN", (string[])tcp.Header["states"]!);
        Assert.Contains("DUMP", tcp.FlagNames);
        Assert.Contains(requests, m => m.Header["ext"] is string[] ext && ext.Contains("info") && ext.Contains("cong"));
        var unix = requests.First(m => m.Header["family"] as string == "unix");
        Assert.Contains("name", (string[])unix.Header["show"]!);
        Assert.Equal("all", requests.First(m => m.Header["family"] as string == "netlink").Header["protocol"]);
        Assert.True(requests.First(m => m.Header["family"] as string == "packet").Header.Contains("show"));
        // Replies of the same type carry *_diag_msg.
        var reply = messages.First(m => m.Direction == NetlinkDirection.FromKernel && m.Header["family"] as string == "inet6");
        Assert.Equal(IPAddress.Parse("::1"), reply.Header["src"]);
        Assert.True(reply.Header.Contains("inode") && !reply.Header.Contains("states"));
    }

    [Fact]
    public void LegacyTcpDiagAndSockDestroyDecode()
    {
        var decoder = new NetlinkDecoder();
        var req = new byte[60];
        req[0] = 2;
        BitConverter.TryWriteBytes(req.AsSpan(52), 0xfffu);
        var request = decoder.Decode(new NetlinkRecord(new MessageBuilder(18, (ushort)(Nl.NLM_F_REQUEST | Nl.NLM_F_DUMP)).AddBytes(req).ToArray(), NetlinkProtocol.SockDiag)).Single();
        Assert.Equal("TCPDIAG_GETSOCK", request.TypeName);
        Assert.Contains("TCP_ESTABLISHED", (string[])request.Header["states"]!);
        var msg = new byte[72];
        msg[0] = 2;
        msg[1] = 10;
        new byte[] { 0x1f, 0x90 }.CopyTo(msg, 4);          // sport 8080, big-endian
        new byte[] { 127, 0, 0, 1 }.CopyTo(msg, 8);
        BitConverter.TryWriteBytes(msg.AsSpan(68), 4321u);
        var reply = decoder.Decode(new NetlinkRecord(new MessageBuilder(18, Nl.NLM_F_MULTI).AddBytes(msg).ToArray(), NetlinkProtocol.SockDiag)).Single();
        Assert.Equal("tcp LISTEN 0 0 127.0.0.1:8080 -> 0.0.0.0:* ino 4321 uid 0", reply.Summary);
        var destroy = new byte[56];
        destroy[0] = 10;
        destroy[1] = 6;
        var d = decoder.Decode(new NetlinkRecord(new MessageBuilder(21, Nl.NLM_F_REQUEST).AddBytes(destroy).ToArray(), NetlinkProtocol.SockDiag)).Single();
        Assert.Equal(("SOCK_DESTROY", "inet6"), (d.TypeName, (string?)d.Header["family"]));
        Assert.StartsWith("destroy tcp v6", d.Summary);
        Assert.Empty(CoverageProblems(new[] { request, reply, d }));
    }

    [Fact]
    public void EverySockDiagMessageInTheFixturesIsNamed()
    {
        var messages = Paths().SelectMany(p => Decode(p)).ToList();
        Assert.True(messages.Count > 50);
        Assert.Empty(CoverageProblems(messages));
    }
}
