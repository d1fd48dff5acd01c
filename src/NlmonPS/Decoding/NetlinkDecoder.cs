using System.Runtime.CompilerServices;
using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>Whether a message may be wanted, judged on its bytes before it is decoded (false: it is not decoded).</summary>
internal delegate bool RawMessageTest(NetlinkProtocol protocol, in RawMessage raw, ByteOrder order);

/// <summary>
/// Decodes buffers of netlink messages into <see cref="NetlinkMessage"/> objects. One instance per stream: it
/// learns generic-netlink family ids from the nlctrl messages it sees. Never throws on bad bytes.
/// </summary>
internal sealed class NetlinkDecoder
{
    public NetlinkDecoder(DecodeOptions? options = null) => Context = new DecodeContext(options);

    public DecodeContext Context { get; }

    /// <summary>Splits a record into its messages and decodes each, in order.</summary>
    public List<NetlinkMessage> Decode(NetlinkRecord record) => Decode(record, null);

    // The split of the record being decoded, reused from record to record.
    private readonly List<RawMessage> _raws = new();

    /// <summary>Decodes only the messages of a record that <paramref name="wanted"/> lets through (by protocol and type).</summary>
    public List<NetlinkMessage> Decode(NetlinkRecord record, Func<NetlinkProtocol, ushort, bool>? wanted, RawMessageTest? wantedBytes = null)
    {
        var messages = new List<NetlinkMessage>();
        Decode(record, wanted, messages, wantedBytes);
        return messages;
    }

    /// <summary>
    /// Decodes a record's wanted messages into <paramref name="into"/> (appended): a reader that hands them on one by
    /// one reuses one list for every record.
    /// </summary>
    /// <param name="wantedBytes">Judges, on its bytes, a message <paramref name="wanted"/> lets through (a -Filter's
    /// condition on an attribute's value): false leaves it undecoded too.</param>
    public void Decode(NetlinkRecord record, Func<NetlinkProtocol, ushort, bool>? wanted, List<NetlinkMessage> into, RawMessageTest? wantedBytes = null)
    {
        var part = new RecordPart(int.MaxValue);
        Decode(record, wanted, into, ref part, wantedBytes);
    }

    /// <summary>
    /// Decodes the next part of a record (at most <see cref="RecordPart.MaxMessages"/> messages) into
    /// <paramref name="into"/>; false once the record is done. A file's record may hold millions of messages (up to
    /// 64 MiB): read a part at a time, they are handed on as they come and memory stays bounded.
    /// </summary>
    internal bool Decode(NetlinkRecord record, Func<NetlinkProtocol, ushort, bool>? wanted, List<NetlinkMessage> into, ref RecordPart part,
        RawMessageTest? wantedBytes = null)
    {
        if (part.Offset < 0) return false;
        if (part.Index == 0) part.Order = Context.Options.ByteOrder ?? NetlinkMessageSplitter.DetectByteOrder(record.Data.Span, Endian.Host);
        var order = part.Order;
        var raws = _raws;
        raws.Clear();
        part.Offset = NetlinkMessageSplitter.Split(record.Data, order, raws, part.Offset, part.MaxMessages);
        var split = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(raws);
        // Only a guess against the host's order is doubted (a record the host's order walks costs nothing more).
        if (order != Endian.Host && Context.Options.ByteOrder is null) Context.ByteOrderDoubts += DoubtByteOrder(split, record.Protocol, order);
        bool last = part.Offset < 0;
        for (int i = 0; i < split.Length; i++)
        {
            ref readonly var raw = ref split[i];
            if (wanted is null || raw.IsMalformed
                || (wanted(record.Protocol, raw.Header.Type) && (wantedBytes is null || wantedBytes(record.Protocol, raw, order))))
            {
                var message = DecodeMessage(raw, record, order, part.Index + i);
                message.IsLastInRecord = last && i == split.Length - 1;
                into.Add(message);
            }
            else if (raw.Bytes.Length >= Nl.HeaderLength)
                LearnFromSkipped(raw, record, order, wanted);
        }
        part.Index += split.Length;
        raws.Clear();
        return !last;
    }

