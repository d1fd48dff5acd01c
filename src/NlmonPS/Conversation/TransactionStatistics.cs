using System.Collections.Specialized;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Conversation;

/// <summary>
/// What one kind of request cost, as `strace -c` gives it for a system call: how many, how many failed and with
/// which errno, how many objects they returned, and the latency distribution (to the last answer).
/// </summary>
public sealed class NetlinkTransactionStatistics
{
    public NetlinkProtocol Protocol { get; init; }
    /// <summary>The generic netlink family or netfilter subsystem.</summary>
    public string? Family { get; init; }
    /// <summary>The request: command (ETHTOOL_MSG_LINKSTATE_GET) or message type (RTM_GETLINK).</summary>
    public string RequestType { get; init; } = "";
    public int Count { get; init; }
    public int Answered { get; init; }
    public int Errors { get; init; }
    /// <summary>Errors by errno name (EOPNOTSUPP = 3), most frequent first.</summary>
    public OrderedDictionary ErrorsByErrno { get; init; } = new();
    /// <summary>Requests without their answer, or only part of it (NoAnswer, Incomplete).</summary>
    public int Unanswered { get; init; }
    /// <summary>Answers seen without their request.</summary>
    public int WithoutRequest { get; init; }
    /// <summary>Data messages (objects) the requests were answered with, summed.</summary>
    public long Objects { get; init; }
    /// <summary>How many latencies the figures below are made of (requests with both the request and an answer).</summary>
    public int Timed { get; init; }
    public TimeSpan? Minimum { get; init; }
    public TimeSpan? Average { get; init; }
    public TimeSpan? Median { get; init; }
    public TimeSpan? Percentile90 { get; init; }
    public TimeSpan? Percentile99 { get; init; }
    public TimeSpan? Maximum { get; init; }
    /// <summary>All latencies summed: the time the kernel spent on this kind of request, as `strace -c`'s seconds.</summary>
    public TimeSpan Total { get; init; }
    /// <summary>This group's share of the total time of every group, in percent (strace -c's "% time").</summary>
    public double PercentTime { get; init; }

    public override string ToString() => $"{RequestType}: {Count} calls, {Errors} errors";
}

/// <summary>
/// Adds up transactions per protocol, family and request type. Memory is one entry per group plus, per group, at most
/// <see cref="MaximumSamples"/> latencies for the percentiles (a uniform random sample past that; minimum, maximum,
/// average and counts stay exact).
/// </summary>
internal sealed class TransactionStatistics
{
    public const int MaximumSamples = 100_000;

    private sealed class Group
    {
        public required NetlinkProtocol Protocol;
        public required string? Family;
        public required string RequestType;
        public int Count, Answered, Errors, Unanswered, WithoutRequest, Timed;
        public long Objects;
        public readonly Dictionary<string, int> ByErrno = new(StringComparer.Ordinal);
        public readonly List<long> Samples = new();   // ticks
        public long Min = long.MaxValue, Max = long.MinValue, Sum;
    }

    private readonly Dictionary<(NetlinkProtocol, string?, string), Group> _groups = new();
    private readonly List<Group> _order = new();
    // Fixed seed: the same input gives the same percentiles.
    private readonly Random _random = new(14);

    public void Add(NetlinkTransaction t) => Add(new TransactionFacts(t.Protocol, t.Family, t.RequestType, t.Status, t.ObjectCount,
        t.ErrorName, t.LastAnswerLatency));

    /// <summary>What the statistics count of one transaction: from a NetlinkTransaction, or one deserialized (remoting, Import-Clixml).</summary>
    public void Add(TransactionFacts t)
    {
        var key = (t.Protocol, t.Family, t.RequestType);
        if (!_groups.TryGetValue(key, out var g))
        {
            g = new Group { Protocol = t.Protocol, Family = t.Family, RequestType = t.RequestType };
            _groups[key] = g;
            _order.Add(g);
        }
        g.Count++;
        g.Objects += t.Objects;
        switch (t.Status)
        {
            case TransactionStatus.Answered: g.Answered++; break;
            case TransactionStatus.Error:
                g.Errors++;
                var name = t.ErrorName ?? "?";
                g.ByErrno[name] = g.ByErrno.GetValueOrDefault(name) + 1;
                break;
            case TransactionStatus.NoAnswer or TransactionStatus.Incomplete: g.Unanswered++; break;
            case TransactionStatus.AnswerWithoutRequest: g.WithoutRequest++; break;
        }
        if (t.Latency is not { } latency || t.Status is TransactionStatus.AnswerWithoutRequest) return;
        long ticks = latency.Ticks;
        g.Timed++;
        g.Sum += ticks;
        if (ticks < g.Min) g.Min = ticks;
        if (ticks > g.Max) g.Max = ticks;
        if (g.Samples.Count < MaximumSamples) g.Samples.Add(ticks);
        else if (_random.NextInt64(g.Timed) is var slot && slot < MaximumSamples) g.Samples[(int)slot] = ticks;   // reservoir
    }

    /// <summary>One object per group, the most time-consuming first (as strace -c orders them).</summary>
    public List<NetlinkTransactionStatistics> Results()
    {
        long total = _order.Sum(g => g.Sum);
        var results = new List<NetlinkTransactionStatistics>(_order.Count);
        foreach (var g in _order.OrderByDescending(g => g.Sum).ThenByDescending(g => g.Count))
        {
            g.Samples.Sort();
            var byErrno = new OrderedDictionary(StringComparer.Ordinal);
            foreach (var (name, count) in g.ByErrno.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal))
                byErrno[name] = count;
            results.Add(new NetlinkTransactionStatistics
            {
                Protocol = g.Protocol,
                Family = g.Family,
                RequestType = g.RequestType,
                Count = g.Count,
                Answered = g.Answered,
                Errors = g.Errors,
                ErrorsByErrno = byErrno,
                Unanswered = g.Unanswered,
                WithoutRequest = g.WithoutRequest,
                Objects = g.Objects,
                Timed = g.Timed,
                Minimum = g.Timed > 0 ? TimeSpan.FromTicks(g.Min) : null,
                Average = g.Timed > 0 ? TimeSpan.FromTicks(g.Sum / g.Timed) : null,
                Median = Percentile(g.Samples, 50),
                Percentile90 = Percentile(g.Samples, 90),
                Percentile99 = Percentile(g.Samples, 99),
                Maximum = g.Timed > 0 ? TimeSpan.FromTicks(g.Max) : null,
                Total = TimeSpan.FromTicks(g.Sum),
                PercentTime = total > 0 ? Math.Round(100.0 * g.Sum / total, 2) : 0,
            });
        }
        return results;
    }

    /// <summary>Nearest rank: the smallest sample with at least p percent of the samples at or below it.</summary>
    public static TimeSpan? Percentile(List<long> sorted, double p)
    {
        if (sorted.Count == 0) return null;
        int rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return TimeSpan.FromTicks(sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)]);
    }
}

/// <summary>One transaction as the statistics count it: its group, outcome, objects, the errno's name when it failed, latency.</summary>
internal readonly record struct TransactionFacts(NetlinkProtocol Protocol, string? Family, string RequestType, TransactionStatus Status, int Objects,
    string? ErrorName, TimeSpan? Latency);
