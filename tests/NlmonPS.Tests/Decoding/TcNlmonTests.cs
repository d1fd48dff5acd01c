using System.Net;
using NlmonPS.Decoding;
using Xunit;
using static NlmonPS.Tests.Decoding.TcFixture;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// tc-nlmon-6.1.pcap: captured through nlmon on Debian's stock 6.1 kernel by the qemu rig (a copy of the rig's
/// tests/fixtures/tc.pcap), which has what this machine's kernel lacks: matchall, flower, gact, police, fq_codel,
/// netem. Device indexes come from the capture's own link lookups, since a re-recording may change them.
/// </summary>
public sealed class TcNlmonTests
{
    private const string Fixture = "tc-nlmon-6.1";

    private static bool Present => File.Exists(TcFixture.Path(Fixture + ".pcap"));

    private static int Dev(string name) => Devices(Fixture)[name];

    private static NetlinkMessage Filter(string dev, uint pref) =>
        Replies(Fixture, "RTM_NEWTFILTER").Last(m => (int)m.Header["ifindex"]! == Dev(dev) && (uint)m.Header["info"]! >> 16 == pref && (uint)m.Header["handle"]! != 0);

    private static NetlinkFields Action(NetlinkMessage filter) => Assert.IsType<NetlinkFields[]>(Options(filter)["act"])[0];

    [Fact]
    public void MatchallMirrorsAndCounts()
    {
        Assert.SkipUnless(Present, "no nlmon capture");
        var f = Filter("va", 10);
        Assert.Equal("matchall", f.Attributes["kind"]);
        Assert.Equal(0xfffffff2u, f.Header["parent"]);
        Assert.Equal(new[] { "not_in_hw" }, Options(f)["flags"]);
        Assert.True((ulong)F(Options(f)["pcnt"])["rhit"]! > 0);
        var parms = F(F(Action(f)["options"])["parms"]);
        Assert.Equal("egress_mirror", parms["eaction"]);
        Assert.Equal((uint)Dev("d1"), parms["ifindex"]);
        Assert.True((uint)F(F(Action(f)["stats"])["basic"])["packets"]! > 0);
        Assert.Contains($"matchall chain 0 handle 0x1 not_in_hw (rule hit ", f.Summary);
        Assert.Contains($"action order 1: mirred (Egress Mirror to device d1) pipe index 1 ref 1 bind 1 Sent ", f.Summary);
    }

    [Fact]
    public void FlowerKeysAndGactDrop()
    {
        Assert.SkipUnless(Present, "no nlmon capture");
        var o = Options(Filter("va", 20));
        Assert.Equal("ip", o["key_eth_type"]);
        Assert.Equal("tcp", o["key_ip_proto"]);
        Assert.Equal(IPAddress.Parse("192.0.2.0"), o["key_ipv4_dst"]);
        Assert.Equal(IPAddress.Parse("255.255.255.0"), o["key_ipv4_dst_mask"]);
        Assert.Equal((ushort)80, o["key_tcp_dst"]);
        Assert.Equal((ushort)0xffff, o["key_tcp_dst_mask"]);
        Assert.Equal(0u, o["in_hw_count"]);
        Assert.Equal("shot", F(F(Action(Filter("va", 20))["options"])["parms"])["action"]);
        Assert.Contains("flower chain 0 handle 0x1 eth_type ipv4 ip_proto tcp dst_ip 192.0.2.0/24 dst_port 80 not_in_hw action order 1: gact action drop random type none pass val 0", Filter("va", 20).Summary);
    }

    [Fact]
    public void PoliceInAMatchall()
    {
        Assert.SkipUnless(Present, "no nlmon capture");
        var f = Filter("va", 30);
        var police = F(Action(f)["options"]);
        var tbf = F(police["tbf"]);
        Assert.Equal(125000u, F(tbf["rate"])["rate"]);
        Assert.Equal(1280000u, tbf["burst"]);
        Assert.Equal(2040u, tbf["mtu"]);
        Assert.Equal("shot", tbf["action"]);
        Assert.Contains("action order 1: police 0x1 rate 1Mbit burst 10Kb mtu 2Kb action drop overhead 0b ref 1 bind 1", f.Summary);
    }

