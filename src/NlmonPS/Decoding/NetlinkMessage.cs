using System.Runtime.CompilerServices;
using NlmonPS.Wire;

namespace NlmonPS.Decoding;

public enum NetlinkDirection { Unknown, ToKernel, FromKernel }

/// <summary>One decoded netlink message, as it streams through the pipeline.</summary>
public sealed class NetlinkMessage
{
    /// <summary>When its record (frame, syscall) was captured.</summary>
    public DateTimeOffset Timestamp => Record.Timestamp;
    public NetlinkDirection Direction { get; init; }
    /// <summary>True when the direction was inferred from NLM_F_REQUEST (nlmon records every frame as outgoing).</summary>
    public bool DirectionInferred { get; internal set; }
    public NetlinkProtocol Protocol { get; init; }

    public ushort Type { get; init; }
    /// <summary>RTM_NEWLINK, NLMSG_ERROR, CTRL_CMD_NEWFAMILY... ("unknown(N)" when not known).</summary>
    public string TypeName { get; init; } = "";
    /// <summary>Generic netlink family name, or netfilter subsystem.</summary>
    public string? Family => Resolved?.Family;
    /// <summary>Generic netlink command or netfilter message name.</summary>
    public string? Command => Resolved?.Command;
    /// <summary>The layout the protocol's schema gave it (names, header structs, attribute set); null for control messages.</summary>
    internal ResolvedMessage? Resolved { get; init; }

    public ushort Flags { get; init; }
    /// <summary>The flags by name, the high byte read by what the message does (GET, NEW, DEL) or as ACK flags.</summary>
    public string[] FlagNames
    {
        get => _flagNames ??= NetlinkDecoder.FlagNames(Flags, Type, Kind);
        init => _flagNames = value;
    }
    private string[]? _flagNames;
    /// <summary>What the message does, which decides how its flags read.</summary>
    internal MessageKind Kind => Resolved?.Spec.Kind ?? MessageKind.Other;
    public uint Sequence { get; init; }
    public uint PortId { get; init; }
    public uint Length { get; init; }

    /// <summary>The family header (ifinfomsg, ifaddrmsg, genlmsghdr...) field by field.</summary>
    public NetlinkFields Header
    {
        get => _header ??= HeaderStruct is { } first
            ? new NetlinkFields(new FieldLevel(this, Nl.HeaderLength, Bytes.Length - Nl.HeaderLength, 0, first, HeaderStruct2), HeaderFault, reasonKnown: true)
            : NetlinkFields.Empty;
        init => _header = value;
    }
    private NetlinkFields? _header;
    /// <summary>The attributes, in order, by name: <c>$_.Attributes.ifname</c>.</summary>
    public NetlinkFields Attributes
    {
        get => _attributes ??= AttributesLength >= 0
            ? new NetlinkFields(FieldLevel.Attributes(this, AttributeTable, AttributesStart, AttributesLength, 0), AttributesFault, reasonKnown: true)
            : NetlinkFields.Empty;
        init => _attributes = value;
    }
    private NetlinkFields? _attributes;

    // The message is the scope its fields decode in, later, when read: its header structs and attribute set come
    // from the layout its schema resolved; the decoder leaves here where the attributes are and what the check of
    // each found (plain fields, set once). The sets are made on first read.
    internal StructSpec? HeaderStruct => Resolved is { } r ? r.PreHeader ?? r.Spec.Header : null;
    internal StructSpec? HeaderStruct2 => Resolved?.PreHeader is null ? null : Resolved.Spec.Header;
    internal string? HeaderFault;
    internal AttributeTable? AttributeTable => Resolved?.Spec.Attributes;
    internal int AttributesStart, AttributesLength = -1;
    internal string? AttributesFault;
    /// <summary>The user's -RevealSecrets when decoded (key material was zeroed otherwise).</summary>
    internal bool RevealSecrets { get; init; }

    /// <summary>Sets made eagerly (bodies that are not attribute streams).</summary>
    internal void SetAttributes(NetlinkFields attributes) => _attributes = attributes;
    internal void SetHeader(NetlinkFields header) => _header = header;

    /// <summary>The attribute set a request carries instead of the reply's, where they differ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal AttributeTable? ForDirection(AttributeTable? table) =>
        Direction != NetlinkDirection.ToKernel || table is null ? table : RequestTable(table);

    private AttributeTable RequestTable(AttributeTable table) =>
        (Kind == MessageKind.Get ? table.GetRequests : null) ?? table.Requests ?? table;

