using System.Net;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.Wire;

namespace NlmonPS.DropMonitoring;

/// <summary>
/// One packet the kernel dropped, from a NET_DM_CMD_PACKET_ALERT (packet mode): where and why it was dropped,
/// on which device, the packet itself (possibly truncated) with a short decode, and the alert message as the
/// kernel sent it (<see cref="Bytes"/>, <see cref="Message"/>) so it can be exported and decoded later.
/// </summary>
public sealed class PacketDrop
{
    /// <summary>When the packet was dropped (NET_DM_ATTR_TIMESTAMP, the kernel's real-time clock).</summary>
    public DateTimeOffset Timestamp { get; init; }
    /// <summary>The same, in nanoseconds since the Unix epoch, as the kernel sent it.</summary>
    public ulong TimestampNs { get; init; }
    public DropOrigin Origin { get; init; }
    /// <summary>The drop location: "__udp4_lib_rcv+0x9a2/0xc30" (the kernel's %pS; resolved through /proc/kallsyms when only the address came), or "group/trap" for hardware drops.</summary>
    public string? Location { get; init; }
    /// <summary>The function of the drop location ("__udp4_lib_rcv").</summary>
    public string? Symbol { get; init; }
    /// <summary>The drop location's address (NET_DM_ATTR_PC; software drops).</summary>
    public ulong? Pc { get; init; }
    /// <summary>The kernel's drop reason (NET_DM_ATTR_REASON, kernel 5.18+): "NO_SOCKET", "NETFILTER_DROP"...</summary>
    public string? Reason { get; init; }
    /// <summary>The device the packet came in on (NET_DM_ATTR_IN_PORT), null for packets that were not received.</summary>
    public int? InterfaceIndex { get; init; }
    /// <summary>Its name: from the alert (hardware drops) or looked up by index in the namespace the command used.</summary>
    public string? InterfaceName { get; init; }
    /// <summary>The namespace whose device names were used (-NetNamespace), null for the current one.</summary>
    public string? NetNamespace { get; init; }
    /// <summary>The device's ARPHRD type (1 Ethernet, 772 loopback...), when it was looked up.</summary>
    public ushort? InterfaceType { get; init; }
    /// <summary>The packet's EtherType (NET_DM_ATTR_PROTO, skb->protocol).</summary>
    public ushort Protocol { get; init; }
    /// <summary>Its name: "IPv4", "IPv6", "ARP"... or the number in hex.</summary>
    public string ProtocolName { get; init; } = "";
    /// <summary>Bytes of the packet in the alert (the truncation length at most).</summary>
    public int Length { get; init; }
    /// <summary>The packet's length when it was dropped (NET_DM_ATTR_ORIG_LEN), from the MAC header when it has one.</summary>
    public int OriginalLength { get; init; }
    public bool IsTruncated => Length < OriginalLength;
    /// <summary>The packet as the kernel copied it: from the MAC header when the packet has one, else from the network header.</summary>
    public byte[] Packet { get; init; } = Array.Empty<byte>();
    /// <summary>Where the network header starts in <see cref="Packet"/> (14 after an Ethernet header, 0 without one).</summary>
    public int NetworkOffset { get; init; }
    /// <summary>"Ethernet" when <see cref="Packet"/> starts with a link-layer header.</summary>
    public string? LinkLayer { get; init; }
    public IPAddress? SourceAddress { get; init; }
    public IPAddress? DestinationAddress { get; init; }
    /// <summary>"TCP", "UDP", "ICMP", "ICMPv6", "ARP"...</summary>
    public string? TransportProtocol { get; init; }
    public int? SourcePort { get; init; }
    public int? DestinationPort { get; init; }
    /// <summary>One line about the packet: "UDP 127.0.0.1:44339 > 127.0.0.1:9 len 11".</summary>
    public string PacketSummary { get; init; } = "";
    /// <summary>The network-layer packet as PacketDotNet parsed it (IPv4Packet, IPv6Packet, ArpPacket), or null.</summary>
    public PacketDotNet.Packet? ParsedPacket { get; init; }
    /// <summary>Source MAC address of the Ethernet header, when the packet has one.</summary>
    public byte[]? SourceHardwareAddress { get; init; }
    /// <summary>Hardware drops: the devlink trap group (NET_DM_ATTR_HW_TRAP_GROUP_NAME).</summary>
    public string? HardwareTrapGroup { get; init; }
    /// <summary>Hardware drops: the devlink trap (NET_DM_ATTR_HW_TRAP_NAME).</summary>
    public string? HardwareTrapName { get; init; }
    /// <summary>Hardware drops: the cookie of the flow action that trapped the packet (NET_DM_ATTR_FLOW_ACTION_COOKIE).</summary>
    public byte[]? FlowActionCookie { get; init; }

