using System.Net;
using NlmonPS.Decoding;
using Xunit;
using static NlmonPS.Tests.Decoding.TcFixture;

namespace NlmonPS.Tests.Decoding;

/// <summary>Filters and chains from tc-filter.pcap (tc-filter.txt has what tc printed). v0 is 3, the mirror target v2 is 5.</summary>
public sealed class TcFilterTests
{
    private const string Fixture = "tc-filter";

    /// <summary>The dump entry of a filter node (handle != 0) by preference.</summary>
    private static NetlinkMessage Dumped(uint pref, uint handle) =>
        Replies(Fixture, "RTM_NEWTFILTER").First(m => (uint)m.Header["info"]! >> 16 == pref && (uint)m.Header["handle"]! == handle);

    private static NetlinkFields FirstAction(NetlinkFields options) => Assert.IsType<NetlinkFields[]>(options["act"])[0];

    [Fact]
    public void U32MatchAllWithMirredEgressMirror()
    {
        var f = Dumped(49152, 0x80000800);
        Assert.Equal(3, f.Header["ifindex"]);
        Assert.Equal(0xfffffff2u, f.Header["parent"]);                   // clsact ingress hook
        Assert.Equal(0xc0000300u, f.Header["info"]);                     // pref 49152, protocol ETH_P_ALL (big-endian)
        Assert.Equal("u32", f.Attributes["kind"]);
        Assert.Equal(0u, f.Attributes["chain"]);

        var o = Options(f);
        var sel = F(o["sel"]);
        Assert.Equal(new[] { "terminal" }, sel["flags"]);
        Assert.Equal((byte)1, sel["nkeys"]);
        Assert.Equal(0u, F(sel["key0"])["mask"]);
        Assert.Equal(0u, F(sel["key0"])["val"]);
        Assert.False(sel.Contains("key1"));
        Assert.Equal(0x80000000u, o["hash"]);
        Assert.Equal(new[] { "not_in_hw" }, o["flags"]);

        var act = FirstAction(o);
        Assert.Equal("mirred", act["kind"]);
        var parms = F(F(act["options"])["parms"]);
        Assert.Equal("egress_mirror", parms["eaction"]);
        Assert.Equal(5u, parms["ifindex"]);
        Assert.Equal("pipe", parms["action"]);
        Assert.Equal(1, parms["refcnt"]);
        Assert.Equal(1, parms["bindcnt"]);
        Assert.IsType<NetlinkFields>(F(act["options"])["tm"]);
        Assert.IsType<NetlinkFields>(F(act["stats"])["basic"]);

        Assert.Equal("filter dev 3 ingress protocol all pref 49152 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 terminal flowid not_in_hw "
            + "match 00000000/00000000 at 0 action order 1: mirred (Egress Mirror to device 5) pipe index 1 ref 1 bind 1 "
            + "Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) backlog 0b 0p", f.Summary);
    }

    [Fact]
    public void U32KeysAreInNetworkOrderAndCountTheirHits()
    {
        var f = Dumped(10, 0x80100800);
        Assert.Equal(0xfffffff3u, f.Header["parent"]);                   // clsact egress hook
        var sel = F(Options(f)["sel"]);
        Assert.Equal((byte)2, sel["nkeys"]);
        Assert.Equal(0xffffffffu, F(sel["key0"])["mask"]);
        Assert.Equal(0x0a010203u, F(sel["key0"])["val"]);                 // 10.1.2.3
        Assert.Equal(16, F(sel["key0"])["off"]);
        Assert.Equal(0x0000ffffu, F(sel["key1"])["mask"]);
        Assert.Equal(80u, F(sel["key1"])["val"]);                          // dport 80
        Assert.Equal(20, F(sel["key1"])["off"]);

        var act = FirstAction(Options(f));
        Assert.Equal("egress_redir", F(F(act["options"])["parms"])["eaction"]);
        Assert.Equal("stolen", F(F(act["options"])["parms"])["action"]);
        // record-tc.sh sent two frames to 10.1.2.3:80 out of v0: both redirected.
        Assert.Equal(2u, F(F(act["stats"])["basic"])["packets"]);
        Assert.Contains("protocol ip pref 10 u32 chain 0 fh 801::800", f.Summary);
        Assert.Contains("match 0a010203/ffffffff at 16 match 00000050/0000ffff at 20 action order 1: mirred (Egress Redirect to device 5) stolen index 2 ref 1 bind 1 Sent 196 bytes 2 pkt", f.Summary);
    }

    [Fact]
    public void FilterProtocolsReadAsTcNamesThem()
    {
        Assert.Contains("protocol 802.1Q pref 20", Dumped(20, 0x80200800).Summary);
        Assert.Contains("mirred (Ingress Mirror to device 5) pipe", Dumped(20, 0x80200800).Summary);
        Assert.Contains("protocol ipv6 pref 30 bpf", Dumped(30, 1).Summary);
        Assert.Contains("protocol ip pref 50 u32", Dumped(50, 0x80400800).Summary);
    }