    /// <summary>The payload of the first top-level attribute of a type, read from the bytes without decoding the set.</summary>
    internal bool TryTopAttribute(ushort type, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        return AttributesLength >= 0
            && AttributeWalker.TryFind(Bytes.AsSpan(AttributesStart, AttributesLength), type, ByteOrder, out payload);
    }

    /// <summary>
    /// The value of a top-level attribute holding a number or string, as <see cref="Attributes"/> would give it, read
    /// without walking the set (observers that learn from every message of a type); null when absent or not a scalar.
    /// </summary>
    internal object? TopScalar(ushort type)
    {
        if (AttributesLength < 0 || ForDirection(AttributeTable)?[type] is not { } spec || FieldLevels.ModeOf(spec, 0) != EntryMode.Scalar)
            return null;
        var stream = Bytes.AsSpan(AttributesStart, AttributesLength);
        int offset = 0;
        while (AttributeWalker.TryNext(stream, ref offset, 0, ByteOrder, out var a, out _))
        {
            if (a.Type != type) continue;
            var payload = stream.Slice(a.PayloadOffset, a.PayloadLength);
            if (AttributeDecoder.ScalarFault(spec.Kind, payload.Length) is not null) return null;
            var order = a.IsNetByteOrder || spec.NetworkOrder ? ByteOrder.BigEndian : ByteOrder;
            return AttributeDecoder.DecodeScalar(spec.Kind, payload, order, spec.Enum, spec.Flags);
        }
        return null;
    }

    /// <summary>
    /// The value of a family-header field, as <see cref="Header"/> would give it: a number (or its name) read straight
    /// from the bytes when the header is one struct, else through the header's own decode. For selectors and
    /// observers, which ask it of every message of a kind.
    /// </summary>
    internal object? HeaderScalar(string field)
    {
        if (HeaderStruct2 is null && HeaderStruct?.FieldNamed(field) is
                { Kind: ValueKind.U8 or ValueKind.U16 or ValueKind.U32 or ValueKind.U64 or ValueKind.S32 } f
            && Nl.HeaderLength + f.Offset + FieldLevels.SizeOf(f.Kind) <= Bytes.Length)
        {
            var p = Bytes.AsSpan(Nl.HeaderLength + f.Offset, FieldLevels.SizeOf(f.Kind));
            return AttributeDecoder.DecodeScalar(f.Kind, p, f.NetworkOrder ? ByteOrder.BigEndian : ByteOrder, f.Enum, f.Flags);
        }
        return Header[field];
    }

    /// <summary>The stream's interface names and their version when this message was decoded (see <see cref="LinkNames"/>).</summary>
    internal LinkNames? LinkNames { get; init; }
    internal int LinkNamesVersion { get; init; }

    /// <summary>The interface name an index had in this message's stream when it was decoded, or null.</summary>
    internal string? LinkName(long index) => LinkNames?.NameOf(index, LinkNamesVersion);

    /// <summary>Set by a protocol that tells replies from notifications by the request they answer (nfnetlink GETs).</summary>
    internal bool AnswersRequest { get; set; }
    /// <summary>For NLMSG_ERROR: the errno, its text, the extended ACK and the echoed request.</summary>
    public NetlinkError? Error { get; internal set; }

    private string? _summary;
    internal Func<NetlinkMessage, string?>? Summarizer { get; init; }
    /// <summary>
    /// One human line, in iproute2's words where it has them. Safe to print: control characters from the wire are
    /// escaped here, for every protocol's summary (<see cref="SafeText"/>); Attributes keep the exact values.
    /// </summary>
    public string Summary => _summary ??= SafeText.Printable(SafeSummary());

    /// <summary>
    /// A message rebuilt from its serialized form says what it said where it was decoded: that stream knew names
    /// (interfaces, the request an ACK answers) that the message alone does not.
    /// </summary>
    internal void KeepSummary(string summary) => _summary = SafeText.Printable(summary);


    /// <summary>The whole message (key material zeroed unless revealed); every field offset is relative to its start.</summary>
    public byte[] Bytes { get; init; } = Array.Empty<byte>();
    public ByteOrder ByteOrder { get; init; }
    public bool IsMalformed => MalformedReason is not null;
    public string? MalformedReason { get; internal set; }

    /// <summary>
    /// The record (frame, syscall) it came in, for what the message shares with the others of that record: when,
    /// from where, which process. Kept rather than copied (six fields a message, read far less than made). A message
    /// never reads the record's Data: the file reader reuses that buffer; live sources' records own theirs.
    /// </summary>
    internal NetlinkRecord Record { get; init; } = NoRecord;
    /// <summary>The snaplen cut: how long the record's netlink bytes really were, when the capture kept fewer.</summary>
    internal int? RecordOriginalLength => Record.OriginalLength;
    private static readonly NetlinkRecord NoRecord = new(ReadOnlyMemory<byte>.Empty, NetlinkProtocol.Route);

