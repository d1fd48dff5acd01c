using System.Net;
using NlmonPS.Decoding;
using Xunit;
using static NlmonPS.Tests.Decoding.TcFixture;

namespace NlmonPS.Tests.Decoding;

/// <summary>RTM_*ACTION from tc-action.pcap, and the notifications tc monitor received in tc-monitor.pcap.</summary>
public sealed class TcActionTests
{
    private const string Fixture = "tc-action";

    private static NetlinkFields[] Tab(NetlinkMessage m) => Assert.IsType<NetlinkFields[]>(m.Attributes["tab"]);

    [Fact]
    public void DumpListsActionsFromOrderZero()
    {
        var dump = Messages(Fixture).First(m => m.TypeName == "RTM_GETACTION" && m.FlagNames.Contains("MULTI") && m.Attributes.Contains("count"));
        Assert.Equal(2u, dump.Attributes["count"]);
        var tab = Tab(dump);
        Assert.Equal(2, tab.Length);

        var mirror = F(F(tab[0]["options"])["parms"]);
        Assert.Equal(5u, mirror["index"]);
        Assert.Equal("egress_mirror", mirror["eaction"]);
        Assert.Equal(5u, mirror["ifindex"]);
        Assert.Equal(2, mirror["refcnt"]);
        Assert.Equal(1, mirror["bindcnt"]);

        var redirect = F(F(tab[1]["options"])["parms"]);
        Assert.Equal("ingress_redir", redirect["eaction"]);
        Assert.Equal("stolen", redirect["action"]);
        Assert.Equal(new byte[] { 0x0a, 0x0b, 0x0c, 0x0d }, tab[1]["cookie"]);
        Assert.Equal(0u, tab[1]["in_hw_count"]);
        Assert.Equal(new[] { "immediate", "delayed" }, F(tab[1]["used_hw_stats"])["selector"]);

        Assert.StartsWith("total acts 2: action order 0: mirred (Egress Mirror to device 5) pipe index 5 ref 2 bind 1 Sent ", dump.Summary);
        Assert.Contains("; action order 1: mirred (Ingress Redirect to device 5) stolen index 6 ref 1 bind 0 cookie 0a0b0c0d Sent 0 bytes 0 pkt", dump.Summary);
    }

    [Fact]
    public void CountersOfTheBoundAction()
    {
        // Four frames sent on v1 reach v0's ingress, where the filter uses action 5.
        var dump = Messages(Fixture).Last(m => m.TypeName == "RTM_GETACTION" && m.Attributes.Contains("count"));
        var stats = F(Tab(dump)[0]["stats"]);
        Assert.Equal(4u, F(stats["basic"])["packets"]);
        Assert.True((ulong)F(stats["basic"])["bytes"]! > 0);
        Assert.Equal(0u, F(stats["queue"])["drops"]);
        Assert.Contains("Sent 336 bytes 4 pkt (dropped 0, overlimits 0 requeues 0)", dump.Summary);
    }

    [Fact]
    public void RequestVerbs()
    {
        var summaries = Messages(Fixture).Where(m => m.TypeName.EndsWith("ACTION", StringComparison.Ordinal) && m.Direction == NetlinkDirection.ToKernel)
            .Select(m => m.Summary).ToList();
        Assert.Contains("add action mirred (Egress Mirror to device 5) pipe index 5", summaries);
        Assert.Contains("add action mirred (Ingress Redirect to device 5) stolen index 6 cookie 0a0b0c0d", summaries);
        Assert.Contains("dump action mirred", summaries);
        Assert.Contains("get action mirred index 5", summaries);
        Assert.Contains("replace action mirred (Egress Redirect to device 5) stolen index 6", summaries);
        Assert.Contains("del action mirred index 6", summaries);
        Assert.Contains("flush action mirred", summaries);

        var dump = Requests(Fixture, "RTM_GETACTION").First(m => m.FlagNames.Contains("DUMP"));
        Assert.Equal(new[] { "large_dump_on" }, F(dump.Attributes["flags"])["value"]);

        // A filter binding an existing action by index sends an empty mirred.
        var bind = Requests(Fixture, "RTM_NEWTFILTER").Single();
        Assert.EndsWith("action order 1: mirred index 5", bind.Summary);
    }

    [Fact]
    public void GetReplyIsOneAction()
    {
        var reply = Messages(Fixture).First(m => m.TypeName == "RTM_GETACTION" && m.Direction == NetlinkDirection.FromKernel && !m.FlagNames.Contains("MULTI"));
        Assert.StartsWith("action order 1: mirred (Egress Mirror to device 5) pipe index 5 ref 2 bind 1", reply.Summary);
    }