    [Fact]
    public void FqCodelQdiscAndClassStatistics()
    {
        Assert.SkipUnless(Present, "no nlmon capture");
        var q = Replies(Fixture, "RTM_NEWQDISC").Last(m => (string?)m.Attributes["kind"] == "fq_codel");
        var o = Options(q);
        Assert.Equal(10240u, o["limit"]);
        Assert.Equal(4999u, o["target"]);
        Assert.Equal(99999u, o["interval"]);
        Assert.Equal(64u, o["drop_batch_size"]);
        Assert.Equal(32u << 20, o["memory_limit"]);
        var x = F(q.Attributes["xstats"]);
        Assert.Equal("qdisc", x["type"]);
        Assert.True((uint)F(x["qdisc_stats"])["maxpacket"]! > 0);
        Assert.StartsWith($"qdisc fq_codel 10: dev d1 parent 1:10 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64 Sent ", q.Summary);

        var flow = Replies(Fixture, "RTM_NEWTCLASS").Single(m => (string?)m.Attributes["kind"] == "fq_codel");
        Assert.Equal("class", F(flow.Attributes["xstats"])["type"]);
        Assert.IsType<int>(F(F(flow.Attributes["xstats"])["class_stats"])["deficit"]);
        Assert.Contains("class fq_codel 10:", flow.Summary);
        Assert.Contains("(dropped 0, overlimits 0 requeues 0) backlog 0b 0p deficit ", flow.Summary);
    }

    [Fact]
    public void NetemTbfAndHtb()
    {
        Assert.SkipUnless(Present, "no nlmon capture");
        var netem = Replies(Fixture, "RTM_NEWQDISC").Last(m => (string?)m.Attributes["kind"] == "netem");
        Assert.Equal(1000u, Options(netem)["limit"]);
        Assert.Equal(156250u, Options(netem)["latency"]);
        Assert.Contains("limit 1000 delay 10ms 1ms loss 0.5%", netem.Summary);
        // The kernel's TCA_NETEM_* after struct tc_netem_qopt (they were dropped): the delay in nanoseconds, and the rest.
        Assert.Equal(10_000_000L, Options(netem)["latency64"]);
        Assert.Equal(1_000_000L, Options(netem)["jitter64"]);
        Assert.Equal(0u, F(Options(netem)["corr"])["loss_corr"]);
        Assert.False(Options(netem).ContainsKey("unknown_tail"));
        var tbf = Replies(Fixture, "RTM_NEWQDISC").Last(m => (string?)m.Attributes["kind"] == "tbf");
        Assert.Contains($"qdisc tbf 8001: dev d2 root refcnt 2 rate 1Mbit burst 4Kb lat 400ms", tbf.Summary);
        var htb = Replies(Fixture, "RTM_NEWTCLASS").Single(m => (string?)m.Attributes["kind"] == "htb");
        Assert.Equal(1250000u, F(F(Options(htb)["parms"])["rate"])["rate"]);
        Assert.Equal(2500000u, F(F(Options(htb)["parms"])["ceil"])["rate"]);
        Assert.Contains("class htb 1:10", htb.Summary);
        Assert.Contains("leaf 10: prio 0 rate 10Mbit ceil 20Mbit burst 1600b cburst 1600b", htb.Summary);
    }

    [Fact]
    public void ActionsAndErrors()
    {
        Assert.SkipUnless(Present, "no nlmon capture");
        var gact = Messages(Fixture).Single(m => m.TypeName == "RTM_GETACTION" && m.Attributes.Contains("count") && m.Summary.Contains("gact", StringComparison.Ordinal));
        Assert.Equal(3u, gact.Attributes["count"]);
        Assert.StartsWith("total acts 3: action order 0: gact action drop random type none pass val 0 index 1 ref 1 bind 1", gact.Summary);

        var errors = Messages(Fixture).Where(m => m.Error is { IsAck: false }).Select(m => m.Error!).ToList();
        Assert.Contains(errors, e => e.ErrorName == "EEXIST" && e.ExtendedMessage == "Exclusivity flag on, cannot modify");
        Assert.Contains(errors, e => e.ErrorName == "ENOENT" && e.ExtendedMessage == "TC action with specified index not found");
        Assert.Contains(errors, e => e.ErrorName == "EOPNOTSUPP" && (string?)e.Request?.Attributes["kind"] == "flower");
        Assert.Contains(errors, e => e.ErrorName == "EPERM" && e.Request?.TypeName == "RTM_DELACTION");
        Assert.Contains(Messages(Fixture), m => m.Summary == "flush action gact");
    }
}