    /// <summary>Where it came from: a file path, an interface, a traced process.</summary>
    public string? Source => Record.Source;
    /// <summary>1-based record (frame) number within the source.</summary>
    public long RecordNumber => Record.RecordNumber;
    /// <summary>0-based position of the message within its record.</summary>
    public int Index { get; init; }

    /// <summary>The host it was captured on, when not this one (a merged pcapng; PSComputerName after remoting).</summary>
    public string? ComputerName => Record.ComputerName;
    /// <summary>The network namespace it was captured in, when the source says (live capture, a merged pcapng).</summary>
    public string? NetNamespace => Record.NetNamespace;
    /// <summary>The device (nlmon interface, pcapng interface) it came through, when the source says.</summary>
    public string? Device => Record.Device;
    /// <summary>
    /// Netlink bytes in its record: its messages, the padding between them, and any bytes the sender put after
    /// the last one (iproute2 sends whole request structs). An export writes the record back at this length.
    /// </summary>
    public int RecordLength => Record.Data.Length;
    /// <summary>True for the last message of its record (the one any trailing bytes of the record follow).</summary>
    public bool IsLastInRecord { get; internal set; }
    /// <summary>The record's 16-byte link-layer header as captured, when it is not the one nlmon writes; null otherwise.</summary>
    public byte[]? LinkHeader
    {
        get
        {
            if (Record.LinkHeader == default) return null;
            var header = new byte[16];
            System.Runtime.InteropServices.MemoryMarshal.Write(header, Record.LinkHeader);
            return header;
        }
    }

    public int? ProcessId => Record.ProcessId;
    public string? ProcessName => Record.ProcessName;
    public int? ThreadId => Record.ThreadId;

    private string SafeSummary()
    {
        try
        {
            var text = Summarizer?.Invoke(this);
            if (!string.IsNullOrEmpty(text)) return IsMalformed ? $"{text} [malformed: {MalformedReason}]" : text;
        }
        catch (Exception ex) when (ex is InvalidCastException or IndexOutOfRangeException or NullReferenceException or ArgumentException)
        {
            // A summary must never break a pipeline; fall through to the generic line.
        }
        var generic = $"{TypeName} seq {Sequence}";
        return IsMalformed ? $"{generic} [malformed: {MalformedReason}]" : generic;
    }

    public override string ToString() => $"{Protocol} {SafeText.Printable(TypeName)} seq {Sequence}: {Summary}";
}

/// <summary>The content of an NLMSG_ERROR message: an ACK when Errno is 0.</summary>
public sealed class NetlinkError
{
    /// <summary>The positive errno (0 for an ACK).</summary>
    public int Errno { get; init; }
    public string ErrorName { get; init; } = "";
    public string Text { get; init; } = "";
    public bool IsAck => Errno == 0;
    /// <summary>NLMSGERR_ATTR_MSG: the kernel's explanation.</summary>
    public string? ExtendedMessage { get; init; }
    /// <summary>NLMSGERR_ATTR_OFFS: byte offset of the offending attribute in the request.</summary>
    public uint? ErrorOffset { get; init; }
    /// <summary>The offending attribute as a path in the request (".linkinfo.data.id").</summary>
    public string? AttributePath { get; init; }
    public byte[]? Cookie { get; init; }
    public uint? MissingType { get; init; }
    public uint? MissingNest { get; init; }
    public NetlinkFields? Policy { get; init; }
    /// <summary>The request the kernel answered: its header only when the ACK is capped, else the whole message.</summary>
    public NetlinkMessage? Request { get; init; }
    /// <summary>
    /// What the answered request was, by name (ETHTOOL_MSG_LINKSTATE_GET, RTM_NEWLINK): from the echoed request, or,
    /// when the echo is capped to a header, from that request seen earlier in the stream.
    /// </summary>
    public string? RequestName { get; init; }
    /// <summary>The request's full type name (with the generic family: "ethtool ETHTOOL_MSG_LINKSTATE_GET").</summary>
    internal string? RequestTypeName { get; init; }

    public override string ToString()
    {
        if (IsAck) return "ACK";
        var s = $"{ErrorName} {Text}";
        if (ExtendedMessage is not null) s += $": {ExtendedMessage}";
        if (AttributePath is not null) s += $" (at {AttributePath})";
        return SafeText.Printable(s);
    }
}
