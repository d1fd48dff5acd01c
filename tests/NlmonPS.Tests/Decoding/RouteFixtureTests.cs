using System.Net;
using System.Text.Json;
using NlmonPS.Decoding;
using NlmonPS.Protocols.Route;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// The native fixtures (tests/fixtures/native/route-*.pcap, recorded by record-route.sh) decoded and checked against
/// what the same `ip`/`bridge` commands printed (route-*.txt, JSON where the command has it).
/// </summary>
public class RouteFixtureTests
{
    private static List<NetlinkMessage> Messages(string scenario) =>
        global::NlmonPS.Tests.Fixtures.Decode(ModuleLoader.Fixture($"native/route-{scenario}.pcap"));

    /// <summary>What a command printed, from route-SCENARIO.txt ("$ command" lines head each output).</summary>
    private static string Output(string scenario, string command)
    {
        string? current = null;
        var text = new System.Text.StringBuilder();
        foreach (var line in File.ReadLines(ModuleLoader.Fixture($"native/route-{scenario}.txt")))
        {
            if (line.StartsWith("$ ", StringComparison.Ordinal)) { if (current == command) break; current = line[2..]; continue; }
            if (current == command) text.AppendLine(line);
        }
        Assert.True(text.Length > 0, $"no output of '{command}' in route-{scenario}.txt");
        return text.ToString();
    }

    private static JsonElement[] Json(string scenario, string command) =>
        JsonDocument.Parse(Output(scenario, command)).RootElement.EnumerateArray().ToArray();

    /// <summary>Device indexes by name, from the recorded `ip -d -j link show`.</summary>
    private static readonly Lazy<Dictionary<string, int>> Indexes = new(() =>
        Json("link", "ip -d -j link show").ToDictionary(l => l.GetProperty("ifname").GetString()!, l => l.GetProperty("ifindex").GetInt32()));

    private static int Index(string name) => Indexes.Value[name];

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.ToString() : null;

    private static IEnumerable<NetlinkMessage> FromKernel(IEnumerable<NetlinkMessage> messages, string type) =>
        messages.Where(m => m.Direction == NetlinkDirection.FromKernel && m.TypeName == type);

    [Fact]
    public void LinksMatchIpLinkShow()
    {
        var messages = Messages("link");
        var links = Json("link", "ip -d -j link show");
        Assert.Equal(10, links.Length);
        foreach (var link in links)
        {
            int index = link.GetProperty("ifindex").GetInt32();
            var m = FromKernel(messages, "RTM_NEWLINK").Last(m => (int)m.Header["index"]! == index);
            var a = m.Attributes;
            Assert.Equal(Str(link, "ifname"), a["ifname"]);
            Assert.Equal(link.GetProperty("mtu").GetUInt32(), a["mtu"]);
            Assert.Equal(Str(link, "address"), a["address"]);
            Assert.Equal(Str(link, "operstate"), a["operstate"]);
            if (!link.TryGetProperty("linkinfo", out var info)) continue;
            var linkinfo = (NetlinkFields)a["linkinfo"]!;
            Assert.Equal(Str(info, "info_kind"), linkinfo["kind"]);
            if (info.TryGetProperty("info_data", out var data))
            {
                var decoded = (NetlinkFields)linkinfo["data"]!;
                foreach (var key in new[] { "id", "ttl", "ageing", "forward_delay", "hello_time", "max_age", "ageing_time", "stp_state", "priority", "mcast_hash_max", "bcqueuelen" })
                    if (data.TryGetProperty(key, out var expected))
                        Assert.Equal(expected.ToString(), NetlinkFields.Format(decoded[key == "bcqueuelen" ? "bc_queue_len" : key]));
                if (data.TryGetProperty("mode", out var mode)) Assert.Equal(mode.GetString(), decoded["mode"]);
                if (data.TryGetProperty("port", out var port)) Assert.Equal(port.GetUInt16(), decoded["port"]);
                if (data.TryGetProperty("group", out var group)) Assert.Equal(IPAddress.Parse(group.GetString()!), decoded["group"]);
                if (data.TryGetProperty("remote6", out var remote6)) Assert.Equal(IPAddress.Parse(remote6.GetString()!), decoded["group6"]);
                if (data.TryGetProperty("local6", out var local6)) Assert.Equal(IPAddress.Parse(local6.GetString()!), decoded["local6"]);
                if (data.TryGetProperty("port_range", out var range))
                {
                    var r = (NetlinkFields)decoded["port_range"]!;
                    Assert.Equal(range.GetProperty("low").GetUInt16(), r["low"]);
                    Assert.Equal(range.GetProperty("high").GetUInt16(), r["high"]);
                }
                if (data.TryGetProperty("link", out var lower)) Assert.Equal((uint)Index(lower.GetString()!), decoded["link"]);
            }
            if (info.TryGetProperty("info_slave_data", out var slave))
            {
                var port = (NetlinkFields)linkinfo["slave_data"]!;
                Assert.Equal(Str(info, "info_slave_kind"), linkinfo["slave_kind"]);
                Assert.Equal(slave.GetProperty("state").GetString(), port["state"]);
                Assert.Equal(slave.GetProperty("priority").GetUInt16(), port["priority"]);
                Assert.Equal(slave.GetProperty("cost").GetUInt32(), port["cost"]);
                Assert.Equal(slave.GetProperty("designated_port").GetUInt16(), port["designated_port"]);
            }
        }
    }

