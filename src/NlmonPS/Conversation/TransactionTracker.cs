using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Conversation;

/// <summary>Bounds of a <see cref="TransactionTracker"/>: how long a request waits and how much is held.</summary>
internal sealed class TransactionTrackerOptions
{
    /// <summary>A request with no answer for this long (stream time, since its last answer) is given up.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>At most this many requests wait at once; past it the one quiet longest is given up.</summary>
    public int MaximumPending { get; init; } = 10000;
    /// <summary>Replies kept per transaction (the rest are counted only).</summary>
    public int MaximumReplies { get; init; } = 10000;
}

/// <summary>
/// Pairs netlink requests with the kernel's answers as messages stream past, by the kernel's rules, and hands out
/// each transaction when it is complete:
/// <list type="bullet">
/// <item>An answer carries its request's protocol, sequence and port id. Requests often say port id 0 (iproute2,
/// the kernel fills it in): such a request takes the port id of its first answer. When the source knows the
/// process (tracing), the answer's process must be the request's.</item>
/// <item>A dump (or any reply with NLM_F_MULTI) ends with NLMSG_DONE; an NLMSG_ERROR ends any request: errno 0 is
/// an ACK. A GET that asked for no ACK ends with its one reply.</item>
/// <item>Data with the request's sequence answers GETs; a NEW/DEL/SET is answered with data only when it asked for
/// NLM_F_ECHO. Other data (notifications: multicast, sequence 0, or copies to listeners) is no answer.</item>
/// <item>Dump parts, DONEs, ACKs and errors whose request is not in the stream are answers without their request.</item>
/// </list>
/// Memory is bounded for endless streams: requests without an answer for <see cref="TransactionTrackerOptions.Timeout"/>
/// of stream time, or past <see cref="TransactionTrackerOptions.MaximumPending"/>, are handed out as NoAnswer (or
/// Incomplete, NotAcknowledged) and counted. Messages must come in time order (a file's, or files one after the other).
/// </summary>
internal sealed class TransactionTracker
{
    private const ushort NfnlBatchBegin = 16, NfnlBatchEnd = 17;

    private readonly TransactionTrackerOptions _options;
    private readonly Dictionary<(NetlinkProtocol, uint), NetlinkTransaction> _pending = new();
    private readonly LinkedList<NetlinkTransaction> _byAge = new();
    private DateTimeOffset _now;

    public TransactionTracker(TransactionTrackerOptions? options = null) => _options = options ?? new TransactionTrackerOptions();

    /// <summary>Requests waiting for an answer now.</summary>
    public int Pending => _byAge.Count;
    /// <summary>Requests given up after the timeout without their final answer.</summary>
    public long TimedOut { get; private set; }
    /// <summary>Requests given up because too many were waiting.</summary>
    public long Evicted { get; private set; }
    /// <summary>Requests still waiting when the stream ended.</summary>
    public long Unfinished { get; private set; }

    /// <summary>Takes one message; appends to <paramref name="completed"/> the transactions it (or the time it carries) completes.</summary>
    public void Add(NetlinkMessage message, List<NetlinkTransaction> completed)
    {
        if (message.Timestamp > _now) _now = message.Timestamp;
        Expire(completed);
        if (message.Bytes.Length < Nl.HeaderLength) return;
        if (message.Direction == NetlinkDirection.ToKernel) AddRequest(message, completed);
        else if (message.Direction == NetlinkDirection.FromKernel) AddAnswer(message, completed);
    }

    /// <summary>The end of the stream: every waiting request is handed out as it stands.</summary>
    public void Complete(List<NetlinkTransaction> completed)
    {
        while (_byAge.First is { } oldest)
        {
            Unfinished++;
            GiveUp(oldest.Value, completed);
        }
    }