    [Fact]
    public void ClassicAndPinnedBpf()
    {
        var classic = Options(Dumped(30, 1));
        Assert.Equal((ushort)1, classic["ops_len"]);
        Assert.Equal(8, Assert.IsType<byte[]>(classic["ops"]).Length);
        Assert.Contains("bpf chain 0 handle 0x1 not_in_hw bytecode '1,6 0 0 4294967295' action order 1: mirred (Ingress Redirect to device 5) stolen", Dumped(30, 1).Summary);

        var pinned = Options(Dumped(31, 1));
        Assert.Equal("nlmonps:[*fsobj]", pinned["name"]);
        Assert.Equal(new[] { "act_direct" }, pinned["flags"]);
        Assert.IsType<uint>(pinned["id"]);
        Assert.Equal("59f4a931744dcdc6", Convert.ToHexString(Assert.IsType<byte[]>(pinned["tag"])).ToLowerInvariant());
        var request = Requests(Fixture, "RTM_NEWTFILTER").First(m => (string?)m.Attributes["kind"] == "bpf" && Options(m).Contains("fd"));
        Assert.Equal("add filter dev 3 ingress protocol all pref 31 bpf nlmonps:[*fsobj] direct-action", request.Summary);
    }

    [Fact]
    public void MarkIndevAndClassid()
    {
        // The mark match as tc sends it (this kernel, without CONFIG_CLS_U32_MARK, does not dump it back).
        var marking = Requests(Fixture, "RTM_NEWTFILTER").First(m => (uint)m.Header["info"]! >> 16 == 40);
        Assert.Equal(5u, F(Options(marking)["mark"])["val"]);
        Assert.Equal(0xffu, F(Options(marking)["mark"])["mask"]);
        Assert.Equal(5u, marking.Attributes["chain"]);
        Assert.Contains("u32 chain 5 terminal flowid mark 0x0005/0x00ff (success 0) action order 1: mirred (Egress Mirror to device 5) pipe", marking.Summary);
        Assert.Equal(5u, Dumped(40, 0x80300800).Attributes["chain"]);

        var indev = Dumped(50, 0x80400800);
        Assert.Equal("v0", Options(indev)["indev"]);
        Assert.Equal(0x10001u, Options(indev)["classid"]);
        Assert.Equal(0x00110000u, F(F(Options(indev)["sel"])["key1"])["val"]);      // ip protocol 17
        Assert.Contains("*flowid 1:1 not_in_hw match 0a000000/ff000000 at 12 match 00110000/00ff0000 at 8 input dev v0", indev.Summary);
    }

    [Fact]
    public void U32HashTablesLinksAndBuckets()
    {
        var filters = Replies(Fixture, "RTM_NEWTFILTER").Where(m => (int)m.Header["ifindex"]! == 2).ToList();
        Assert.Equal(256u, Options(filters.First(m => (uint)m.Header["handle"]! == 0x00200000))["divisor"]);
        var linked = filters.First(m => (uint)m.Header["handle"]! == 0x80000800);
        Assert.Equal(0x00200000u, Options(linked)["link"]);
        Assert.Equal(0xffu, F(Options(linked)["sel"])["hmask"]);
        Assert.Equal((short)12, F(Options(linked)["sel"])["hoff"]);
        Assert.Contains("fh 800::800 order 2048 key ht 800 bkt 0 link 2: not_in_hw match 0a000000/ff000000 at 12 hash mask 000000ff at 12", linked.Summary);
        var hashed = filters.First(m => (uint)m.Header["handle"]! == 0x00207800);
        Assert.Contains("filter dev 2 parent 1: protocol ip pref 5 u32 chain 0 fh 2:7:800 order 2048 key ht 2 bkt 7 *flowid 1:7", hashed.Summary);
    }

    [Fact]
    public void ChainsAndRequests()
    {
        var chains = Replies(Fixture, "RTM_NEWCHAIN").Select(m => (uint)m.Attributes["chain"]!).ToList();
        Assert.Equal(new uint[] { 0, 5, 0, 7 }, chains);
        var summaries = TcFixture.Tc(Fixture).Where(m => m.Direction == NetlinkDirection.ToKernel).Select(m => m.Summary).ToList();
        Assert.Contains("add chain dev 3 egress chain 7", summaries);
        Assert.Contains("del chain dev 3 egress chain 7", summaries);
        Assert.Contains("dump chain dev 3 ingress", summaries);
        Assert.Contains("dump filter dev 3 ingress", summaries);
        Assert.Contains("dump filter dev 3 ingress chain 5", summaries);
        Assert.Contains("get filter dev 3 ingress protocol all pref 49152 u32 fh 800::800 order 2048", summaries);
        Assert.Contains("del filter dev 3 ingress protocol ipv6 pref 30", summaries);
        Assert.Contains("del filter dev 3 egress", summaries);
        Assert.Contains("add filter dev 3 ingress protocol all u32 terminal flowid match 00000000/00000000 at 0 action order 1: mirred (Egress Mirror to device 5) pipe", summaries);
    }