    /// <summary>gact, police, skbedit, vlan, csum, pedit, nat, simple: this kernel lacks them; tc's requests decode.</summary>
    [Fact]
    public void RefusedKindsDecodeFromTheRequests()
    {
        NetlinkFields Kind(string kind) => F(Tab(Requests(Fixture, "RTM_NEWACTION").First(m => (string?)Tab(m)[0]["kind"] == kind))[0]["options"]);

        var gact = Kind("gact");
        Assert.Equal("shot", F(gact["parms"])["action"]);
        Assert.Equal(1u, F(gact["parms"])["index"]);
        Assert.Equal("determ", F(gact["prob"])["ptype"]);
        Assert.Equal((ushort)10, F(gact["prob"])["pval"]);
        Assert.Equal("ok", F(gact["prob"])["paction"]);

        var police = Kind("police");
        Assert.Equal(125000u, F(F(police["tbf"])["rate"])["rate"]);
        Assert.Equal("shot", F(police["tbf"])["action"]);
        Assert.Equal("pipe", police["result"]);
        Assert.Equal(1024, Assert.IsType<byte[]>(police["rate"]).Length);

        var skbedit = Kind("skbedit");
        Assert.Equal(5u, skbedit["mark"]);
        Assert.Equal(0x10001u, skbedit["priority"]);
        Assert.Equal((ushort)1, skbedit["queue_mapping"]);

        var vlan = Kind("vlan");
        Assert.Equal("push", F(vlan["parms"])["v_action"]);
        Assert.Equal((ushort)5, vlan["push_vlan_id"]);
        Assert.Equal("802.1ad", vlan["push_vlan_protocol"]);
        Assert.Equal((byte)3, vlan["push_vlan_priority"]);

        Assert.Equal(new[] { "iph", "tcp", "udp" }, F(Kind("csum")["parms"])["update_flags"]);

        var pedit = F(Kind("pedit")["parms_ex"]);
        Assert.Equal((byte)1, pedit["nkeys"]);
        Assert.Equal(8u, F(pedit["key0"])["off"]);
        Assert.Equal(0x03000000u, F(pedit["key0"])["val"]);
        Assert.Equal(0x00ffffffu, F(pedit["key0"])["mask"]);
        Assert.Equal("ip4", F(F(Kind("pedit")["keys_ex"])["key_ex"])["htype"]);

        var nat = F(Kind("nat")["parms"]);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), nat["old_addr"]);
        Assert.Equal(IPAddress.Parse("10.1.1.1"), nat["new_addr"]);
        Assert.Equal("hello", Kind("simple")["data"]);

        var summaries = Requests(Fixture, "RTM_NEWACTION").Select(m => m.Summary).ToList();
        Assert.Contains("add action gact action drop random type determ pass val 10 index 1", summaries);
        Assert.Contains("add action police 0x2 rate 1Mbit burst 10Kb mtu 0b action drop/pipe overhead 0b", summaries);
        Assert.Contains("add action vlan push id 5 protocol 802.1ad priority 3 pipe", summaries);
        Assert.Contains("add action pedit action pass keys 1 key #0 at 8: val 03000000 mask 00ffffff", summaries);
        Assert.Contains("add action Simple <hello>", summaries);
        Assert.All(Messages(Fixture).Where(m => m.Error is { IsAck: false }), m => Assert.Equal("Failed to load TC action module", m.Error!.ExtendedMessage));
    }

    /// <summary>tc monitor: what the kernel announced while qdiscs, classes, filters and actions came and went.</summary>
    [Fact]
    public void MonitorNotifications()
    {
        var kernel = Messages("tc-monitor").Where(m => m.Direction == NetlinkDirection.FromKernel || m.Summary.StartsWith("added", StringComparison.Ordinal)).Select(m => m.Summary).ToList();
        Assert.Contains(kernel, s => s.StartsWith("qdisc clsact ffff: dev 3 parent ffff:fff1", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("deleted qdisc noqueue 0: dev 3 root refcnt 2", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("qdisc htb 1: dev 3 root r2q 10 default 0x10 direct_packets_stat 0 direct_qlen 1000", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("class htb 1:10 dev 3 root prio 0 rate 1Mbit ceil 1Mbit burst 1600b cburst 1600b", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("added chain dev 3 parent ffff: chain 0", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("added filter dev 3 ingress protocol ip pref 7 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 terminal flowid not_in_hw match 0a010203/ffffffff at 16 action order 1: mirred (Egress Mirror to device 5) pipe index 1 ref 1 bind 1", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("added action order 1: mirred (Egress Redirect to device 5) stolen index 9 ref 1 bind 0", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("deleted action order 1: mirred (Egress Redirect to device 5) stolen index 9 ref 0 bind 0", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("deleted chain dev 3 parent ffff: chain 0", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("deleted class htb 1:10 dev 3 root", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("deleted qdisc htb 1: dev 3 root", StringComparison.Ordinal));
        Assert.Contains(kernel, s => s.StartsWith("deleted qdisc clsact ffff: dev 3 parent ffff:fff1 refcnt 0", StringComparison.Ordinal));
    }
}