    /// <summary>
    /// A message the filter leaves undecoded still teaches what later messages are named by, as it would decoded:
    /// the observer learns from its bytes (interface names, GETs awaiting their reply), and a request is remembered
    /// by its layout for the ACK that names it (when an ACK may be decoded). Its direction is inferred as decoding
    /// would, for the echoes after it.
    /// </summary>
    private void LearnFromSkipped(in RawMessage raw, NetlinkRecord record, ByteOrder order, Func<NetlinkProtocol, ushort, bool> wanted)
    {
        var observer = Schemas.ObserverFor(record.Protocol);
        bool learns = observer?.LearnsFrom(raw.Header.Type) == Learning.FromBytes;
        // Where the capture does not tell, only a message flagged as a request can be one (inference answers
        // FromKernel for the rest, remembering nothing).
        var direction = record.Direction;
        bool mayBeRequest = direction == NetlinkDirection.ToKernel
            || (direction == NetlinkDirection.Unknown && (raw.Header.Flags & Nl.NLM_F_REQUEST) != 0);
        if (!learns && !mayBeRequest) return;
        Context.Order = order;
        if (direction == NetlinkDirection.Unknown) direction = InferDirection(record.Protocol, raw.Header);
        if (learns) observer!.ObserveUndecoded(Context, raw, direction, order);
        if (direction == NetlinkDirection.ToKernel && raw.Header.Type >= Nl.NLMSG_MIN_TYPE && wanted(record.Protocol, Nl.NLMSG_ERROR)
            && Schemas.For(record.Protocol)?.Resolve(Context, raw.Header, raw.Payload.Span, direction) is { } layout)
            Context.RememberRequest(record.Protocol, raw.Header.Type, raw.Header.Sequence, layout);
    }

    /// <summary>
    /// The order was guessed from the nlmsg_len chain alone. When a message's type means nothing in that order but
    /// names a message in the other (an nlmsg_len written big-endian in front of a little-endian header reads as
    /// "unknown(4096) seq 16777216"), the header mixes byte orders: the message is flagged, never silently wrong.
    /// </summary>
    private static int DoubtByteOrder(Span<RawMessage> split, NetlinkProtocol protocol, ByteOrder order)
    {
        int doubted = 0;
        for (int i = 0; i < split.Length; i++)
        {
            ref var raw = ref split[i];
            if (raw.IsMalformed || raw.Bytes.Length < Nl.HeaderLength) continue;
            ushort type = raw.Header.Type, swapped = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(type);
            if (PlausibleType(protocol, type) || !PlausibleType(protocol, swapped)) continue;
            string read = order == ByteOrder.BigEndian ? "big" : "little", other = order == ByteOrder.BigEndian ? "little" : "big";
            raw = raw with
            {
                MalformedReason = $"byte order disagrees at offset {raw.Offset}: nlmsg_len walks the record only read {read}-endian, "
                    + $"but the type then reads {type} (no such message) and {swapped} read {other}-endian: the header mixes byte orders "
                    + $"(decoded {read}-endian; -ByteOrder chooses)",
            };
            doubted++;
        }
        return doubted;
    }

    /// <summary>A type the protocol could send: a control message, a type it names, or (no names known) a small number.</summary>
    private static bool PlausibleType(NetlinkProtocol protocol, ushort type) =>
        type < Nl.NLMSG_MIN_TYPE
        || (Schemas.For(protocol) is { } schema && protocol != NetlinkProtocol.Generic ? schema.TypeName(type) is not null : type < 0x1000);

    /// <summary>Decodes one message already cut out of its record.</summary>
    public NetlinkMessage DecodeMessage(in RawMessage raw, NetlinkRecord record, ByteOrder order, int index)
    {
        Context.Redactions.Clear();
        var message = DecodeMessage(raw, record, order, index, Context.Redactions, echoed: false);
        // Requests are remembered by layout, so an ACK with a capped echo can name the command it answers (here,
        // not below: an ACK's echo is decoded as a request too, and must not stand for the request itself).
        if (message.Direction == NetlinkDirection.ToKernel && message.Resolved is { } layout)
            Context.RememberRequest(record.Protocol, message.Type, message.Sequence, layout);
        return message;
    }

    /// <summary>
    /// The message's names and layout are resolved now, and its whole tree is checked now (so IsMalformed is exact
    /// and key material is zeroed before anyone sees the bytes); values are made when they are read.
    /// </summary>
    /// <param name="echoed">
    /// The request an NLMSG_ERROR echoes. Its own error body is never decoded: the one way the decoder re-enters
    /// itself goes one level deep and no further, so an error echoing an error echoing ... (13,000 deep in a hostile
    /// capture) costs one copy of the echo, not one copy of the rest of the buffer per level and a stack overflow.
    /// </param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private NetlinkMessage DecodeMessage(in RawMessage raw, NetlinkRecord record, ByteOrder order, int index, List<(int Offset, int Length)> redactions, bool echoed)
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

