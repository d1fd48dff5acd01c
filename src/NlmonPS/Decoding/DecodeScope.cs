using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>
/// What the fields of one message need to decode themselves later, when they are read: the message's bytes
/// (secrets already zeroed), its byte order, direction and kind, its family header and the user's options.
/// Fixed when the message is decoded, so reading a field later sees the same layout the stream had then.
/// </summary>
public sealed class DecodeScope
{
    internal DecodeScope(byte[] bytes, ByteOrder order, NetlinkDirection direction, MessageKind kind, bool revealSecrets)
    {
        Bytes = bytes; Order = order; Direction = direction; Kind = kind; RevealSecrets = revealSecrets;
    }

    /// <summary>The whole message; every field offset is relative to its start.</summary>
    public byte[] Bytes { get; }
    public ByteOrder Order { get; }
    public NetlinkDirection Direction { get; }
    public MessageKind Kind { get; }
    public bool RevealSecrets { get; }

    /// <summary>The family header, for attribute sets chosen by one of its fields (IFLA_PROTINFO by ifi_family).</summary>
    public NetlinkFields Header => _header ??= HeaderStruct is { } first
        ? new NetlinkFields(new FieldLevel(this, Nl.HeaderLength, Bytes.Length - Nl.HeaderLength, 0, first, HeaderStruct2), HeaderFault, reasonKnown: true)
        : NetlinkFields.Empty;
    private NetlinkFields? _header;

    /// <summary>The message's attributes, walked when first read.</summary>
    public NetlinkFields Attributes => _attributes ??= AttributesLength >= 0
        ? new NetlinkFields(FieldLevel.Attributes(this, AttributeTable, AttributesStart, AttributesLength, 0), AttributesFault, reasonKnown: true)
        : NetlinkFields.Empty;
    private NetlinkFields? _attributes;

    // Where the family header (one or two structs after the netlink header) and the attributes are, set by the
    // decoder; the sets are made when first read. Kept as plain fields: every message has one scope.
    internal StructSpec? HeaderStruct, HeaderStruct2;
    internal string? HeaderFault;
    internal AttributeTable? AttributeTable;
    internal int AttributesStart, AttributesLength = -1;
    internal string? AttributesFault;

    /// <summary>Sets made eagerly (bodies that are not attribute streams).</summary>
    internal void SetAttributes(NetlinkFields attributes) => _attributes = attributes;
    internal void SetHeader(NetlinkFields header) => _header = header;

    /// <summary>The attribute set a request carries instead of the reply's, where they differ.</summary>
    internal AttributeTable? ForDirection(AttributeTable? table)
    {
        if (Direction != NetlinkDirection.ToKernel || table is null) return table;
        return (Kind == MessageKind.Get ? table.GetRequests : null) ?? table.Requests ?? table;
    }
}
