using NlmonPS.Conversation;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Conversation;

/// <summary>
/// Requests paired with their answers on real traffic: conversation.pcap (ip, tc, ss and ethtool traced natively, see
/// its transcript) and the nlmon captures recorded on Debian's 6.1 kernel.
/// </summary>
public class TransactionTests
{
    public static string Traced => ModuleLoader.Fixture("native/conversation.pcap");
    public static string Transcript => ModuleLoader.Fixture("native/conversation.txt");

    internal static List<NetlinkTransaction> Pair(IEnumerable<NetlinkMessage> messages, TransactionTrackerOptions? options = null)
    {
        var tracker = new TransactionTracker(options);
        var done = new List<NetlinkTransaction>();
        foreach (var m in messages) tracker.Add(m, done);
        tracker.Complete(done);
        return done;
    }

    private static IEnumerable<NetlinkMessage> Answers(NetlinkTransaction t) =>
        t.Replies.Concat(t.Final is null ? Array.Empty<NetlinkMessage>() : new[] { t.Final });

    /// <summary>The lines a command printed in the transcript (its last run).</summary>
    private static List<string> Printed(string command)
    {
        var lines = File.ReadAllLines(Transcript);
        int at = Array.LastIndexOf(lines, "$ " + command);   // the last run of a command given twice
        Assert.True(at >= 0, $"'{command}' is not in the transcript");
        return lines.Skip(at + 1).TakeWhile(l => !l.StartsWith("$ ", StringComparison.Ordinal)).ToList();
    }

    [Fact]
    public void EveryRequestOfIpTcSsAndEthtoolIsPairedByItsSequenceNumber()
    {
        var messages = Fixtures.Decode(Traced);
        var transactions = Pair(messages);
        var requests = messages.Where(m => m.Direction == NetlinkDirection.ToKernel).ToList();

        // Each request is in exactly one transaction, and every transaction has its request: nothing lost, nothing orphaned.
        Assert.Equal(requests.Count, transactions.Count);
        Assert.All(requests, r => Assert.Single(transactions, t => ReferenceEquals(t.Request, r)));
        Assert.All(transactions, t => Assert.Contains(t.Status, new[] { TransactionStatus.Answered, TransactionStatus.Error }));

        // Every answer carries its request's sequence number and the port the kernel gave the requester.
        foreach (var t in transactions)
        {
            Assert.NotNull(t.Request);
            Assert.All(Answers(t), a =>
            {
                Assert.Equal(t.Request!.Sequence, a.Sequence);
                Assert.Equal(t.PortId, a.PortId);
                Assert.Equal(NetlinkDirection.FromKernel, a.Direction);
            });
            Assert.True(t.FirstAnswerLatency >= TimeSpan.Zero);
            Assert.Equal(Answers(t).Last().Timestamp - t.Request!.Timestamp, t.LastAnswerLatency);
            Assert.True(t.FirstAnswerLatency <= t.LastAnswerLatency);
            if (t.Final?.Error is { } e) Assert.Equal(t.Request.Sequence, e.Request!.Sequence);
        }

        // Every DONE, ACK and error of the capture ends exactly one transaction.
        foreach (var end in messages.Where(m => m.Type is Nl.NLMSG_DONE or Nl.NLMSG_ERROR))
            Assert.Single(transactions, t => ReferenceEquals(t.Final, end));
        // Every dump part is a reply of exactly one transaction.
        foreach (var part in messages.Where(m => (m.Flags & Nl.NLM_F_MULTI) != 0 && m.Type >= Nl.NLMSG_MIN_TYPE))
            Assert.Single(transactions, t => t.Replies.Contains(part));
    }

    [Fact]
    public void DumpsReturnWhatTheToolsPrinted()
    {
        var transactions = Pair(Fixtures.Decode(Traced));

        // ip -d link show: three links (lo, d1, d0), and a dump is a dump.
        var links = transactions.First(t => t.RequestType == "RTM_GETLINK" && t.IsDump);
        Assert.Equal(Printed("ip -d link show").Count(l => char.IsDigit(l[0])), links.ObjectCount);
        Assert.Equal(TransactionStatus.Answered, links.Status);
        Assert.Equal("NLMSG_DONE", links.Final!.TypeName);

        var routes = transactions.Single(t => t.RequestType == "RTM_GETROUTE");
        Assert.Equal(Printed("ip route show table all").Count, routes.ObjectCount);
        Assert.Equal(routes.ObjectCount, routes.Replies.Count);

        // ss -tan: the one listening socket of the namespace, and an empty IPv6 dump.
        var sockets = transactions.Where(t => t.RequestType == "SOCK_DIAG_BY_FAMILY").ToList();
        Assert.Equal(2, sockets.Count);
        Assert.Equal(Printed("ss -tan").Count(l => l.StartsWith("LISTEN", StringComparison.Ordinal)), sockets.Sum(t => t.ObjectCount));

        var qdiscs = transactions.Single(t => t.RequestType == "RTM_GETQDISC");
        Assert.Equal(Printed("tc qdisc show").Count(l => l.StartsWith("qdisc", StringComparison.Ordinal)), qdiscs.ObjectCount);
    }