    [Fact]
    public void VethRequestCarriesThePeerAsALinkMessage()
    {
        var add = Messages("link").First(m => m.Direction == NetlinkDirection.ToKernel && m.TypeName == "RTM_NEWLINK" && (string?)m.Attributes["ifname"] == "veth0");
        var peer = (NetlinkFields)((NetlinkFields)((NetlinkFields)add.Attributes["linkinfo"]!)["data"]!)["peer"]!;
        Assert.Equal("veth1", peer["ifname"]);
        Assert.Equal("02:00:00:00:00:02", peer["address"]);
        Assert.Equal("unspec", peer["family"]); // the ifinfomsg ahead of the peer's attributes
        Assert.Equal("add veth0: type veth address 02:00:00:00:00:01", add.Summary);
    }

    [Fact]
    public void AddressesMatchIpAddrShow()
    {
        var messages = FromKernel(Messages("addr"), "RTM_NEWADDR").ToList();
        int checkedCount = 0;
        foreach (var link in Json("addr", "ip -j addr show"))
            foreach (var ai in link.GetProperty("addr_info").EnumerateArray())
            {
                var local = IPAddress.Parse(ai.GetProperty("local").GetString()!);
                var m = messages.Last(m => (uint)m.Header["index"]! == link.GetProperty("ifindex").GetUInt32() && Equals(m.Attributes["local"] ?? m.Attributes["address"], local));
                Assert.Equal(ai.GetProperty("prefixlen").GetByte(), m.Header["prefixlen"]);
                Assert.Equal(Str(ai, "family"), m.Header["family"]);
                Assert.Equal(Str(ai, "scope"), m.Header["scope"]);
                if (Str(ai, "label") is { } label) Assert.Equal(label, m.Attributes["label"]);
                if (Str(ai, "broadcast") is { } brd) Assert.Equal(IPAddress.Parse(brd), m.Attributes["broadcast"]);
                if (Str(ai, "address") is { } peer) Assert.Equal(IPAddress.Parse(peer), m.Attributes["address"]);
                Assert.Equal(ai.GetProperty("valid_life_time").GetUInt32(), ((NetlinkFields)m.Attributes["cacheinfo"]!)["valid"]);
                checkedCount++;
            }
        Assert.Equal(8, checkedCount);
        Assert.Contains(messages, m => m.Summary == "3: veth0:main inet 10.0.0.1/24 brd 10.0.0.255 scope global permanent");
    }

