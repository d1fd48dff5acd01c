using System.Runtime.CompilerServices;
using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>
/// Decodes buffers of netlink messages into <see cref="NetlinkMessage"/> objects. One instance per stream: it
/// learns generic-netlink family ids from the nlctrl messages it sees. Never throws on bad bytes.
/// </summary>
public sealed class NetlinkDecoder
{
    public NetlinkDecoder(DecodeOptions? options = null) => Context = new DecodeContext(options);

    public DecodeContext Context { get; }

    /// <summary>Splits a record into its messages and decodes each, in order.</summary>
    public List<NetlinkMessage> Decode(NetlinkRecord record)
    {
        var order = Context.Options.ByteOrder ?? NetlinkMessageSplitter.DetectByteOrder(record.Data.Span, Endian.Host);
        var raws = NetlinkMessageSplitter.Split(record.Data, order);
        var messages = new List<NetlinkMessage>(raws.Count);
        for (int i = 0; i < raws.Count; i++) messages.Add(DecodeMessage(raws[i], record, order, i));
        return messages;
    }

    /// <summary>Decodes only the messages of a record that <paramref name="wanted"/> lets through (by protocol and type).</summary>
    public List<NetlinkMessage> Decode(NetlinkRecord record, Func<NetlinkProtocol, ushort, bool> wanted)
    {
        var order = Context.Options.ByteOrder ?? NetlinkMessageSplitter.DetectByteOrder(record.Data.Span, Endian.Host);
        var raws = NetlinkMessageSplitter.Split(record.Data, order);
        var messages = new List<NetlinkMessage>(raws.Count);
        for (int i = 0; i < raws.Count; i++)
            if (raws[i].IsMalformed || wanted(record.Protocol, raws[i].Header.Type)) messages.Add(DecodeMessage(raws[i], record, order, i));
        return messages;
    }

    /// <summary>Decodes one message already cut out of its record.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NetlinkMessage DecodeMessage(RawMessage raw, NetlinkRecord record, ByteOrder order, int index)
    {
        var h = raw.Header;
        var direction = record.Direction;
        bool inferred = false;
        if (direction == NetlinkDirection.Unknown && raw.Bytes.Length >= Nl.HeaderLength)
        {
            direction = InferDirection(record.Protocol, h);
            inferred = true;
        }

        Context.Order = order;
        Context.Direction = direction;
        Context.Header = NetlinkFields.Empty;
        Context.Kind = MessageKind.Other;
        Context.Redactions.Clear();

        var schema = Schemas.For(record.Protocol);
        string? malformed = raw.MalformedReason;
        if (malformed is not null && record.OriginalLength is int original && original > record.Data.Length)
            malformed += $" (the capture cut this record to {record.Data.Length} of its {original} bytes: snaplen too small)";
        string typeName;
        string? family = null, command = null;
        MessageKind kind = MessageKind.Other;
        NetlinkFields header = NetlinkFields.Empty, attributes = NetlinkFields.Empty;
        NetlinkError? error = null;
        Func<NetlinkMessage, string?>? summary = null;

        if (raw.Bytes.Length < Nl.HeaderLength)
        {
            typeName = "malformed";
        }
        else if (h.Type < Nl.NLMSG_MIN_TYPE)
        {
            typeName = ControlTypeName(h.Type);
            summary = Summaries.Control;
            if (h.Type == Nl.NLMSG_ERROR && raw.MalformedReason is null)
                error = DecodeError(raw, record, order, schema, ref malformed);
            else if (h.Type == Nl.NLMSG_DONE && raw.Payload.Length >= 4)
                header = DoneHeader(raw, order);
        }
        else
        {
            var resolved = schema?.Resolve(Context, h, raw.Payload.Span, direction);
            if (resolved is null)
            {
                typeName = schema?.TypeName(h.Type) ?? $"unknown({h.Type})";
            }
            else
            {
                var spec = resolved.Spec;
                typeName = spec.Name;
                family = resolved.Family;
                command = resolved.Command;
                kind = spec.Kind;
                summary = spec.Summary;
                (header, attributes) = DecodeBody(resolved, raw, ref malformed);
            }
        }

        var bytes = raw.Bytes.ToArray();
        foreach (var (offset, length) in Context.Redactions)
            if (offset + length <= bytes.Length) Array.Clear(bytes, offset, length);

        var message = new NetlinkMessage
        {
            Timestamp = record.Timestamp,
            Direction = direction,
            DirectionInferred = inferred,
            Protocol = record.Protocol,
            Type = h.Type,
            TypeName = typeName,
            Family = family,
            Command = command,
            Flags = h.Flags,
            FlagNames = FlagNames(h.Flags, h.Type, kind),
            Sequence = h.Sequence,
            PortId = h.PortId,
            Length = h.Length,
            Header = header,
            Attributes = attributes,
            Error = error,
            Summarizer = summary,
            Bytes = bytes,
            ByteOrder = order,
            MalformedReason = malformed,
            Source = record.Source,
            RecordNumber = record.RecordNumber,
            Index = index,
            ProcessId = record.ProcessId,
            ProcessName = record.ProcessName,
            ThreadId = record.ThreadId,
        };
        (schema as IMessageObserver)?.Observe(Context, message);
        return message;
    }