    [Fact]
    public void RefusalsCarryTheKernelsErrno()
    {
        var transactions = Pair(Fixtures.Decode(Traced));
        // `ip route add` twice: ACK, then "RTNETLINK answers: File exists".
        var adds = transactions.Where(t => t.RequestType == "RTM_NEWROUTE").ToList();
        Assert.Equal(new[] { TransactionStatus.Answered, TransactionStatus.Error }, adds.Select(t => t.Status));
        Assert.Contains(Printed("ip route add 10.88.0.0/16 via 10.0.0.2 dev d0"), l => l == "RTNETLINK answers: File exists");
        Assert.Equal("EEXIST", adds[1].Error!.ErrorName);
        Assert.EndsWith("ms", adds[1].Summary);
        Assert.Contains("add 10.88.0.0/16 via 10.0.0.2 dev d0: EEXIST File exists in ", adds[1].Summary);

        var matchall = transactions.First(t => t.RequestType == "RTM_NEWTFILTER");
        Assert.Equal("ENOENT", matchall.Error!.ErrorName);
        Assert.Equal("TC classifier not found", matchall.Error.ExtendedMessage);

        // ethtool d0 on a veth: no Wake-on-LAN, no debug settings.
        Assert.Equal("EOPNOTSUPP", transactions.Single(t => t.RequestType == "ETHTOOL_MSG_WOL_GET").Error!.ErrorName);
        var state = transactions.Single(t => t.RequestType == "ETHTOOL_MSG_LINKSTATE_GET");
        Assert.Equal((TransactionStatus.Answered, 1, "ethtool"), (state.Status, state.ObjectCount, state.Family));
        Assert.Matches(@"^get ETHTOOL_MSG_LINKSTATE_GET dev d0: 1 object, ACK in \d+\.\d{3} ms$", state.Summary);
    }

    [Theory]
    [InlineData("route-link-addr.pcap")]
    [InlineData("route-route-neigh-rule.pcap")]
    [InlineData("tc.pcap")]
    [InlineData("sockdiag.pcap")]
    public void NlmonCapturesOnDebian61PairEveryRequest(string fixture)
    {
        var messages = Fixtures.Decode(ModuleLoader.Fixture(fixture));
        var transactions = Pair(messages);
        var requests = messages.Where(m => m.Direction == NetlinkDirection.ToKernel).ToList();
        Assert.Equal(requests.Count, transactions.Count);
        // Requests that asked for no ACK (ip addr flush's deletes) get none when they succeed; everything else is answered.
        Assert.All(transactions, t => Assert.True(t.Status is TransactionStatus.Answered or TransactionStatus.Error
            || t.Status == TransactionStatus.NotAcknowledged && (t.Request!.Flags & Nl.NLM_F_ACK) == 0, $"{t.Status}: {t.Summary}"));
        Assert.All(transactions, t => Assert.All(Answers(t), a => Assert.Equal(t.Request!.Sequence, a.Sequence)));
        foreach (var end in messages.Where(m => m.Type is Nl.NLMSG_DONE or Nl.NLMSG_ERROR))
            Assert.Single(transactions, t => ReferenceEquals(t.Final, end));
        // Notifications (ip monitor, tc monitor) are nobody's answer.
        var notifications = messages.Where(m => m.Direction == NetlinkDirection.FromKernel && m.Sequence == 0 && m.PortId == 0 && m.Type >= Nl.NLMSG_MIN_TYPE);
        Assert.All(notifications, n => Assert.DoesNotContain(transactions, t => t.Replies.Contains(n)));
    }

    [Fact]
    public void ANotificationCapturedBeforeItsRequestIsNobodysTransaction()
    {
        // tc monitor's capture: rtnetlink sent its copy of two requests (RTM_NEWACTION, RTM_DELTFILTER: the request's
        // header and flags, the requester's port id) to listeners before nlmon saw the requests themselves. They read as
        // requests and took the requests' ACKs (5.5 ms and 8.9 ms "latencies"; the requests NoAnswer). QA in real pwsh.
        var messages = Fixtures.Decode(ModuleLoader.Fixture("native/tc-monitor.pcap"));
        var transactions = Pair(messages);
        Assert.All(transactions, t => Assert.Equal(TransactionStatus.Answered, t.Status));
        foreach (var type in new[] { "RTM_NEWACTION", "RTM_DELTFILTER" })
        {
            var t = Assert.Single(transactions, t => t.RequestType == type);
            Assert.Equal(0u, t.Request!.PortId);
            Assert.True(t.Latency < TimeSpan.FromMilliseconds(2), $"{type}: {t.Latency}");
        }
    }

