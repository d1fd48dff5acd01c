using NlmonPS.Decoding;
using Xunit;
using static NlmonPS.Tests.Decoding.TcFixture;

namespace NlmonPS.Tests.Decoding;

/// <summary>Qdiscs and classes from tc-qdisc.pcap (see tc-qdisc.txt for what tc printed): real requests and dumps.</summary>
public sealed class TcQdiscTests
{
    private const string Fixture = "tc-qdisc";

    private static NetlinkMessage DumpedQdisc(int ifindex, string kind) =>
        Replies(Fixture, "RTM_NEWQDISC").First(m => (int)m.Header["ifindex"]! == ifindex && (string?)m.Attributes["kind"] == kind);

    [Fact]
    public void ClsactAndIngressAttachAtFfffFff1()
    {
        var add = Requests(Fixture, "RTM_NEWQDISC").First(m => (string?)m.Attributes["kind"] == "clsact");
        Assert.Equal(0xffff0000u, add.Header["handle"]);
        Assert.Equal(0xfffffff1u, add.Header["parent"]);
        Assert.Equal("add qdisc clsact ffff: dev 3 parent ffff:fff1", add.Summary);
        Assert.Equal(new[] { "REQUEST", "ACK", "EXCL", "CREATE" }, add.FlagNames);

        var ingress = DumpedQdisc(2, "ingress");
        Assert.Empty(Options(ingress));
        Assert.StartsWith("qdisc ingress ffff: dev 2 parent ffff:fff1 Sent ", ingress.Summary);
    }

    [Fact]
    public void HtbQdiscShowsItsGlobals()
    {
        var htb = DumpedQdisc(3, "htb");
        var init = F(Options(htb)["init"]);
        Assert.Equal(10u, init["rate2quantum"]);
        Assert.Equal(0x10u, init["defcls"]);
        Assert.Equal(0x30011u, init["version"]);   // 3.17
        Assert.Equal(1000u, Options(htb)["direct_qlen"]);
        Assert.Equal(0xffffffffu, htb.Header["parent"]);
        Assert.Equal(3u, htb.Header["info"]);       // refcnt
        Assert.StartsWith("qdisc htb 1: dev 3 root refcnt 3 r2q 10 default 0x10 direct_packets_stat 0 direct_qlen 1000 Sent ", htb.Summary);
    }

    [Fact]
    public void CountersArePresentAndCountTheFramesSent()
    {
        // record-tc.sh sent 5 frames out of v0: htb's default class 1:10 queues them into tbf 10:.
        foreach (var kind in new[] { "htb", "tbf" })
        {
            var q = DumpedQdisc(3, kind);
            var basic = F(F(q.Attributes["stats2"])["basic"]);
            Assert.True((ulong)basic["bytes"]! > 0, kind);
            Assert.Equal((uint)5, basic["packets"]);
            Assert.Equal(0u, F(F(q.Attributes["stats2"])["queue"])["drops"]);
            Assert.Equal((ulong)basic["bytes"]!, F(q.Attributes["stats"])["bytes"]);
        }
    }

    [Fact]
    public void TbfRateBurstAndLatency()
    {
        var tbf = DumpedQdisc(3, "tbf");
        var parms = F(Options(tbf)["parms"]);
        Assert.Equal(125000u, F(parms["rate"])["rate"]);     // 1mbit in bytes per second
        Assert.Equal("ethernet", F(parms["rate"])["linklayer"]);
        Assert.Equal(82768u, parms["limit"]);
        Assert.Equal(4096000u, parms["buffer"]);             // 32k at 1mbit, in ticks
        Assert.Equal(0x100000u, tbf.Header["handle"]);
        Assert.Equal(0x10010u, tbf.Header["parent"]);
        Assert.Contains("qdisc tbf 10: dev 3 parent 1:10 rate 1Mbit burst 32Kb lat 400ms", tbf.Summary);

        var request = Requests(Fixture, "RTM_NEWQDISC").First(m => (string?)m.Attributes["kind"] == "tbf");
        Assert.Equal(32768u, Options(request)["burst"]);
        Assert.Equal(1024, Assert.IsType<byte[]>(Options(request)["rtab"]).Length);
    }

