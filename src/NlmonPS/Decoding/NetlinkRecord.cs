using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>
/// One buffer of netlink messages with what its source knows about it: a capture record, a traced syscall,
/// a socket read. The decoder splits and decodes it.
/// </summary>
public sealed record NetlinkRecord(ReadOnlyMemory<byte> Data, NetlinkProtocol Protocol)
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
}

/// <summary>Choices the user makes about decoding.</summary>
public sealed class DecodeOptions
{
    /// <summary>Show key material (xfrm keys, wireguard keys) instead of redacting it.</summary>
    public bool RevealSecrets { get; init; }
    /// <summary>Force the payload byte order instead of detecting it per record.</summary>
    public ByteOrder? ByteOrder { get; init; }
    /// <summary>Generic netlink family ids the stream does not reveal (id to family name).</summary>
    public IReadOnlyDictionary<int, string>? GenericFamilies { get; init; }
}
