using System.Globalization;
using System.Text;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Conversation;

/// <summary>How a request ended, as far as the stream shows.</summary>
public enum TransactionStatus
{
    /// <summary>The kernel answered and the request succeeded: its ACK, the DONE of a dump, or its one reply.</summary>
    Answered,
    /// <summary>The kernel refused it: an NLMSG_ERROR with an errno, or a dump's NLMSG_DONE carrying one.</summary>
    Error,
    /// <summary>Replies came but not the NLMSG_DONE or ACK that ends them (within the timeout, or before the stream ended).</summary>
    Incomplete,
    /// <summary>Nothing came back although the request asked for an answer (data or an ACK).</summary>
    NoAnswer,
    /// <summary>The request asked for no ACK and none came: the kernel is silent when such a request succeeds.</summary>
    NotAcknowledged,
    /// <summary>Answers (dump parts, a DONE, an ACK or error) whose request is not in the stream: it began after the request.</summary>
    AnswerWithoutRequest,
}

/// <summary>
/// One netlink request with everything the kernel answered: the replies of a dump up to NLMSG_DONE, the final ACK
/// or error, the latencies to the first and the last answer.
/// </summary>
public sealed class NetlinkTransaction
{
    internal NetlinkTransaction(NetlinkProtocol protocol, uint sequence, uint portId, NetlinkMessage? request)
    {
        Protocol = protocol;
        Sequence = sequence;
        PortId = portId;
        Request = request;
    }

    public NetlinkProtocol Protocol { get; }
    public uint Sequence { get; }
    /// <summary>The requester's port id (learned from the kernel's answer when the request said 0, as iproute2's do).</summary>
    public uint PortId { get; internal set; }

    /// <summary>The request; null for <see cref="TransactionStatus.AnswerWithoutRequest"/>.</summary>
    public NetlinkMessage? Request { get; }
    /// <summary>The kernel's data answers in order (dump parts, a GET's reply, an NLM_F_ECHO echo); at most the tracker's cap are kept.</summary>
    public IReadOnlyList<NetlinkMessage> Replies => _replies;
    internal readonly List<NetlinkMessage> _replies = new();
    /// <summary>The NLMSG_DONE, ACK or error that ended it; null when none came.</summary>
    public NetlinkMessage? Final { get; internal set; }
    public TransactionStatus Status { get; internal set; }

    /// <summary>The request's type by name: the generic or netfilter command (ETHTOOL_MSG_LINKSTATE_GET) or the message type (RTM_GETLINK).</summary>
    public string RequestType { get; internal set; } = "";
    /// <summary>The generic netlink family or netfilter subsystem of the request.</summary>
    public string? Family { get; internal set; }
    /// <summary>True for a dump (NLM_F_DUMP on a GET).</summary>
    public bool IsDump { get; internal set; }

    /// <summary>How many data messages (objects) the kernel answered with, counted even past the replies kept.</summary>
    public int ObjectCount { get; internal set; }
    /// <summary>True when more replies came than were kept (<see cref="Replies"/> holds the first ones).</summary>
    public bool RepliesTruncated { get; internal set; }
    /// <summary>True when a reply carried NLM_F_DUMP_INTR: the dump changed while it was read and may be inconsistent.</summary>
    public bool Interrupted { get; internal set; }

    /// <summary>The error the kernel answered with (Errno, ErrorName, Text, extended ACK), or null.</summary>
    public NetlinkError? Error => Final?.Error is { IsAck: false } e ? e : null;
    /// <summary>
    /// The errno's name when the request failed (Status Error): from the kernel's NLMSG_ERROR, a dump's NLMSG_DONE,
    /// or a FIB lookup's err field; null otherwise.
    /// </summary>
    public string? ErrorName => Status != TransactionStatus.Error ? null : Error?.ErrorName ?? (DoneErrno != 0 ? Errno.NameOf(DoneErrno) : null);

    /// <summary>The errno an answer carried outside an NLMSG_ERROR: a dump's NLMSG_DONE (negative error in it), a FIB lookup's err.</summary>
    internal int DoneErrno { get; set; }