    [Fact]
    public void ALibnlRequestWithItsOwnPortIdIsNotTakenForANotification()
    {
        // A request that sets its port id (libnl does) and asks for nothing, then another tool's request of the same
        // type and sequence (both start at time(NULL)) a second later, with other flags: both are requests (the
        // review found the first dropped as "the kernel's copy" of the second).
        var start = new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        var decoder = new NetlinkDecoder();
        NetlinkMessage At(double seconds, byte[] data) => decoder.Decode(new NetlinkRecord(data, NetlinkProtocol.Route) { Timestamp = start.AddSeconds(seconds) }).Single();
        var ifinfo = new byte[16];
        var a = At(0, new MessageBuilder(16, Nl.NLM_F_REQUEST, 1000, 5555).AddBytes(ifinfo).ToArray());
        var b = At(1, new MessageBuilder(16, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK, 1000).AddBytes(ifinfo).ToArray());
        var ack = At(1.001, new MessageBuilder(Nl.NLMSG_ERROR, 0, 1000, 7777).AddBytes(new byte[4]).AddBytes(new MessageBuilder(16, 5, 1000).ToArray()).ToArray());
        var transactions = Pair(new[] { a, b, ack });
        Assert.Equal(2, transactions.Count);
        Assert.Contains(transactions, t => ReferenceEquals(t.Request, a) && t.Status == TransactionStatus.NotAcknowledged);
        Assert.Contains(transactions, t => ReferenceEquals(t.Request, b) && t.Status == TransactionStatus.Answered);
    }

    [Fact]
    public void AFailedFibLookupIsAnErrorWithItsErrno()
    {
        // NETLINK_FIB_LOOKUP answers in the request's own buffer, the errno in fib_result_nl.err: it counted as Answered.
        var fib = Pair(Fixtures.Decode(ModuleLoader.Fixture("native/nf-other.pcap"))).Where(t => t.Protocol == NetlinkProtocol.FibLookup).ToList();
        Assert.Equal(2, fib.Count);
        Assert.Equal(TransactionStatus.Answered, fib[0].Status);
        Assert.Null(fib[0].ErrorName);
        Assert.Equal(TransactionStatus.Error, fib[1].Status);
        Assert.Equal("EAGAIN", fib[1].ErrorName);
        Assert.EndsWith(": EAGAIN no route matches in 0.072 ms", fib[1].Summary);   // fib_table_lookup's "no match"
        Assert.Equal(0, fib[1].ObjectCount);
        var stats = new TransactionStatistics();
        foreach (var t in fib) stats.Add(t);
        var s = Assert.Single(stats.Results());
        Assert.Equal(1, s.Errors);
        Assert.Equal(1, s.ErrorsByErrno["EAGAIN"]);
    }

    [Fact]
    public void EthtoolOn61PairsTheAnswersTheCaptureHolds()
    {
        // genl.pcap lost a few ACKs (nlmon on 6.1): those requests are Incomplete or NoAnswer, never paired with another's answer.
        var messages = Fixtures.Decode(ModuleLoader.Fixture("genl.pcap"));
        var transactions = Pair(messages);
        Assert.DoesNotContain(transactions, t => t.Status == TransactionStatus.AnswerWithoutRequest);
        Assert.All(transactions, t => Assert.All(Answers(t), a => Assert.Equal(t.Request!.Sequence, a.Sequence)));
        Assert.All(transactions, t => Assert.True(Answers(t).All(a => a.Timestamp >= t.Request!.Timestamp)));
        Assert.All(transactions.Where(t => t.Status == TransactionStatus.Error), t => Assert.Equal(t.Request!.Type, t.Final!.Error!.Request!.Type));
        Assert.True(transactions.Count(t => t.Status is TransactionStatus.Answered or TransactionStatus.Error) >= transactions.Count - 3);
    }

    [Fact]
    public void AnswersWhoseRequestIsNotInTheStreamAreReportedAsSuch()
    {
        var messages = Fixtures.Decode(Traced);
        var dumpRequest = messages.First(m => m.Direction == NetlinkDirection.ToKernel && m.TypeName == "RTM_GETROUTE");
        var transactions = Pair(messages.Where(m => !ReferenceEquals(m, dumpRequest)));
        var orphan = Assert.Single(transactions, t => t.Status == TransactionStatus.AnswerWithoutRequest);
        Assert.Null(orphan.Request);
        Assert.Equal(14, orphan.ObjectCount);
        Assert.Equal("RTM_NEWROUTE", orphan.RequestType);
        Assert.Null(orphan.Latency);
        Assert.StartsWith("answer without its request (RTM_NEWROUTE seq ", orphan.Summary);
    }