    // Recent requests by (protocol, type, sequence) with their port id, to spot the kernel's echoes of them.
    private readonly Dictionary<(NetlinkProtocol, ushort, uint), uint> _recentRequests = new();

    /// <summary>
    /// nlmon marks every frame outgoing, so direction comes from the header. Requests carry NLM_F_REQUEST and the
    /// kernel's own messages do not, with one exception: tc notifications and some replies copy the request's
    /// flags. Such an echo follows its request with the same type and sequence and the requester's port id
    /// (iproute2 sends port id 0 and the kernel fills in the real one).
    /// </summary>
    private NetlinkDirection InferDirection(NetlinkProtocol protocol, NetlinkHeader h)
    {
        if ((h.Flags & Nl.NLM_F_REQUEST) == 0 || (h.Flags & Nl.NLM_F_MULTI) != 0) return NetlinkDirection.FromKernel;
        var key = (protocol, h.Type, h.Sequence);
        if (_recentRequests.TryGetValue(key, out var requestPort) && (requestPort == 0 ? h.PortId != 0 : requestPort == h.PortId))
            return NetlinkDirection.FromKernel;
        if (_recentRequests.Count >= 4096) _recentRequests.Clear();
        _recentRequests[key] = h.PortId;
        return NetlinkDirection.ToKernel;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (NetlinkFields Header, NetlinkFields Attributes) DecodeBody(ResolvedMessage resolved, RawMessage raw, ref string? malformed)
    {
        var payload = raw.Payload;
        int offset = 0;
        NetlinkFields header = NetlinkFields.Empty;
        foreach (var structSpec in new[] { resolved.PreHeader, resolved.Spec.Header })
        {
            if (structSpec is null) continue;
            var avail = payload.Span[Math.Min(offset, payload.Length)..];
            var decoded = AttributeDecoder.DecodeStruct(structSpec, avail, Nl.HeaderLength + offset, Context, out var reason);
            if (header.Count == 0) header = decoded;
            else foreach (var f in decoded) header.Add(f);
            // A short header is legal in some requests (the 1-byte rtgenmsg of legacy dumps): say so, keep going.
            if (reason is not null && avail.Length > 0 && avail.Length < structSpec.Size && resolved.Spec.Kind != MessageKind.Get)
                malformed ??= reason;
            offset += Nl.Align(structSpec.Size);
        }
        offset += resolved.HeaderOffset;
        Context.Header = header;
        Context.Kind = resolved.Spec.Kind;
        if (offset >= payload.Length || resolved.Spec.Attributes is null && offset >= payload.Length)
            return (header, NetlinkFields.Empty);
        if (resolved.Spec.Body is { } body)
        {
            var decodedBody = body(payload[offset..], Nl.HeaderLength + offset, Context);
            malformed ??= decodedBody.MalformedReason;
            return (header, decodedBody);
        }
        var attributes = AttributeDecoder.DecodeAttributes(resolved.Spec.Attributes, payload[offset..], Nl.HeaderLength + offset, Context);
        malformed ??= attributes.MalformedReason;
        return (header, attributes);
    }

    private static NetlinkFields DoneHeader(RawMessage raw, ByteOrder order)
    {
        var fields = new NetlinkFields(1);
        fields.Add(new NetlinkField("error", AttributeDecoder.ReadInt32(raw.Payload.Span, order), -1, Nl.HeaderLength, 4, ValueKind.S32));
        return fields;
    }

    private NetlinkError DecodeError(RawMessage raw, NetlinkRecord record, ByteOrder order, IProtocolSchema? schema, ref string? malformed)
    {
        var p = raw.Payload;
        if (p.Length < 4)
        {
            malformed ??= $"NLMSG_ERROR at offset {raw.Offset} has {p.Length} payload bytes, too short for its error code";
            return new NetlinkError { ErrorName = "?", Text = "truncated" };
        }
        int errno = -AttributeDecoder.ReadInt32(p.Span, order);
        bool capped = (raw.Header.Flags & Nl.NLM_F_CAPPED) != 0;
        NetlinkMessage? request = null;
        int tlvStart = p.Length;
        if (p.Length >= 4 + Nl.HeaderLength)
        {
            var echoedHeader = NetlinkHeader.Read(p.Span[4..], order);
            int echoedLength = capped ? Nl.HeaderLength : (int)Math.Min(echoedHeader.Length, (uint)(p.Length - 4));
            if (echoedLength < Nl.HeaderLength) echoedLength = Nl.HeaderLength;
            var echoed = p.Slice(4, echoedLength);
            var echoRecord = record with { Data = echoed, Direction = NetlinkDirection.ToKernel };
            var saved = (Context.Order, Context.Direction);
            // Decode the echo without letting it touch the outer message's redactions.
            var outerRedactions = Context.Redactions.ToList();
            request = DecodeMessage(new RawMessage(0, echoedHeader, echoed, null), echoRecord, order, 0);
            // The echo's secrets sit 4 bytes into the outer payload: zero them in the outer bytes too.
            var echoRedactions = Context.Redactions.Select(r => (r.Offset + Nl.HeaderLength + 4, r.Length)).ToList();
            Context.Redactions.Clear();
            foreach (var r in outerRedactions) Context.Redactions.Add(r);
            foreach (var r in echoRedactions) Context.Redactions.Add(r);
            (Context.Order, Context.Direction) = saved;
            // From the clamped length: a corrupt nlmsg_len (say 0xffffffff) must not move the TLVs out of range.
            tlvStart = 4 + (capped ? Nl.HeaderLength : Nl.Align(echoedLength));
        }

        string? extMessage = null, path = null;
        uint? offs = null, missType = null, missNest = null;
        byte[]? cookie = null;
        NetlinkFields? policy = null;
        if ((raw.Header.Flags & Nl.NLM_F_ACK_TLVS) != 0 && tlvStart < p.Length)
        {
            var tlvs = AttributeDecoder.DecodeAttributes(Schemas.ExtendedAck, p[tlvStart..], Nl.HeaderLength + tlvStart, Context);
            extMessage = tlvs.Get<string>("msg");
            offs = tlvs["offs"] as uint?;
            cookie = tlvs["cookie"] as byte[];
            missType = tlvs["miss_type"] as uint?;
            missNest = tlvs["miss_nest"] as uint?;
            policy = tlvs["policy"] as NetlinkFields;
            malformed ??= tlvs.MalformedReason;
            if (offs is not null && request is not null) path = AttributePath(request, (int)offs.Value);
        }
        return new NetlinkError
        {
            Errno = errno,
            ErrorName = errno == 0 ? "ACK" : Errno.NameOf(errno),
            Text = Errno.TextOf(errno),
            ExtendedMessage = extMessage,
            ErrorOffset = offs,
            AttributePath = path,
            Cookie = cookie,
            MissingType = missType,
            MissingNest = missNest,
            Policy = policy,
            Request = request,
        };
    }

    /// <summary>The attribute at a byte offset of a request, as a path of names (".linkinfo.data.id").</summary>
    public static string? AttributePath(NetlinkMessage request, int offset)
    {
        var path = new List<string>();
        return Find(request.Attributes, offset, path) ? "." + string.Join(".", path) : null;

        static bool Find(NetlinkFields fields, int offset, List<string> path)
        {
            foreach (var f in fields)
            {
                if (offset < f.Offset || offset >= f.Offset + Math.Max(f.Length, 1)) continue;
                path.Add(f.Name);
                if (offset == f.Offset) return true;
                switch (f.Value)
                {
                    case NetlinkFields nested when Find(nested, offset, path): return true;
                    case NetlinkFields[] array:
                        for (int i = 0; i < array.Length; i++)
                        {
                            path.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                            if (Find(array[i], offset, path)) return true;
                            path.RemoveAt(path.Count - 1);
                        }
                        break;
                }
                return true; // Inside this attribute's payload: the attribute itself is the answer.
            }
            return false;
        }
    }

    public static string ControlTypeName(ushort type) => type switch
    {
        Nl.NLMSG_NOOP => "NLMSG_NOOP",
        Nl.NLMSG_ERROR => "NLMSG_ERROR",
        Nl.NLMSG_DONE => "NLMSG_DONE",
        Nl.NLMSG_OVERRUN => "NLMSG_OVERRUN",
        _ => $"NLMSG_RESERVED({type})",
    };

    /// <summary>Flag names; the high byte reads by what the request does (GET, NEW, DEL) or as ACK flags on errors.</summary>
    public static string[] FlagNames(ushort flags, ushort type, MessageKind kind)
    {
        var names = new List<string>(4);
        void Check(ushort bit, string name) { if ((flags & bit) != 0) names.Add(name); }
        Check(Nl.NLM_F_REQUEST, "REQUEST");
        Check(Nl.NLM_F_MULTI, "MULTI");
        Check(Nl.NLM_F_ACK, "ACK");
        Check(Nl.NLM_F_ECHO, "ECHO");
        Check(Nl.NLM_F_DUMP_INTR, "DUMP_INTR");
        Check(Nl.NLM_F_DUMP_FILTERED, "DUMP_FILTERED");
        ushort high = (ushort)(flags & 0xff00);
        if (type == Nl.NLMSG_ERROR)
        {
            Check(Nl.NLM_F_CAPPED, "CAPPED");
            Check(Nl.NLM_F_ACK_TLVS, "ACK_TLVS");
            high &= unchecked((ushort)~(Nl.NLM_F_CAPPED | Nl.NLM_F_ACK_TLVS));
        }
        else if (kind == MessageKind.Get)
        {
            if ((flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP) names.Add("DUMP");
            else { Check(Nl.NLM_F_ROOT, "ROOT"); Check(Nl.NLM_F_MATCH, "MATCH"); }
            Check(Nl.NLM_F_ATOMIC, "ATOMIC");
            high &= unchecked((ushort)~(Nl.NLM_F_DUMP | Nl.NLM_F_ATOMIC));
        }
        else if (kind == MessageKind.New)
        {
            Check(Nl.NLM_F_REPLACE, "REPLACE"); Check(Nl.NLM_F_EXCL, "EXCL"); Check(Nl.NLM_F_CREATE, "CREATE"); Check(Nl.NLM_F_APPEND, "APPEND");
            high &= unchecked((ushort)~(Nl.NLM_F_REPLACE | Nl.NLM_F_EXCL | Nl.NLM_F_CREATE | Nl.NLM_F_APPEND));
        }
        else if (kind == MessageKind.Delete)
        {
            Check(Nl.NLM_F_NONREC, "NONREC"); Check(Nl.NLM_F_BULK, "BULK");
            high &= unchecked((ushort)~(Nl.NLM_F_NONREC | Nl.NLM_F_BULK));
        }
        if (high != 0) names.Add($"0x{high:x}");
        int lowUnknown = flags & 0xc0;
        if (lowUnknown != 0) names.Add($"0x{lowUnknown:x}");
        return names.ToArray();
    }
}

/// <summary>A schema that learns from the messages it decodes (nlctrl teaches generic family ids).</summary>
public interface IMessageObserver
{
    void Observe(DecodeContext context, NetlinkMessage message);
}
