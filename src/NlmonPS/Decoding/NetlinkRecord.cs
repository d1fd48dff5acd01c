using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>
/// One buffer of netlink messages with what its source knows about it: a capture record, a traced syscall,
/// a socket read. The decoder splits and decodes it.
/// </summary>
internal sealed record NetlinkRecord(ReadOnlyMemory<byte> Data, NetlinkProtocol Protocol)
{
    public DateTimeOffset Timestamp { get; init; }
    public string? Source { get; init; }
    public long RecordNumber { get; init; }
    /// <summary>Known for traced syscalls; Unknown for nlmon captures, where it is inferred per message.</summary>
    public NetlinkDirection Direction { get; init; }
    public int? ProcessId { get; init; }
    public string? ProcessName { get; init; }
    public int? ThreadId { get; init; }
    /// <summary>When the capture cut the record short (snaplen): how long the messages really were.</summary>
    public int? OriginalLength { get; init; }
    /// <summary>
    /// The record's 16-byte link-layer (nlmon/cooked) header as captured, when it is not the one nlmon writes for its
    /// protocol (packet type 4, ARPHRD_NETLINK, no address): kept so an export writes the record back byte for byte.
    /// Zero (the usual case) means the standard header. A value, not an array: no allocation per record.
    /// </summary>
    public UInt128 LinkHeader { get; init; }
    /// <summary>The host the record was captured on, when it is not this one (remoting, a merged pcapng).</summary>
    public string? ComputerName { get; init; }
    /// <summary>The network namespace it was captured in, when known (live capture, a merged pcapng).</summary>
    public string? NetNamespace { get; init; }
    /// <summary>The capture device (nlmon interface) or pcapng interface it came through, when known.</summary>
    public string? Device { get; init; }
}

/// <summary>Choices the user makes about decoding.</summary>
internal sealed class DecodeOptions
{
    /// <summary>Show key material (xfrm keys, wireguard keys) instead of redacting it.</summary>
    public bool RevealSecrets { get; init; }
    /// <summary>Force the payload byte order instead of detecting it per record.</summary>
    public ByteOrder? ByteOrder { get; init; }
    /// <summary>Generic netlink family ids the stream does not reveal (id to family name).</summary>
    public IReadOnlyDictionary<int, string>? GenericFamilies { get; init; }
}