    private void AddRequest(NetlinkMessage request, List<NetlinkTransaction> completed)
    {
        if (NotificationBefore(request) is { } notification) Unlink(notification);   // nobody's transaction
        var kind = request.Kind;
        // nfnetlink's batch begin and end (NFNL_MSG_BATCH_BEGIN/END) frame the requests of a batch and get no data.
        bool batch = request.Protocol == NetlinkProtocol.Netfilter && request.Type is NfnlBatchBegin or NfnlBatchEnd;
        bool modifies = kind is MessageKind.New or MessageKind.Delete || batch;
        var t = new NetlinkTransaction(request.Protocol, request.Sequence, request.PortId, request)
        {
            RequestType = request.Command ?? request.TypeName,
            Family = request.Family,
            IsDump = !modifies && (request.Flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP,
            DataExpected = !modifies || (request.Flags & Nl.NLM_F_ECHO) != 0,
            AckRequested = (request.Flags & Nl.NLM_F_ACK) != 0,
            LastActivity = request.Timestamp,
        };
        t.AnswerExpected = t.DataExpected || t.AckRequested;
        if (_byAge.Count >= _options.MaximumPending && _byAge.First is { } oldest)
        {
            Evicted++;
            GiveUp(oldest.Value, completed);
        }
        // Appended to the chain of its key: the oldest waiting request of a sequence is answered first.
        var key = (request.Protocol, request.Sequence);
        if (_pending.TryGetValue(key, out var first))
        {
            while (first.NextSameKey is not null) first = first.NextSameKey;
            first.NextSameKey = t;
        }
        else _pending[key] = t;
        t.AgeNode = _byAge.AddLast(t);
    }

    private void AddAnswer(NetlinkMessage answer, List<NetlinkTransaction> completed)
    {
        ushort type = answer.Type;
        bool control = type < Nl.NLMSG_MIN_TYPE;
        if (control && type is not (Nl.NLMSG_ERROR or Nl.NLMSG_DONE)) return;   // NOOP, OVERRUN: nobody's answer
        bool multi = (answer.Flags & Nl.NLM_F_MULTI) != 0;
        var t = Find(answer);
        if (t is null)
        {
            // Only unicast answers can be orphans: dump parts and control messages. Other data is a notification.
            if (!control && !multi) return;
            t = OrphanFor(answer);
        }
        else if (!control && !t.DataExpected)
            return;   // a notification with the request's sequence (rtnetlink copies it to listeners), not an answer

        if (t.Request is not null && t.PortId == 0) t.PortId = answer.PortId;
        t.FirstAnswer ??= answer;
        Touch(t, answer.Timestamp);
        if (control)
        {
            t.Final = answer;
            if (type == Nl.NLMSG_ERROR)
                t.Status = answer.Error is { IsAck: false } ? TransactionStatus.Error
                    : t.Request is null ? TransactionStatus.AnswerWithoutRequest : TransactionStatus.Answered;
            else
            {
                t.DoneErrno = answer.Header["error"] is int err && err is < 0 and >= -4095 ? -err : 0;
                t.Status = t.DoneErrno != 0 ? TransactionStatus.Error
                    : t.Request is null ? TransactionStatus.AnswerWithoutRequest : TransactionStatus.Answered;
            }
            Finish(t, completed);
            return;
        }
        // NETLINK_FIB_LOOKUP answers with the request's buffer, the lookup's errno in its err field (no NLMSG_ERROR):
        // a failed lookup returned no object.
        if (answer.Protocol == NetlinkProtocol.FibLookup && answer.Header["err"] is int lookupErr && lookupErr is < 0 and >= -4095) t.DoneErrno = -lookupErr;
        else t.ObjectCount++;
        if ((answer.Flags & Nl.NLM_F_DUMP_INTR) != 0) t.Interrupted = true;
        if (t._replies.Count < _options.MaximumReplies) t._replies.Add(answer);
        else t.RepliesTruncated = true;
        t.LastReply = answer;
        // One reply ends a request that is no dump and asked for no ACK (a GET's answer, an echo), even when it says
        // NLM_F_MULTI: ctnetlink marks single answers so (conntrack -C), and no DONE follows them.
        if (!t.AckRequested && !t.IsDump && t.Request is not null)
        {
            t.Status = t.DoneErrno != 0 ? TransactionStatus.Error : TransactionStatus.Answered;
            Finish(t, completed);
        }
    }

    /// <summary>
    /// The waiting request this answer belongs to, or null: one with the answer's port id, else one that said port id 0
    /// and has no answer yet. The newest wins: tools wait for one answer before the next request, so an older request
    /// of the same sequence still waiting has lost its answer (a capture that missed it), and must not take this one.
    /// </summary>
    private NetlinkTransaction? Find(NetlinkMessage answer)
    {
        if (!_pending.TryGetValue((answer.Protocol, answer.Sequence), out var t)) return null;
        // An ACK or error echoes the request's header: its type must be the request's.
        int echoedType = answer.Type == Nl.NLMSG_ERROR && answer.Error?.Request is { } echoed ? echoed.Type : -1;
        NetlinkTransaction? bound = null, unbound = null;
        for (; t is not null; t = t.NextSameKey)
        {
            if (echoedType >= 0 && t.Request is not null && t.Request.Type != echoedType) continue;
            if (t.Request is { ProcessId: int pid } && answer.ProcessId is int answerPid && pid != answerPid) continue;
            if (t.PortId == answer.PortId) bound = t;
            else if (t.PortId == 0 && t.Request is not null && t.FirstAnswer is null) unbound = t;
        }
        return bound ?? unbound;
    }

    /// <summary>A transaction for answers whose request the stream does not have, waiting for the rest of them.</summary>
    private NetlinkTransaction OrphanFor(NetlinkMessage answer)
    {
        var echoed = answer.Error?.Request;
        var t = new NetlinkTransaction(answer.Protocol, answer.Sequence, answer.PortId, null)
        {
            RequestType = answer.Error?.RequestName ?? echoed?.TypeName ?? answer.Command ?? answer.TypeName,
            Family = echoed?.Family ?? answer.Family,
            IsDump = (answer.Flags & Nl.NLM_F_MULTI) != 0,
            DataExpected = true,
            AnswerExpected = true,
            Status = TransactionStatus.AnswerWithoutRequest,
            LastActivity = answer.Timestamp,
        };
        var key = (answer.Protocol, answer.Sequence);
        if (_pending.TryGetValue(key, out var first))
        {
            while (first.NextSameKey is not null) first = first.NextSameKey;
            first.NextSameKey = t;
        }
        else _pending[key] = t;
        t.AgeNode = _byAge.AddLast(t);
        return t;
    }

    private void Touch(NetlinkTransaction t, DateTimeOffset at)
    {
        if (at > t.LastActivity) t.LastActivity = at;
        if (t.AgeNode is { } node && node.Next is not null)
        {
            _byAge.Remove(node);
            _byAge.AddLast(node);
        }
    }

    private void Expire(List<NetlinkTransaction> completed)
    {
        if (_now - DateTimeOffset.MinValue <= _options.Timeout) return;   // no clock (hand-made records)
        var limit = _now - _options.Timeout;
        while (_byAge.First is { } oldest && oldest.Value.LastActivity < limit)
        {
            TimedOut++;
            GiveUp(oldest.Value, completed);
        }
    }

    /// <summary>Hands out a request whose final answer did not come, with what it got.</summary>
    private void GiveUp(NetlinkTransaction t, List<NetlinkTransaction> completed)
    {
        t.Status = t.Request is null ? TransactionStatus.AnswerWithoutRequest
            : t.ObjectCount > 0 ? (t.IsDump || t.AckRequested || t.LastReply is { Flags: var f } && (f & Nl.NLM_F_MULTI) != 0
                ? TransactionStatus.Incomplete : TransactionStatus.Answered)
            : t.AnswerExpected ? TransactionStatus.NoAnswer : TransactionStatus.NotAcknowledged;
        Finish(t, completed);
    }

    private void Finish(NetlinkTransaction t, List<NetlinkTransaction> completed)
    {
        Unlink(t);
        completed.Add(t);
    }

    /// <summary>Takes a transaction out of the waiting ones (its key's chain and the age list).</summary>
    private void Unlink(NetlinkTransaction t)
    {
        var key = (t.Protocol, t.Sequence);
        if (_pending.TryGetValue(key, out var first))
        {
            if (ReferenceEquals(first, t))
            {
                if (t.NextSameKey is { } next) _pending[key] = next;
                else _pending.Remove(key);
            }
            else
            {
                while (first.NextSameKey is not null && !ReferenceEquals(first.NextSameKey, t)) first = first.NextSameKey;
                if (first.NextSameKey is not null) first.NextSameKey = t.NextSameKey;
            }
        }
        t.NextSameKey = null;
        if (t.AgeNode is { } node) _byAge.Remove(node);
        t.AgeNode = null;
    }

    /// <summary>
    /// A waiting "request" that was the kernel's copy of this one to listeners, captured just before it: rtnetlink
    /// (tc's actions and filters) sends its notification with the request's header, flags and all, and the
    /// requester's port id, which is how a capture without directions came to read it as a request. The request itself
    /// says port 0. Same type, flags and sequence, within a second: a tool's own earlier request (libnl sets its port
    /// id) differs in flags or time.
    /// </summary>
    private NetlinkTransaction? NotificationBefore(NetlinkMessage request)
    {
        if (request.PortId != 0 || !request.DirectionInferred || !_pending.TryGetValue((request.Protocol, request.Sequence), out var t)) return null;
        for (; t is not null; t = t.NextSameKey)
            if (t.Request is { DirectionInferred: true, PortId: not 0 } earlier && earlier.Type == request.Type && earlier.Flags == request.Flags
                && t.FirstAnswer is null && request.Timestamp - earlier.Timestamp is { Ticks: >= 0 } gap && gap <= TimeSpan.FromSeconds(1))
                return t;
        return null;
    }
}