    [Fact]
    public void RoutesMatchIpRouteShow()
    {
        var messages = FromKernel(Messages("route"), "RTM_NEWROUTE").ToList();
        var tables = new Dictionary<string, object> { ["main"] = "main", ["local"] = "local", ["100"] = 100u };
        int checkedCount = 0;
        foreach (var r in Json("route", "ip -j -d route show table all").Concat(Json("route", "ip -j -6 route show")))
        {
            if (r.TryGetProperty("encap", out _)) continue; // iproute2's JSON repeats "dst" for the encap's own (checked by summary below)
            var dst = r.GetProperty("dst").GetString()!;
            if (dst == "default") dst = "0.0.0.0/0";
            var (address, length) = dst.Contains('/') ? (IPAddress.Parse(dst[..dst.IndexOf('/')]), byte.Parse(dst[(dst.IndexOf('/') + 1)..])) : (IPAddress.Parse(dst), (byte)(dst.Contains(':') ? 128 : 32));
            var table = tables.GetValueOrDefault(Str(r, "table") ?? "main", "main");
            var m = messages.LastOrDefault(m => Equals(m.Header["dst_len"], length) && Equals(m.Attributes["table"], table)
                && (length == 0 || Equals(m.Attributes["dst"], address)) && Equals(m.Header["type"], Str(r, "type") ?? "unicast")
                && (Str(r, "dev") is not { } dev || Equals(m.Attributes["oif"], (uint)Index(dev))));
            Assert.True(m is not null, $"no RTM_NEWROUTE for {dst} table {table}");
            var a = m.Attributes;
            if (Str(r, "gateway") is { } gw) Assert.Equal(IPAddress.Parse(gw), a["gateway"]);
            if (r.TryGetProperty("metric", out var metric)) Assert.Equal(metric.GetUInt32(), a["priority"]);
            if (Str(r, "prefsrc") is { } src) Assert.Equal(IPAddress.Parse(src), a["prefsrc"]);
            if (Str(r, "protocol") is { } proto) Assert.Equal(proto, m.Header["protocol"]);
            if (r.TryGetProperty("nexthops", out var hops))
            {
                var decoded = (NetlinkFields[])a["multipath"]!;
                Assert.Equal(hops.GetArrayLength(), decoded.Length);
                foreach (var (hop, d) in hops.EnumerateArray().Zip(decoded))
                {
                    Assert.Equal(IPAddress.Parse(hop.GetProperty("gateway").GetString()!), d["gateway"]);
                    Assert.Equal(Index(hop.GetProperty("dev").GetString()!), d["ifindex"]);
                    Assert.Equal(hop.GetProperty("weight").GetInt32(), (byte)d["hops"]! + 1);
                }
            }
            if (r.TryGetProperty("metrics", out var metrics))
            {
                var mx = (NetlinkFields)a["metrics"]!;
                var expected = metrics[0];
                Assert.Equal(expected.GetProperty("mtu").GetUInt32(), mx["mtu"]);
                Assert.Equal(expected.GetProperty("advmss").GetUInt32(), mx["advmss"]);
                Assert.Equal(expected.GetProperty("initcwnd").GetUInt32(), mx["initcwnd"]);
                Assert.Equal(expected.GetProperty("congestion").GetString(), mx["cc_algo"]);
                Assert.Contains("mtu", (string[])mx["lock"]!);
                Assert.Contains("ecn", (string[])mx["features"]!);
            }
            checkedCount++;
        }
        Assert.True(checkedCount >= 25, $"{checkedCount} routes checked");

        string Summary(string dst) => messages.Last(m => m.Summary.StartsWith(dst, StringComparison.Ordinal)).Summary;
        Assert.Equal("10.77.0.0/16 via 10.0.0.2 dev veth0 proto static metric 50", Summary("10.77.0.0/16"));
        Assert.Equal("default via 10.0.0.254 dev veth0 table 100", Summary("default"));
        Assert.Equal("10.78.0.0/16 nexthop via 10.0.0.2 dev veth0 weight 1 nexthop via 10.0.0.3 dev veth0 weight 3", Summary("10.78.0.0/16"));
        Assert.Equal("10.80.0.0/16 encap seg6 mode encap segs 2001:db8::5 dev veth0 scope link", Summary("10.80.0.0/16"));
        Assert.StartsWith("10.81.0.0/16 encap ip id 7 dst 10.0.0.50", Summary("10.81.0.0/16"));
        Assert.Equal("10.83.0.0/16 via inet6 fe80::1 dev veth0", Summary("10.83.0.0/16"));
        Assert.Equal("2001:db8:99::/48 via 2001:db8::2 dev veth0 metric 1024 pref high", Summary("2001:db8:99::/48"));
    }

