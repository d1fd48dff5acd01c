using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Conversation;

/// <summary>
/// Summaries name what the stream knows: interfaces by the names its own RTM_NEWLINK messages gave, link up/down,
/// and the request an ACK answers; on the traced conversation and on the nlmon captures recorded on 6.1.
/// </summary>
public class SummaryNamingTests
{
    private static List<NetlinkMessage> Traced() => Fixtures.Decode(TransactionTests.Traced);

    [Fact]
    public void RoutesAndNeighboursNameTheirDeviceAsIpDoes()
    {
        var messages = Traced();
        var lines = File.ReadAllLines(TransactionTests.Transcript);
        // The routes as the kernel sent them read as `ip route show table all` printed them (iproute2 adds the
        // trailing space and prints some attributes this summary leaves out, so compare what both print first).
        var routes = messages.Where(m => m.TypeName == "RTM_NEWROUTE" && m.Direction == NetlinkDirection.FromKernel).Select(m => m.Summary).ToList();
        Assert.Contains("10.77.0.0/16 via 10.0.0.2 dev d0", routes);
        Assert.Contains(lines, l => l.TrimEnd() == "10.77.0.0/16 via 10.0.0.2 dev d0");
        Assert.Contains("local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1", routes);
        Assert.DoesNotContain(routes, r => System.Text.RegularExpressions.Regex.IsMatch(r, @"dev \d"));

        var neighbour = messages.Single(m => m.TypeName == "RTM_NEWNEIGH" && m.Direction == NetlinkDirection.FromKernel && m.Summary.StartsWith("10.0.0.9 ", StringComparison.Ordinal));
        Assert.Equal("10.0.0.9 dev d0 lladdr 02:00:00:00:00:09 PERMANENT", neighbour.Summary);
        Assert.Contains(lines, l => l.TrimEnd() == neighbour.Summary);
        // The request names it too: ip sent index 3, the stream had taught d0.
        Assert.StartsWith("add 10.0.0.9 dev d0 ", messages.Single(m => m.TypeName == "RTM_NEWNEIGH" && m.Direction == NetlinkDirection.ToKernel).Summary);
        Assert.Contains(messages, m => m.Summary == "add qdisc clsact ffff: dev d0 parent ffff:fff1");
        // tc filter show printed "mirred (Egress Mirror to device d1) pipe": the request and the dump say it alike.
        Assert.Contains(File.ReadAllLines(TransactionTests.Transcript), l => l.Contains("mirred (Egress Mirror to device d1) pipe", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Direction == NetlinkDirection.ToKernel && m.Summary.EndsWith("mirred (Egress Mirror to device d1) pipe", StringComparison.Ordinal));
    }

    [Fact]
    public void LinkChangesSayUpOrDown()
    {
        var changes = Traced().Where(m => m.TypeName == "RTM_NEWLINK" && m.Direction == NetlinkDirection.ToKernel && m.Header["index"] is 3).ToList();
        Assert.Equal(new[] { "change 3: d0: down", "change 3: d0: up" }, changes.Select(m => m.Summary));
    }

    [Fact]
    public void AcksNameTheRequestTheyAnswer()
    {
        var messages = Traced();
        var acks = messages.Where(m => m.Error is { IsAck: true }).Select(m => m.Summary).ToList();
        Assert.Contains(acks, s => System.Text.RegularExpressions.Regex.IsMatch(s, @"^ACK to RTM_NEWLINK seq \d+$"));
        Assert.Contains("ACK to ETHTOOL_MSG_LINKSTATE_GET seq 6", acks);
        Assert.Contains("ACK to CTRL_CMD_GETFAMILY seq 1", acks);
        var linkstate = messages.Single(m => m.Error is { IsAck: true, RequestName: "ETHTOOL_MSG_LINKSTATE_GET" });
        // ethtool's ACKs are capped (NETLINK_CAP_ACK): the echo has no command; the request earlier in the stream does.
        Assert.Contains("CAPPED", linkstate.FlagNames);
        Assert.Null(linkstate.Error!.Request!.Command);
    }

    [Fact]
    public void TheNlmonCapturesOn61ReadAsTheIssueAsks()
    {
        // genl.pcap: ethtool's capped ACKs read "ACK to ETHTOOL_MSG_..." instead of "ACK (ethtool seq 6)".
        var genl = Fixtures.Decode(ModuleLoader.Fixture("genl.pcap"));
        Assert.Contains(genl, m => m.Summary == "ACK to ETHTOOL_MSG_STRSET_GET seq 1");
        Assert.DoesNotContain(genl, m => m.Summary.StartsWith("ACK (", StringComparison.Ordinal));
        // route-route-neigh-rule.pcap: its link dump names va, and routes through it say so.
        var routes = Fixtures.Decode(ModuleLoader.Fixture("route-route-neigh-rule.pcap"));
        Assert.Contains(routes, m => m.Summary == "192.0.2.0/24 dev va proto kernel scope link src 192.0.2.1");
        // route-link-addr.pcap: IPv6 addresses carry no label, so the link dump's name: "3: d0 inet6 ...", as ip monitor.
        var addresses = Fixtures.Decode(ModuleLoader.Fixture("route-link-addr.pcap"));
        Assert.Contains(addresses, m => m.Summary == "3: d0 inet6 fe80::ff:fe00:d0/64 scope link permanent");
    }

    [Fact]
    public void ANameHoldsFromWhenTheStreamTaughtIt()
    {
        // Messages decoded before the link dump keep their number, however late their summary is read.
        var messages = Traced();
        var decoder = new NetlinkDecoder();
        var record = new NetlinkRecord(messages.First(m => m.TypeName == "RTM_NEWROUTE" && m.Summary.Contains("10.77.0.0", StringComparison.Ordinal)).Bytes, NetlinkProtocol.Route)
        { Direction = NetlinkDirection.FromKernel };
        var before = decoder.Decode(record).Single();
        foreach (var link in messages.Where(m => m.TypeName == "RTM_NEWLINK" && m.Direction == NetlinkDirection.FromKernel))
            decoder.Decode(new NetlinkRecord(link.Bytes, NetlinkProtocol.Route) { Direction = NetlinkDirection.FromKernel });
        var after = decoder.Decode(record).Single();
        Assert.Equal("10.77.0.0/16 via 10.0.0.2 dev 3", before.Summary);
        Assert.Equal("10.77.0.0/16 via 10.0.0.2 dev d0", after.Summary);
    }

    [Fact]
    public void LinkNamesAreBounded()
    {
        var names = new LinkNames();
        for (int i = 1; i <= LinkNames.MaxLinks + 100; i++) names.Learn(i, System.Text.Encoding.UTF8.GetBytes($"x{i}"));
        Assert.Equal(LinkNames.MaxLinks, names.Count);
        for (int n = 0; n < 10; n++) names.Learn(1, System.Text.Encoding.UTF8.GetBytes($"rename{n}"));
        Assert.Equal("rename9", names.NameOf(1));
        Assert.Null(names.NameOf(1, 1));   // "x1" (version 1) fell out of the few names kept per index
        int version = names.Version;
        names.Learn(1, System.Text.Encoding.UTF8.GetBytes("rename9\0"));
        Assert.Equal(version, names.Version);   // the same name again is no change
    }
}