    /// <summary>When the request was sent (or, without a request, when the first answer came).</summary>
    public DateTimeOffset Timestamp => (Request ?? FirstAnswer)?.Timestamp ?? default;
    /// <summary>Time from the request to the kernel's first answer (reply, ACK or error); null without both.</summary>
    public TimeSpan? FirstAnswerLatency => LatencyTo(FirstAnswer);
    /// <summary>Time from the request to its last answer (the DONE, ACK or error, else the last reply kept); null without both.</summary>
    public TimeSpan? LastAnswerLatency => LatencyTo(LastAnswer);
    /// <summary>Short for <see cref="LastAnswerLatency"/>: how long the request took.</summary>
    public TimeSpan? Latency => LastAnswerLatency;

    internal NetlinkMessage? FirstAnswer { get; set; }
    internal NetlinkMessage? LastAnswer => Final ?? LastReply;
    internal NetlinkMessage? LastReply { get; set; }

    /// <summary>The requesting process, when the source knows it (tracing, live capture with process attribution).</summary>
    public int? ProcessId => Request?.ProcessId ?? FirstAnswer?.ProcessId;
    public string? ProcessName => Request?.ProcessName ?? FirstAnswer?.ProcessName;
    /// <summary>Where it came from: the request's file, device or traced process.</summary>
    public string? Source => (Request ?? FirstAnswer)?.Source;

    // The timestamp of the latest message that touched it, in stream time: requests expire by it.
    internal DateTimeOffset LastActivity;
    internal bool AnswerExpected, DataExpected, AckRequested;
    // Pending transactions with the same protocol and sequence, and the expiry order (oldest activity first).
    internal NetlinkTransaction? NextSameKey;
    internal LinkedListNode<NetlinkTransaction>? AgeNode;

    private TimeSpan? LatencyTo(NetlinkMessage? answer)
    {
        if (Request is null || answer is null) return null;
        var latency = answer.Timestamp - Request.Timestamp;
        // Records from different clocks (files merged by hand) can disagree by a little: never less than nothing.
        return latency < TimeSpan.Zero ? TimeSpan.Zero : latency;
    }

    private string? _summary;
    /// <summary>One line: the request in iproute2's words, then what came back and how long it took.</summary>
    public string Summary => _summary ??= MakeSummary();

    private string MakeSummary()
    {
        var sb = new StringBuilder();
        if (Request is not null) sb.Append(Request.Summary.TrimEnd(':'));
        else sb.Append("answer without its request (").Append(RequestType).Append(" seq ").Append(Sequence).Append(')');
        sb.Append(": ");
        if (ObjectCount > 0 || IsDump)
            sb.Append(ObjectCount).Append(ObjectCount == 1 ? " object" : " objects").Append(Final is null && Status == TransactionStatus.Answered ? "" : ", ");
        switch (Status)
        {
            case TransactionStatus.Error when Error is { } e:
                sb.Append(e.ErrorName).Append(' ').Append(e.Text);
                if (e.ExtendedMessage is not null) sb.Append(": ").Append(e.ExtendedMessage);
                if (e.AttributePath is not null) sb.Append(" [at ").Append(e.AttributePath).Append(']');
                break;
            case TransactionStatus.Error when DoneErrno != 0:
                if (Final is { Type: Nl.NLMSG_DONE }) sb.Append("DONE ");
                sb.Append(Protocol == NetlinkProtocol.FibLookup ? Errno.FibLookupText(DoneErrno)
                    : $"{Errno.NameOf(DoneErrno)} {Errno.TextOf(DoneErrno)}");
                break;
            case TransactionStatus.NoAnswer: sb.Append("no answer"); break;
            case TransactionStatus.NotAcknowledged: sb.Append("no ACK asked, none came"); break;
            case TransactionStatus.Incomplete: sb.Append(IsDump ? "no DONE" : "no ACK"); break;
            default:
                if (Final is { Type: Nl.NLMSG_DONE }) sb.Append("DONE");
                else if (Final is not null) sb.Append("ACK");
                else if (ObjectCount == 0) sb.Append("answered");
                break;
        }
        if (Interrupted) sb.Append(" (dump interrupted)");
        if (LastAnswerLatency is { } latency)
            sb.Append(" in ").Append(latency.TotalMilliseconds.ToString("0.000", CultureInfo.InvariantCulture)).Append(" ms");
        if (sb.Length >= 2 && sb[^2] == ':' && sb[^1] == ' ') sb.Length -= 2;
        return sb.ToString();
    }

    public override string ToString() => Summary;
}