    [Fact]
    public void RouteLookupsCarryTheirSelectors()
    {
        var get = Messages("route").First(m => m.Direction == NetlinkDirection.ToKernel && m.TypeName == "RTM_GETROUTE" && m.Attributes["ip_proto"] is not null);
        Assert.Equal("tcp", get.Attributes["ip_proto"]);
        Assert.Equal((ushort)1000, get.Attributes["sport"]);
        Assert.Equal((ushort)80, get.Attributes["dport"]);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), get.Attributes["dst"]);
    }

    [Fact]
    public void NeighboursMatchIpNeighShow()
    {
        var messages = FromKernel(Messages("neigh"), "RTM_NEWNEIGH").ToList();
        foreach (var n in Json("neigh", "ip -j -s neigh show"))
        {
            var dst = IPAddress.Parse(n.GetProperty("dst").GetString()!);
            var m = messages.Last(m => Equals(m.Attributes["dst"], dst));
            Assert.Equal(Index(n.GetProperty("dev").GetString()!), m.Header["ifindex"]);
            Assert.Equal(Str(n, "lladdr"), m.Attributes["lladdr"]);
            Assert.Equal(n.GetProperty("state").EnumerateArray().Select(s => s.GetString()), (string[])m.Header["state"]!);
            Assert.Equal(n.GetProperty("probes").GetUInt32(), m.Attributes["probes"]);
        }
        Assert.Contains(messages, m => m.Summary == "10.0.0.2 dev veth0 lladdr 02:00:00:00:00:02 PERMANENT");
        Assert.Contains(messages, m => m.Summary == "2001:db8::2 dev veth0 lladdr 02:00:00:00:00:12 router STALE");
        Assert.Contains(messages, m => m.Summary == "proxy 10.0.0.77 dev veth0");
        // `ip ntable change ... queue 20` sends NDTPA_QUEUE_LEN; the kernel keeps it as bytes (20 * 2090).
        var set = Messages("neigh").Single(m => m.TypeName == "RTM_SETNEIGHTBL");
        Assert.Equal(20u, ((NetlinkFields)set.Attributes["parms"]!)["queue_len"]);
        var table = FromKernel(Messages("neigh"), "RTM_NEWNEIGHTBL").Last(m => (m.Attributes["parms"] as NetlinkFields)?["ifindex"] is uint i && i == 3 && (string?)m.Attributes["name"] == "arp_cache");
        Assert.Equal(41800u, ((NetlinkFields)table.Attributes["parms"]!)["queue_lenbytes"]);
    }

    [Fact]
    public void RulesMatchIpRuleShow()
    {
        var messages = FromKernel(Messages("rule"), "RTM_NEWRULE").ToList();
        foreach (var r in Json("rule", "ip -j rule show"))
        {
            uint priority = r.GetProperty("priority").GetUInt32();
            var m = messages.Last(m => (m.Attributes["priority"] as uint? ?? 0) == priority && Equals(m.Header["family"], "inet"));
            if (Str(r, "src") is { } src && src != "all") Assert.Equal(IPAddress.Parse(src), m.Attributes["src"]);
            if (r.TryGetProperty("srclen", out var srclen)) Assert.Equal(srclen.GetByte(), m.Header["src_len"]);
            if (Str(r, "iif") is { } iif) Assert.Equal(iif, m.Attributes["iifname"]);
            if (Str(r, "oif") is { } oif) Assert.Equal(oif, m.Attributes["oifname"]);
            if (r.TryGetProperty("uid_start", out var uid)) Assert.Equal(uid.GetUInt32(), ((NetlinkFields)m.Attributes["uid_range"]!)["start"]);
            if (r.TryGetProperty("sport_start", out var sport)) Assert.Equal(sport.GetUInt16(), ((NetlinkFields)m.Attributes["sport_range"]!)["start"]);
            if (r.TryGetProperty("goto", out var target)) Assert.Equal(target.GetUInt32(), m.Attributes["goto"]);
            if (r.TryGetProperty("tun_id", out var tun)) Assert.Equal(tun.GetUInt64(), m.Attributes["tun_id"]);
        }
        Assert.Contains(messages, m => m.Summary == "100: from 10.0.0.0/8 lookup 100");
        Assert.Contains(messages, m => m.Summary == "101: from all fwmark 0x10/0xff iif veth0 lookup 101");
        Assert.Contains(messages, m => m.Summary == "102: from all to 192.168.0.0/16 oif veth0 uidrange 1000-2000 prohibit");
        Assert.Contains(messages, m => m.Summary == "103: from all ipproto tcp sport 1000-2000 dport 80 lookup main suppress_prefixlength 0");
        Assert.Contains(messages, m => m.Summary == "0: from all lookup local proto kernel");
    }

    [Fact]
    public void NexthopsMatchIpNexthopShow()
    {
        var messages = FromKernel(Messages("nexthop"), "RTM_NEWNEXTHOP").ToList();
        foreach (var n in Json("nexthop", "ip -j nexthop show"))
        {
            uint id = n.GetProperty("id").GetUInt32();
            var a = messages.Last(m => Equals(m.Attributes["id"], id)).Attributes;
            if (Str(n, "gateway") is { } gw) Assert.Equal(IPAddress.Parse(gw), a["gateway"]);
            if (Str(n, "dev") is { } dev) Assert.Equal((uint)Index(dev), a["oif"]);
            Assert.Equal(n.TryGetProperty("blackhole", out _), a["blackhole"] is true);
            Assert.Equal(n.TryGetProperty("fdb", out _), a["fdb"] is true);
            if (n.TryGetProperty("group", out var group))
            {
                var entries = (NetlinkFields[])a["group"]!;
                Assert.Equal(group.EnumerateArray().Select(g => g.GetProperty("id").GetUInt32()), entries.Select(e => (uint)e["id"]!));
                Assert.Equal(group.EnumerateArray().Select(g => g.TryGetProperty("weight", out var w) ? w.GetInt32() : 1), entries.Select(e => (byte)e["weight"]! + 1));
            }
        }
        Assert.Contains(messages, m => m.Summary == "id 1 via 10.0.0.2 dev veth0 scope link");
        Assert.Contains(messages, m => m.Summary == "id 10 group 1/2,3");
        Assert.Contains(messages, m => m.Summary == "id 3 blackhole");
        Assert.Contains(FromKernel(Messages("nexthop"), "RTM_NEWROUTE"), m => m.Summary.StartsWith("10.90.0.0/16 nhid 10 nexthop via 10.0.0.2", StringComparison.Ordinal));
        Assert.Equal(8, FromKernel(Messages("nexthop"), "RTM_NEWNEXTHOPBUCKET").Count());
    }

    [Fact]
    public void NetconfMatchesIpNetconfShow()
    {
        var messages = FromKernel(Messages("netconf"), "RTM_NEWNETCONF").ToList();
        foreach (var c in Json("netconf", "ip -j netconf show"))
        {
            var dev = c.GetProperty("interface").GetString()!;
            object ifindex = dev is "all" or "default" ? dev : Index(dev);
            var m = messages.Last(m => Equals(m.Header["family"], Str(c, "family")) && Equals(m.Attributes["ifindex"], ifindex));
            Assert.Equal(c.GetProperty("forwarding").GetBoolean() ? 1 : 0, m.Attributes["forwarding"]);
            if (Str(c, "rp_filter") is { } rp) Assert.Equal(rp, m.Attributes["rp_filter"]);
        }
        Assert.Contains(messages, m => m.Summary.StartsWith("inet all forwarding off rp_filter off", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Summary.StartsWith("inet6 default forwarding off", StringComparison.Ordinal));
    }

    [Fact]
    public void StatsMatchIpStatsShow()
    {
        var messages = FromKernel(Messages("stats"), "RTM_NEWSTATS").ToList();
        var expected = Json("stats", "ip -j stats show dev veth0 group link")[0].GetProperty("stats64");
        var link = (NetlinkFields)messages.First(m => m.Attributes["link_64"] is not null).Attributes["link_64"]!;
        Assert.Equal(expected.GetProperty("rx").GetProperty("bytes").GetUInt64(), link["rx_bytes"]);
        Assert.Equal(expected.GetProperty("tx").GetProperty("packets").GetUInt64(), link["tx_packets"]);
        var stp = Json("stats", "ip -j stats show dev veth1 group xstats_slave").First(s => Str(s, "suite") == "stp").GetProperty("stp");
        var slave = messages.First(m => m.Attributes["link_xstats_slave"] is not null).Attributes["link_xstats_slave"] as NetlinkFields;
        var decodedStp = (NetlinkFields)((NetlinkFields)slave!["bridge"]!)["stp"]!;
        Assert.Equal(stp.GetProperty("tx_bpdu").GetUInt64(), decodedStp["tx_bpdu"]);
        Assert.Equal(stp.GetProperty("transition_fwd").GetUInt64(), decodedStp["transition_fwd"]);
    }

    [Fact]
    public void BridgeFdbMdbAndVnisMatchBridgeShow()
    {
        var messages = Messages("bridge");
        var fdb = FromKernel(messages, "RTM_NEWNEIGH").Where(m => Equals(m.Header["family"], "bridge")).ToList();
        foreach (var e in Json("bridge", "bridge -j -d fdb show"))
        {
            var ifindex = Index(e.GetProperty("ifname").GetString()!);
            var dst = Str(e, "dst") is { } d ? IPAddress.Parse(d) : null;
            Assert.Contains(fdb, m => Equals(m.Attributes["lladdr"], e.GetProperty("mac").GetString()) && Equals(m.Header["ifindex"], ifindex)
                && (dst is null || Equals(m.Attributes["dst"], dst)));
        }
        Assert.Contains(fdb, m => m.Summary == "02:00:00:00:00:99 dev veth1 master br0 static");
        Assert.Contains(fdb, m => m.Summary == "02:00:00:00:00:77 dev vx0 dst 10.0.0.6 vni 100 self permanent");

        var mdb = Json("bridge", "bridge -j -d mdb show")[0].GetProperty("mdb").EnumerateArray().ToList();
        var entries = messages.Where(m => m.Direction == NetlinkDirection.FromKernel && m.Attributes["mdb"] is NetlinkFields)
            .SelectMany(m => ((NetlinkFields)m.Attributes["mdb"]!).Select(f => (NetlinkFields)((NetlinkFields)f.Value!)["info"]!)).ToList();
        foreach (var e in mdb)
            Assert.Contains(entries, d => RouteSummaries.Group(d) == e.GetProperty("grp").GetString() && Equals(d["ifindex"], (uint)Index(e.GetProperty("port").GetString()!))
                && Equals(d["state"], e.GetProperty("state").GetString()));
        var add = messages.First(m => m.TypeName == "RTM_NEWMDB" && m.Direction == NetlinkDirection.ToKernel);
        Assert.Equal("add dev br0 port veth1 grp 239.1.1.1 permanent", add.Summary);

        var vnis = Json("bridge", "bridge -j vni show")[0].GetProperty("vnis")[0];
        var tunnel = FromKernel(messages, "RTM_NEWTUNNEL").Single();
        var entry = (NetlinkFields)tunnel.Attributes["entry"]!;
        Assert.Equal(vnis.GetProperty("vni").GetUInt32(), entry["start"]);
        Assert.Equal(vnis.GetProperty("vniEnd").GetUInt32(), entry["end"]);
    }

    [Fact]
    public void BridgePortsCarryProtinfoAndAfSpecByFamily()
    {
        var messages = Messages("bridge");
        var port = FromKernel(messages, "RTM_NEWLINK").First(m => Equals(m.Header["family"], "bridge") && m.Attributes["protinfo"] is not null);
        var protinfo = (NetlinkFields)port.Attributes["protinfo"]!;
        Assert.Equal("forwarding", protinfo["state"]);
        var set = messages.First(m => m.TypeName == "RTM_SETLINK");
        var request = (NetlinkFields)set.Attributes["protinfo"]!;
        Assert.Equal(10u, request["cost"]);
        Assert.Equal((ushort)5, request["priority"]);
        Assert.Equal((byte)0, request["learning"]);
    }

    [Fact]
    public void NsidsMatchIpNetnsListId()
    {
        var messages = Messages("nsid");
        var expected = Json("nsid", "ip -j netns list-id")[0].GetProperty("nsid").GetInt32();
        Assert.Contains(FromKernel(messages, "RTM_NEWNSID"), m => Equals(m.Attributes["nsid"], expected) && m.Summary == $"nsid {expected}");
        var link = FromKernel(messages, "RTM_NEWLINK").Last(m => (string?)m.Attributes["ifname"] == "vp0");
        Assert.Equal(Json("nsid", "ip -j link show vp0")[0].GetProperty("link_netnsid").GetInt32(), link.Attributes["link_netnsid"]);
    }

    [Fact]
    public void AddressLabelsMatchIpAddrlabelList()
    {
        var messages = FromKernel(Messages("addr"), "RTM_NEWADDRLABEL").ToList();
        foreach (var l in Json("addr", "ip -j addrlabel list"))
            Assert.Contains(messages, m => Equals(m.Attributes["address"], IPAddress.Parse(l.GetProperty("address").GetString()!))
                && Equals(m.Header["prefixlen"], l.GetProperty("prefixlen").GetByte()) && Equals(m.Attributes["label"], l.GetProperty("label").GetUInt32()));
        Assert.Contains(messages, m => m.Summary == "prefix 2001:db8:5::/48 label 100");
    }

    [Fact]
    public void MonitorShowsDeletionsAsIpMonitorDoes()
    {
        var messages = Messages("monitor");
        Assert.Contains(messages, m => m.Summary.StartsWith("Deleted 14: mon0:", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Summary == "10.99.0.0/16 via 10.9.0.2 dev mon0 onlink");
        Assert.Contains(messages, m => m.Summary == "300: from 10.9.0.0/24 lookup 300");
        Assert.All(messages.Where(m => m.Sequence == 0 && m.Direction == NetlinkDirection.FromKernel), m => Assert.DoesNotContain("attributes)", m.Summary, StringComparison.Ordinal));
    }

    /// <summary>An nlmon capture from a stock Debian 6.1 kernel (recorded by the kernel/ rig): kinds this machine lacks.</summary>
    [Fact]
    public void StockKernelCaptureDecodesBondVlanAndTheirErrors()
    {
        var messages = global::NlmonPS.Tests.Fixtures.Decode(ModuleLoader.Fixture("route-link-addr.pcap"));
        NetlinkFields Data(string name) => (NetlinkFields)((NetlinkFields)messages.Last(m => m.TypeName == "RTM_NEWLINK" && (string?)m.Attributes["ifname"] == name
            && m.Attributes["linkinfo"] is NetlinkFields { } li && li["data"] is not null).Attributes["linkinfo"]!)["data"]!;
        Assert.Equal("active-backup", Data("bond0")["mode"]);
        Assert.Equal(100u, Data("bond0")["miimon"]);
        Assert.Equal((ushort)10, Data("d0.10")["id"]);
        Assert.Equal((byte)1, Data("br0")["vlan_filtering"]);
        var refused = messages.Single(m => m.Error?.Request?.Attributes["ifname"] is "bad0");
        Assert.NotEqual(0, refused.Error!.Errno);
        if (refused.Error.ErrorOffset is not null) Assert.Equal(".linkinfo.data.id", refused.Error.AttributePath);
    }
    /// <summary>
    /// IFLA_INET6_STATS and ICMP6STATS are named counters (they were bytes): 37 IPv6 counters from Debian's 6.1
    /// kernel, 38 from this machine's (OutTransmits was added in 6.3), each the u64 at its index, the first the count.
    /// </summary>
    [Theory]
    [InlineData("route-link-addr.pcap", 37)]
    [InlineData("native/route-link.pcap", 38)]
    public void Inet6StatisticsAreNamedCounters(string fixture, int counters)
    {
        var links = global::NlmonPS.Tests.Fixtures.Decode(ModuleLoader.Fixture(fixture))
            .Where(m => m.TypeName == "RTM_NEWLINK" && m.Attributes["af_spec"] is NetlinkFields { } af && af["inet6"] is NetlinkFields { } i6 && i6.Contains("stats")).ToList();
        Assert.NotEmpty(links);
        foreach (var m in links)
        {
            Assert.Null(m.MalformedReason);
            var inet6 = (NetlinkFields)((NetlinkFields)m.Attributes["af_spec"]!)["inet6"]!;
            foreach (var (name, count, first) in new[] { ("stats", counters, "num"), ("icmp6stats", 7, "num") })
            {
                var field = inet6.Field(name)!;
                var stats = Assert.IsType<NetlinkFields>(field.Value);
                Assert.Equal(count, stats.Count);
                Assert.Equal((ulong)count, stats[first]);
                for (int i = 0; i < count; i++)
                    Assert.Equal(BitConverter.ToUInt64(m.Bytes, field.Offset + 4 + i * 8), stats[i].Value);
            }
            var ip = (NetlinkFields)inet6["stats"]!;
            Assert.Equal(counters == 38, ip.Contains("outpkts"));
            Assert.IsType<ulong>(ip["reasm_overlaps"]);
        }
    }
}