        var schema = Schemas.For(record.Protocol);
        string? malformed = raw.MalformedReason;
        if (malformed is not null && record.OriginalLength is int original && original > record.Data.Length)
            malformed += $" (the capture cut this record to {record.Data.Length} of its {original} bytes: snaplen too small)";
        string typeName;
        Func<NetlinkMessage, string?>? summary = null;
        ResolvedMessage? resolved = null;

        if (raw.Bytes.Length < Nl.HeaderLength)
            typeName = "malformed";
        else if (h.Type < Nl.NLMSG_MIN_TYPE)
        {
            typeName = ControlTypeName(h.Type);
            summary = Summaries.Control;
        }
        else
        {
            resolved = schema?.Resolve(Context, h, raw.Payload.Span, direction);
            typeName = resolved?.Spec.Name ?? schema?.TypeName(h.Type) ?? $"unknown({h.Type})";
            summary = resolved?.Spec.Summary;
        }

        // Every byte is copied over: no need for the runtime to zero it first (large link dumps are kilobytes each).
        var bytes = GC.AllocateUninitializedArray<byte>(raw.Bytes.Length);
        raw.Bytes.Span.CopyTo(bytes);
        // Made first: the message is the scope its fields decode in, and the checks below record its layout on it.
        var message = new NetlinkMessage
        {
            Record = record,
            Direction = direction,
            DirectionInferred = inferred,
            Protocol = record.Protocol,
            Type = h.Type,
            TypeName = typeName,
            Resolved = resolved,
            Flags = h.Flags,
            Sequence = h.Sequence,
            PortId = h.PortId,
            Length = h.Length,
            Summarizer = summary,
            Bytes = bytes,
            ByteOrder = order,
            RevealSecrets = Context.Options.RevealSecrets,
            Index = index,
            LinkNames = Context.Links,
            LinkNamesVersion = Context.Links.Version,
        };
        int mark = redactions.Count;
        if (resolved is not null)
            DecodeBody(resolved, message, redactions, echoed, ref malformed);
        else if (h.Type == Nl.NLMSG_ERROR && raw.MalformedReason is null)
        {
            if (!echoed) message.Error = DecodeError(raw, record, message, ref malformed);
            // The kernel acknowledges a control message it is sent without reading it, so it echoes at most its header.
            else if (raw.Payload.Length > 0) malformed ??= "an NLMSG_ERROR echoed inside an NLMSG_ERROR carries a body: the kernel never sends this (not decoded further)";
        }
        else if (h.Type == Nl.NLMSG_DONE && raw.Payload.Length >= 4)
            message.SetHeader(DoneHeader(raw, order));
        for (int i = mark; i < redactions.Count; i++)
        {
            var (offset, length) = redactions[i];
            if (offset + length <= bytes.Length) Array.Clear(bytes, offset, length);
        }
        message.MalformedReason = malformed;
        Schemas.ObserverFor(record.Protocol)?.Observe(Context, message);
        return message;
    }

    // Recent requests by (protocol, type, sequence) with their port id, to spot the kernel's echoes of them: a
    // direct-mapped table (a slot per key hash, a newer request takes its slot), as every request passes here.
    private readonly RecentRequest[] _recentRequests = new RecentRequest[4096];

    private struct RecentRequest
    {
        public ulong Key;   // protocol, type and sequence packed, with the top bit set: 0 is an empty slot
        public uint PortId;
    }

    /// <summary>
    /// nlmon marks every frame outgoing, so direction comes from the header. Requests carry NLM_F_REQUEST and the
    /// kernel's own messages do not, with one exception: tc notifications and some replies copy the request's
    /// flags. Such an echo follows its request with the same type and sequence and the requester's port id
    /// (iproute2 sends port id 0 and the kernel fills in the real one).
    /// </summary>
    private NetlinkDirection InferDirection(NetlinkProtocol protocol, NetlinkHeader h)
    {
        if ((h.Flags & Nl.NLM_F_REQUEST) == 0 || (h.Flags & Nl.NLM_F_MULTI) != 0) return NetlinkDirection.FromKernel;
        ulong key = 1UL << 63 | (ulong)(ushort)protocol << 48 | (ulong)h.Type << 32 | h.Sequence;
        // NETLINK_FIB_LOOKUP answers with the request's own buffer, header untouched (port id 0 stays 0): the next
        // message of the same sequence is the answer.
        ref var slot = ref _recentRequests[(int)((key ^ key >> 29) * 0x9E3779B97F4A7C15UL >> 52)];
        if (slot.Key == key
            && (protocol == NetlinkProtocol.FibLookup || (slot.PortId == 0 ? h.PortId != 0 : slot.PortId == h.PortId)))
        {
            if (protocol == NetlinkProtocol.FibLookup) slot = default;
            return NetlinkDirection.FromKernel;
        }
        slot = new RecentRequest { Key = key, PortId = h.PortId };
        return NetlinkDirection.ToKernel;
    }

    /// <summary>The family header (and generic/netfilter pre-header) and the attributes: checked now, walked when read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeBody(ResolvedMessage resolved, NetlinkMessage message, List<(int Offset, int Length)> redactions, bool echoed, ref string? malformed)
    {
        int payloadLength = message.Bytes.Length - Nl.HeaderLength;
        int offset = 0;
        // genlmsghdr and nfgenmsg: the kernel refuses a message without its pre-header (GENL_HDRLEN, nfnetlink_rcv_msg)
        // and never sends one. Only a capped ACK's echo of a request stops at the netlink header.
        if (resolved.PreHeader is { } pre && payloadLength == 0 && !echoed)
            malformed ??= $"{resolved.Family ?? message.Protocol.ToString()} message without its {pre.Size}-byte {pre.Name}";
        CheckHeader(resolved.PreHeader, resolved.Spec.Kind, message, ref offset, redactions, ref malformed);
        CheckHeader(resolved.Spec.Header, resolved.Spec.Kind, message, ref offset, redactions, ref malformed);

        offset += resolved.HeaderOffset;
        if (offset >= payloadLength) return;
        if (resolved.Spec.Body is { } body)
        {
            var decodedBody = body(message, Nl.HeaderLength + offset, payloadLength - offset);
            malformed ??= decodedBody.MalformedReason;
            message.SetAttributes(decodedBody);
            return;
        }
        var level = FieldLevel.Attributes(message, resolved.Spec.Attributes, Nl.HeaderLength + offset, payloadLength - offset, 0);
        (message.AttributesStart, message.AttributesLength) = (level.Start, level.Length);
        message.AttributesFault = FieldLevels.Check(level, redactions);
        malformed ??= message.AttributesFault;
    }

    /// <summary>One header struct: its fault, and the offset past it.</summary>
    private static void CheckHeader(StructSpec? spec, MessageKind kind, NetlinkMessage message, ref int offset,
        List<(int Offset, int Length)> redactions, ref string? malformed)
    {
        if (spec is null) return;
        int payloadLength = message.Bytes.Length - Nl.HeaderLength;
        int at = Math.Min(offset, payloadLength);
        int avail = payloadLength - at;
        // Most headers fit whole and hold no key material: nothing to walk.
        var reason = FieldLevels.StructFits(spec, avail, message, redactions) ? null
            : FieldLevels.Check(FieldLevel.OfStruct(message, spec, Nl.HeaderLength + at, avail), redactions);
        message.HeaderFault ??= reason;
        // A short header is legal in some requests (the 1-byte rtgenmsg of legacy dumps): say so, keep going.
        if (reason is not null && avail > 0 && avail < spec.Size && kind != MessageKind.Get)
            malformed ??= reason;
        offset += Nl.Align(spec.Size);
    }

    private static NetlinkFields DoneHeader(in RawMessage raw, ByteOrder order)
    {
        var fields = new NetlinkFields(1);
        fields.Add(new NetlinkField("error", AttributeDecoder.ReadInt32(raw.Payload.Span, order), -1, Nl.HeaderLength, 4, ValueKind.S32));
        return fields;
    }

    private NetlinkError DecodeError(in RawMessage raw, NetlinkRecord record, NetlinkMessage message, ref string? malformed)
    {
        var p = raw.Payload;
        var order = message.ByteOrder;
        if (p.Length < 4)
        {
            malformed ??= $"NLMSG_ERROR at offset {raw.Offset} has {p.Length} payload bytes, too short for its error code";
            return new NetlinkError { ErrorName = "?", Text = "truncated" };
        }
        int code = AttributeDecoder.ReadInt32(p.Span, order), errno = -code;
        // The kernel sends 0 (an ACK) or a negative error (an errno, or a subsystem's own past 4095: ipset's); never a positive one.
        if (code > 0)
            malformed ??= $"NLMSG_ERROR at offset {raw.Offset} carries error code {code}: the kernel sends 0 (an ACK) or a negative error";
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
            var savedOrder = Context.Order;
            // The echo's key material is zeroed in its own bytes, and, 4 bytes into the payload, in the outer message's.
            var echoRedactions = Context.EchoRedactions;
            echoRedactions.Clear();
            request = DecodeMessage(new RawMessage(0, echoedHeader, echoed, null), echoRecord, order, 0, echoRedactions, echoed: true);
            foreach (var (offset, length) in echoRedactions)
                if (Nl.HeaderLength + 4 + offset + length <= message.Bytes.Length) Array.Clear(message.Bytes, Nl.HeaderLength + 4 + offset, length);
            Context.Order = savedOrder;
            if (request is { Type: Nl.NLMSG_ERROR, MalformedReason: { } why }) malformed ??= $"its echoed request: {why}";
            // From the clamped length: a corrupt nlmsg_len (say 0xffffffff) must not move the TLVs out of range.
            tlvStart = 4 + (capped ? Nl.HeaderLength : Nl.Align(echoedLength));
        }

        string? extMessage = null, path = null;
        uint? offs = null, missType = null, missNest = null;
        byte[]? cookie = null;
        NetlinkFields? policy = null;
        if ((raw.Header.Flags & Nl.NLM_F_ACK_TLVS) != 0 && tlvStart < p.Length)
        {
            var tlvs = AttributeDecoder.DecodeAttributes(Schemas.ExtendedAck, message, Nl.HeaderLength + tlvStart, p.Length - tlvStart);
            extMessage = tlvs.Get<string>("msg");
            offs = tlvs["offs"] as uint?;
            cookie = tlvs["cookie"] as byte[];
            missType = tlvs["miss_type"] as uint?;
            missNest = tlvs["miss_nest"] as uint?;
            policy = tlvs["policy"] as NetlinkFields;
            malformed ??= tlvs.MalformedReason;
            if (offs is not null && request is not null) path = AttributePath(request, (int)offs.Value);
        }
        // A capped echo is a bare header: a generic request's command is then known only from the request itself.
        var layout = request?.Resolved is { Command: not null } full ? full
            : request is null ? null
            : Context.RecentRequestLayout(record.Protocol, request.Type, request.Sequence) ?? request.Resolved;
        return new NetlinkError
        {
            RequestName = layout is null ? request?.TypeName : layout.Command ?? layout.Spec.Name,
            RequestTypeName = layout?.Spec.Name ?? request?.TypeName,
            Errno = errno,
            ErrorName = errno == 0 ? "ACK" : ProtocolErrorName(errno, request) ?? Errno.NameOf(errno),
            Text = ProtocolErrorName(errno, request) is { } own ? $"{request!.Family} error {own}" : Errno.TextOf(errno),
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

    /// <summary>An error only one protocol sends, above the errno range (ipset's 4096 and up), named by that protocol.</summary>
    private static string? ProtocolErrorName(int errno, NetlinkMessage? request) =>
        errno >= 4096 && request is not null ? Schemas.For(request.Protocol)?.ErrorName(errno, request) : null;

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
internal interface IMessageObserver
{
    void Observe(DecodeContext context, NetlinkMessage message);

    /// <summary>
    /// What a message of this type teaches, and from what: a filter may leave a message undecoded only when that
    /// changes nothing about the others (it teaches nothing, or its bytes teach all of it).
    /// </summary>
    Learning LearnsFrom(ushort type) => Learning.OnlyWhenDecoded;

    /// <summary>Learns from a message a filter leaves undecoded, from its bytes alone (a type it learns from <see cref="Learning.FromBytes"/>).</summary>
    void ObserveUndecoded(DecodeContext context, in RawMessage raw, NetlinkDirection direction, ByteOrder order) { }
}

/// <summary>What an observer learns from a message of some type.</summary>
internal enum Learning
{
    /// <summary>Nothing: skipping it changes nothing.</summary>
    Nothing,
    /// <summary>All it would learn from the decoded message, from the bytes (<see cref="IMessageObserver.ObserveUndecoded"/>).</summary>
    FromBytes,
    /// <summary>Something only the decoded message tells: a filter that must be exact decodes it.</summary>
    OnlyWhenDecoded,
}

/// <summary>Where the decoding of one record stands: the next message's offset (-1: done) and index, and the record's byte order.</summary>
internal struct RecordPart(int maxMessages)
{
    /// <summary>Messages a part holds at most: a file's reader hands each part on before decoding the next.</summary>
    public const int FileMessages = 4096;
    public readonly int MaxMessages = maxMessages;
    internal int Offset;
    internal int Index;
    internal ByteOrder Order;
}