    [Fact]
    public void FifosAndPrioMaps()
    {
        Assert.Equal(100u, Options(DumpedQdisc(3, "pfifo"))["limit"]);
        Assert.Equal(100000u, Options(DumpedQdisc(2, "bfifo"))["limit"]);
        Assert.Contains("qdisc bfifo 8", DumpedQdisc(2, "bfifo").Summary);
        Assert.Contains("limit 100000b", DumpedQdisc(2, "bfifo").Summary);

        var fast = DumpedQdisc(6, "pfifo_fast");
        Assert.Equal(3, Options(fast)["bands"]);
        Assert.Equal(new byte[] { 1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, Options(fast)["priomap"]);

        // mq on the two-queue veth: one pfifo_fast per queue, parents 4:1 and 4:2.
        var children = Replies(Fixture, "RTM_NEWQDISC").Where(m => (int)m.Header["ifindex"]! == 7 && (string?)m.Attributes["kind"] == "pfifo_fast").ToList();
        Assert.Equal(new[] { 0x40001u, 0x40002u }, children.Select(m => (uint)m.Header["parent"]!).Order().Distinct());
        Assert.Contains(Replies(Fixture, "RTM_NEWQDISC"), m => m.Summary.StartsWith("qdisc mq 4: dev 7 root Sent", StringComparison.Ordinal));
        Assert.Contains(Replies(Fixture, "RTM_NEWQDISC"), m => m.Summary.StartsWith("qdisc noqueue 0: dev 1 root refcnt 2", StringComparison.Ordinal));
    }

    [Fact]
    public void HtbClassesCarryRatesLeafAndTokens()
    {
        var cls = Replies(Fixture, "RTM_NEWTCLASS").First(m => (uint)m.Header["handle"]! == 0x10010);
        var parms = F(Options(cls)["parms"]);
        Assert.Equal(125000u, F(parms["rate"])["rate"]);
        Assert.Equal(250000u, F(parms["ceil"])["rate"]);
        Assert.Equal(1u, parms["prio"]);
        Assert.Equal(0u, parms["level"]);
        Assert.Equal(0x100000u, cls.Header["info"]);       // leaf qdisc 10:
        Assert.Equal(0x10001u, cls.Header["parent"]);
        var x = F(cls.Attributes["xstats"]);
        Assert.Equal(5u, x["lends"]);
        Assert.IsType<int>(x["tokens"]);
        Assert.StartsWith("class htb 1:10 dev 3 parent 1:1 leaf 10: prio 1 rate 1Mbit ceil 2Mbit burst 1600b cburst 1600b Sent ", cls.Summary);

        var inner = Replies(Fixture, "RTM_NEWTCLASS").First(m => (uint)m.Header["handle"]! == 0x10001);
        Assert.Equal(7u, F(Options(inner)["parms"])["level"]);  // an inner class: no prio printed
        Assert.StartsWith("class htb 1:1 dev 3 root rate 10Mbit ceil 10Mbit burst 1600b cburst 1600b", inner.Summary);
    }

    [Fact]
    public void RequestsLeadWithTheirVerb()
    {
        var summaries = TcFixture.Tc(Fixture).Where(m => m.Direction == NetlinkDirection.ToKernel).Select(m => m.Summary).ToList();
        Assert.Contains("add class htb 1:20 dev 3 parent 1:1 prio 2 rate 512Kbit ceil 10Mbit burst 15Kb cburst 15Kb", summaries);
        Assert.Contains("replace qdisc pfifo_fast 0: dev 6 root", summaries);
        Assert.Contains("change qdisc pfifo 20: dev 3 parent 1:20 limit 200p", summaries);
        Assert.Contains("del qdisc 20: dev 3 parent 1:20", summaries);
        Assert.Contains("del class 1:20 dev 3", summaries);
        Assert.Contains("del qdisc dev 3 root", summaries);
        Assert.Contains("dump qdisc dev 3", summaries);
        Assert.Contains("dump class dev 7", summaries);
        Assert.Contains("dump qdisc", summaries);
    }

    /// <summary>This kernel has no fq_codel, fq, netem or prio: tc's requests are real, and refused with an extended ACK.</summary>
    [Fact]
    public void RefusedKindsStillDecodeFromTheRequest()
    {
        var fqCodel = Requests(Fixture, "RTM_NEWQDISC").First(m => (string?)m.Attributes["kind"] == "fq_codel");
        var o = Options(fqCodel);
        Assert.Equal(10240u, o["limit"]);
        Assert.Equal(1024u, o["flows"]);
        Assert.Equal(1514u, o["quantum"]);
        Assert.Equal(5000u, o["target"]);
        Assert.Equal(100000u, o["interval"]);
        Assert.Equal(1u, o["ecn"]);
        Assert.Equal(32u << 20, o["memory_limit"]);
        Assert.Equal("add qdisc fq_codel 0: dev 3 root limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn", fqCodel.Summary);

        var error = Messages(Fixture).First(m => m.Error is { IsAck: false } e && e.ExtendedMessage == "Specified qdisc kind is unknown").Error!;
        Assert.Equal("ENOENT", error.ErrorName);

        var fq = Options(Requests(Fixture, "RTM_NEWQDISC").First(m => (string?)m.Attributes["kind"] == "fq"));
        Assert.Equal(10000u, fq["plimit"]);
        Assert.Equal(100u, fq["flow_plimit"]);
        Assert.Equal(125000000u, fq["flow_max_rate"]);

        var netem = Options(Requests(Fixture, "RTM_NEWQDISC").First(m => (string?)m.Attributes["kind"] == "netem"));
        Assert.Equal(1000u, netem["limit"]);
        Assert.Equal(156250u, netem["latency"]);   // 10ms in ticks
        Assert.Contains(Requests(Fixture, "RTM_NEWQDISC"), m => m.Summary == "add qdisc netem 0: dev 3 root limit 1000 delay 10ms 1ms loss 1%");
        Assert.Contains(Requests(Fixture, "RTM_NEWQDISC"), m => m.Summary == "add qdisc prio 0: dev 3 root bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1");
    }
}