    /// <summary>From PowerShell the options read as nested hashtables and the action list as an array.</summary>
    [Fact]
    public void PowerShellReadsTheNestedOptions()
    {
        using var host = new PowerShellHost();
        var r = host.Run("$m.Attributes.options.act[0].options.parms.eaction; $m.Attributes.options.sel.key0.val; $m.Header.parent",
            new Dictionary<string, object?> { ["m"] = Dumped(10, 0x80100800) });
        Assert.Null(r.Terminating);
        Assert.Equal(new[] { "egress_redir", "167838211", "4294967283" }, r.Output.Select(o => o.ToString()));
    }

    /// <summary>The kernel answers a get with the request's flags (NLM_F_REQUEST too): still read as the kernel's.</summary>
    [Fact]
    public void GetReplyIsReadAsTheKernels()
    {
        var reply = Messages(Fixture).First(m => m.TypeName == "RTM_NEWTFILTER" && m.FlagNames.SequenceEqual(new[] { "REQUEST", "ECHO" }));
        Assert.True(reply.DirectionInferred);
        Assert.StartsWith("filter dev 3 ingress protocol all pref 49152 u32 chain 0 fh 800::800", reply.Summary);
    }

    /// <summary>flower, matchall, basic, fw: not on this kernel, so their requests are what there is.</summary>
    [Fact]
    public void FlowerMatchallBasicFwRequests()
    {
        var requests = Requests(Fixture, "RTM_NEWTFILTER").ToList();
        var flower = Options(requests.First(m => (string?)m.Attributes["kind"] == "flower" && (uint)m.Header["info"]! >> 16 == 60));
        Assert.Equal("02:00:00:00:00:01", flower["key_eth_dst"]);
        Assert.Equal("ip", flower["key_eth_type"]);
        Assert.Equal("tcp", flower["key_ip_proto"]);
        Assert.Equal(IPAddress.Parse("192.0.2.0"), flower["key_ipv4_src"]);
        Assert.Equal(IPAddress.Parse("255.255.255.0"), flower["key_ipv4_src_mask"]);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), flower["key_ipv4_dst"]);
        Assert.Equal((ushort)80, flower["key_tcp_dst"]);
        Assert.Equal((ushort)1024, flower["key_tcp_src"]);
        Assert.Equal(new[] { "skip_hw" }, flower["flags"]);
        Assert.Contains(requests, m => m.Summary == "add filter dev 3 ingress protocol ip pref 60 flower dst_mac 02:00:00:00:00:01 eth_type ipv4 ip_proto tcp "
            + "dst_ip 10.0.0.1 src_ip 192.0.2.0/24 dst_port 80 src_port 1024 skip_hw action order 1: mirred (Egress Redirect to device 5) stolen");

        var vlan = Options(requests.First(m => (string?)m.Attributes["kind"] == "flower" && (uint)m.Header["info"]! >> 16 == 61));
        Assert.Equal((ushort)100, vlan["key_vlan_id"]);
        Assert.Equal((byte)3, vlan["key_vlan_prio"]);
        Assert.Equal("ip", vlan["key_vlan_eth_type"]);
        Assert.Equal("802.1Q", vlan["key_eth_type"]);

        var matchall = requests.First(m => (string?)m.Attributes["kind"] == "matchall");
        Assert.Equal(new[] { "skip_sw" }, Options(matchall)["flags"]);
        Assert.Equal("add filter dev 3 ingress protocol all pref 62 matchall skip_sw action order 1: mirred (Egress Mirror to device 5) pipe", matchall.Summary);

        Assert.Equal(0x10001u, Options(requests.First(m => (string?)m.Attributes["kind"] == "basic"))["classid"]);
        var fw = requests.First(m => (string?)m.Attributes["kind"] == "fw");
        Assert.Equal(5u, fw.Header["handle"]);
        Assert.Equal(0x10005u, Options(fw)["classid"]);

        var police = Options(requests.First(m => Options(m).Contains("police")));
        var tbf = F(F(police["police"])["tbf"]);
        Assert.Equal(125000u, F(tbf["rate"])["rate"]);
        Assert.Equal("shot", tbf["action"]);
        Assert.Contains(requests, m => m.Summary.EndsWith("police 0x0 rate 1Mbit burst 10Kb mtu 0b action drop overhead 0b", StringComparison.Ordinal));

        var error = Messages(Fixture).First(m => m.Error?.ExtendedMessage == "TC classifier not found").Error!;
        Assert.Equal("flower", error.Request!.Attributes["kind"]);
    }
}