    [Fact]
    public void UnansweredRequestsExpireByTimeoutAndCap()
    {
        var requests = Fixtures.Decode(Traced).Where(m => m.Direction == NetlinkDirection.ToKernel).ToList();
        // Without answers, a request waits until a message 1 ms younger arrives (capture time), then is given up.
        var tracker = new TransactionTracker(new TransactionTrackerOptions { Timeout = TimeSpan.FromMilliseconds(1) });
        var done = new List<NetlinkTransaction>();
        foreach (var r in requests) tracker.Add(r, done);
        Assert.True(tracker.Pending < requests.Count / 4);   // only the last few, sent within a millisecond of the end
        Assert.Equal((long)done.Count, tracker.TimedOut);
        tracker.Complete(done);
        Assert.Equal(requests.Count, done.Count);
        Assert.All(done, t => Assert.Contains(t.Status, new[] { TransactionStatus.NoAnswer, TransactionStatus.NotAcknowledged }));
        Assert.Equal(0, tracker.Pending);

        var capped = new TransactionTracker(new TransactionTrackerOptions { MaximumPending = 2, Timeout = TimeSpan.FromDays(1) });
        done.Clear();
        foreach (var r in requests) capped.Add(r, done);
        Assert.Equal(2, capped.Pending);
        Assert.Equal((long)requests.Count - 2, capped.Evicted);
        Assert.Equal(requests.Take(requests.Count - 2), done.Select(t => t.Request));
    }

    [Fact]
    public void RepliesKeptAreCappedButCounted()
    {
        var transactions = Pair(Fixtures.Decode(Traced), new TransactionTrackerOptions { MaximumReplies = 4 });
        var routes = transactions.Single(t => t.RequestType == "RTM_GETROUTE");
        Assert.Equal(14, routes.ObjectCount);
        Assert.Equal(4, routes.Replies.Count);
        Assert.True(routes.RepliesTruncated);
        Assert.Equal(TransactionStatus.Answered, routes.Status);
    }

    [Fact]
    public void StatisticsCountErrorsAndLatencyPercentilesPerRequestType()
    {
        var statistics = new TransactionStatistics();
        var transactions = Pair(Fixtures.Decode(Traced));
        foreach (var t in transactions) statistics.Add(t);
        var groups = statistics.Results();
        Assert.Equal(transactions.Count, groups.Sum(g => g.Count));
        Assert.Equal(groups.Count, groups.Select(g => (g.Protocol, g.Family, g.RequestType)).Distinct().Count());

        var routes = groups.Single(g => g.RequestType == "RTM_NEWROUTE");
        Assert.Equal((2, 1, 1), (routes.Count, routes.Answered, routes.Errors));
        Assert.Equal(1, routes.ErrorsByErrno["EEXIST"]);

        var ethtool = groups.Where(g => g.Family == "ethtool").ToList();
        Assert.Equal(2, ethtool.Sum(g => g.Errors));
        Assert.All(groups, g =>
        {
            Assert.Equal(g.Count, g.Timed);
            Assert.True(g.Minimum <= g.Median && g.Median <= g.Percentile90 && g.Percentile90 <= g.Percentile99 && g.Percentile99 <= g.Maximum);
            Assert.True(g.Minimum <= g.Average && g.Average <= g.Maximum);
        });
        Assert.Equal(100, groups.Sum(g => g.PercentTime), 1);
        // strace -c's order: the most time first.
        Assert.Equal(groups.OrderByDescending(g => g.Total).Select(g => g.Total), groups.Select(g => g.Total));

        var links = groups.Single(g => g.RequestType == "RTM_GETLINK");
        var latencies = transactions.Where(t => t.RequestType == "RTM_GETLINK").Select(t => t.LastAnswerLatency!.Value).OrderBy(l => l).ToList();
        Assert.Equal(latencies[^1], links.Maximum);
        Assert.Equal(latencies[(int)Math.Ceiling(0.5 * latencies.Count) - 1], links.Median);
    }

    [Theory]
    [InlineData(50, 5)]
    [InlineData(90, 9)]
    [InlineData(99, 10)]
    [InlineData(100, 10)]
    [InlineData(1, 1)]
    public void PercentilesAreNearestRank(double p, long expected)
    {
        var samples = Enumerable.Range(1, 10).Select(i => (long)i).ToList();
        Assert.Equal(TimeSpan.FromTicks(expected), TransactionStatistics.Percentile(samples, p));
        Assert.Null(TransactionStatistics.Percentile(new List<long>(), p));
    }
}