    /// <summary>When the alert reached user space.</summary>
    public DateTimeOffset ReceivedAt { get; init; }
    /// <summary>The NET_DM family id the alert carried (its netlink message type).</summary>
    public ushort FamilyId { get; init; }
    /// <summary>The NET_DM_CMD_PACKET_ALERT message, byte for byte.</summary>
    public byte[] Bytes { get; init; } = Array.Empty<byte>();
    /// <summary>Which netlink datagram of the session carried it (1-based).</summary>
    public long RecordNumber { get; init; }
    internal ByteOrder ByteOrder { get; init; } = Endian.Host;

    private NetlinkMessage? _message;
    /// <summary>The alert decoded as a generic netlink message of family NET_DM (what Export-NetlinkPcap writes).</summary>
    public NetlinkMessage Message => _message ??= DropAlertParser.Decode(Bytes, ByteOrder, FamilyId, ReceivedAt, RecordNumber);

    /// <summary>Lets a PacketDrop bind wherever a NetlinkMessage is expected (Export-NetlinkPcap).</summary>
    public static implicit operator NetlinkMessage(PacketDrop drop) => drop.Message;

    private string Device() =>
        (InterfaceName ?? InterfaceIndex?.ToString(System.Globalization.CultureInfo.InvariantCulture)) is { } dev ? $" dev {dev}" : "";

    public override string ToString() =>
        $"{Timestamp.ToLocalTime():HH:mm:ss.ffffff} drop at {Location ?? (Pc is { } pc ? $"0x{pc:x}" : "?")}" +
        $"{(Reason is null ? "" : $" ({Reason})")}{Device()}" +
        $" {ProtocolName} {Length}/{OriginalLength}: {PacketSummary}";
}

/// <summary>
/// A drop location with its count, from a NET_DM_CMD_ALERT (summary mode): the kernel sums the drops of each
/// location for a second (per CPU) and sends them in one alert.
/// </summary>
public sealed class DropSummary
{
    /// <summary>When the alert reached user space.</summary>
    public DateTimeOffset Timestamp { get; init; }
    public DropOrigin Origin { get; init; }
    /// <summary>"__udp4_lib_rcv+0x9a2/0xc30" (resolved through /proc/kallsyms), the address in hex when it cannot be, or the trap name for hardware drops.</summary>
    public string? Location { get; init; }
    /// <summary>The function of the drop location.</summary>
    public string? Symbol { get; init; }
    /// <summary>The drop location's address (software drops).</summary>
    public ulong? Pc { get; init; }
    /// <summary>Drops at this location in the interval.</summary>
    public uint Count { get; init; }
    /// <summary>The time this alert covers: since the previous alert of the session (or since monitoring started).</summary>
    public TimeSpan Interval { get; init; }
    /// <summary>Hardware drops: the devlink trap name.</summary>
    public string? HardwareTrapName { get; init; }
    /// <summary>Position of this location in its alert (0-based).</summary>
    public int Index { get; init; }

    public ushort FamilyId { get; init; }
    /// <summary>The NET_DM_CMD_ALERT message, byte for byte (shared by the locations of one alert).</summary>
    public byte[] Bytes { get; init; } = Array.Empty<byte>();
    public long RecordNumber { get; init; }
    internal ByteOrder ByteOrder { get; init; } = Endian.Host;

    private NetlinkMessage? _message;
    /// <summary>The alert decoded as a generic netlink message of family NET_DM.</summary>
    public NetlinkMessage Message => _message ??= DropAlertParser.Decode(Bytes, ByteOrder, FamilyId, Timestamp, RecordNumber);

    /// <summary>The alert message: Export-NetlinkPcap writes it (once for the locations of one alert, which share it).</summary>
    public static implicit operator NetlinkMessage(DropSummary summary) => summary.Message;

    public override string ToString() => $"{Count} drops at {Location ?? (Pc is { } pc ? $"0x{pc:x}" : "?")}{(Origin == DropOrigin.Hardware ? " [hardware]" : "")}";
}
