using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using PacketDotNet;
using PacketDotNet.Utils;

namespace NlmonPS.DropMonitoring;

/// <summary>EtherType names (linux/if_ether.h ETH_P_*) for the protocol of dropped packets.</summary>
internal static class EtherTypeNames
{
    private static readonly Dictionary<ushort, string> Names = new()
    {
        [0x0800] = "IPv4", [0x0806] = "ARP", [0x86DD] = "IPv6", [0x8035] = "RARP", [0x8100] = "802.1Q", [0x88A8] = "802.1ad",
        [0x8847] = "MPLS", [0x8848] = "MPLS-multicast", [0x8863] = "PPPoE-discovery", [0x8864] = "PPPoE", [0x888E] = "EAPOL",
        [0x88CC] = "LLDP", [0x88F7] = "PTP", [0x8906] = "FCoE", [0x894F] = "NSH", [0x8902] = "CFM", [0x22F0] = "TSN",
        [0x0001] = "802.3", [0x0003] = "all", [0x0004] = "802.2", [0x0010] = "802.3-loop", [0x00F5] = "CANFD", [0x00F6] = "CAN",
        [0x9000] = "loopback", [0x88B5] = "local-experimental", [0x8915] = "RoCE", [0x0019] = "HDLC",
    };

    /// <summary>"IPv4", or "0x88b6" when the number has no name.</summary>
    public static string NameOf(ushort etherType) =>
        Names.TryGetValue(etherType, out var n) ? n : $"0x{etherType:x4}";

    public static IEnumerable<string> KnownNames => Names.Values;

    /// <summary>An EtherType from a name ("IPv4", case-insensitive) or a number ("0x0800", "2048").</summary>
    public static bool TryParse(string text, out ushort etherType)
    {
        etherType = 0;
        text = text.Trim();
        foreach (var (k, v) in Names)
            if (string.Equals(v, text, StringComparison.OrdinalIgnoreCase)) { etherType = k; return true; }
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ushort.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out etherType);
        return ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out etherType);
    }
}

/// <summary>What the short decode of a dropped packet found.</summary>
public sealed class DroppedPacketInfo
{
    /// <summary>Where the network header starts in the payload: 14 (or 18 with a VLAN tag) when the payload starts at an Ethernet header, else 0.</summary>
    public int NetworkOffset { get; init; }
    /// <summary>"Ethernet" when the payload starts with a link-layer header, else null.</summary>
    public string? LinkLayer { get; init; }
    public byte[]? SourceHardwareAddress { get; init; }
    public byte[]? DestinationHardwareAddress { get; init; }
    public IPAddress? SourceAddress { get; init; }
    public IPAddress? DestinationAddress { get; init; }
    /// <summary>"TCP", "UDP", "ICMP", "ICMPv6"... (IP packets), or "ARP".</summary>
    public string? TransportProtocol { get; init; }
    public int? SourcePort { get; init; }
    public int? DestinationPort { get; init; }
    public string Summary { get; init; } = "";
    /// <summary>The network-layer packet as PacketDotNet parsed it (IPv4Packet, IPv6Packet, ArpPacket), or null.</summary>
    public Packet? Parsed { get; init; }
}

/// <summary>
/// A short decode of a dropped packet. The drop monitor copies from the MAC header when the packet has one (every
/// received packet, even on lo, whose header is 14 zero bytes) and from wherever the data starts otherwise
/// (locally generated packets dropped before a device took them): the start is worked out from the protocol,
/// the EtherType at offset 12 and the length fields of the network header. PacketDotNet parses from there.
/// </summary>
internal static class DroppedPacketDecoder
{
    public const ushort EthIPv4 = 0x0800, EthArp = 0x0806, EthIPv6 = 0x86DD, EthVlan = 0x8100, EthQinQ = 0x88A8;

    /// <param name="payload">NET_DM_ATTR_PAYLOAD (possibly truncated).</param>
    /// <param name="protocol">NET_DM_ATTR_PROTO: skb->protocol, host order.</param>
    /// <param name="originalLength">NET_DM_ATTR_ORIG_LEN: the packet's length before truncation.</param>
    /// <param name="hardware">Hardware drops always start at the Ethernet header.</param>
    public static DroppedPacketInfo Decode(byte[] payload, ushort protocol, int originalLength, bool hardware)
    {
        int offset = NetworkOffset(payload, protocol, originalLength, hardware);
        byte[]? srcMac = null, dstMac = null;
        if (offset >= 14)
        {
            dstMac = payload[..6];
            srcMac = payload[6..12];
        }
        try
        {
            return Network(payload, offset, protocol, srcMac, dstMac);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or NullReferenceException or OverflowException
            or NotImplementedException or NotSupportedException)
        {
            // PacketDotNet reads past the end of truncated packets, and refuses some it has no parser for (OSPFv3 is
            // NotImplementedException): read the fixed headers that are there by hand.
            return Truncated(payload, offset, protocol, srcMac, dstMac);
        }
    }

    /// <summary>Addresses and ports from the fixed IPv4/IPv6 and TCP/UDP headers of a packet cut short.</summary>
    private static DroppedPacketInfo Truncated(byte[] payload, int offset, ushort protocol, byte[]? srcMac, byte[]? dstMac)
    {
        var p = payload.AsSpan(offset);
        IPAddress? src = null, dst = null;
        int transportAt = -1, next = -1;
        if (protocol == EthIPv4 && p.Length >= 20)
        {
            src = new IPAddress(p.Slice(12, 4));
            dst = new IPAddress(p.Slice(16, 4));
            next = p[9];
            transportAt = (p[0] & 0xF) * 4;
        }
        else if (protocol == EthIPv6 && p.Length >= 40)
        {
            src = new IPAddress(p.Slice(8, 16));
            dst = new IPAddress(p.Slice(24, 16));
            next = p[6];
            transportAt = 40;
        }
        string? transport = next switch { 6 => "TCP", 17 => "UDP", 1 => "ICMP", 58 => "ICMPv6", < 0 => null, _ => $"proto {next}" };
        int? sport = null, dport = null;
        if (next is 6 or 17 && transportAt >= 0 && p.Length >= transportAt + 4)
        {
            sport = BinaryPrimitives.ReadUInt16BigEndian(p[transportAt..]);
            dport = BinaryPrimitives.ReadUInt16BigEndian(p[(transportAt + 2)..]);
        }
        string summary = src is null
            ? $"{EtherTypeNames.NameOf(protocol)} ({p.Length} bytes, too short to decode)"
            : sport is null ? $"{transport} {src} > {dst} (truncated)" : $"{transport} {src}:{sport} > {dst}:{dport} (truncated)";
        return new DroppedPacketInfo
        {
            NetworkOffset = offset, LinkLayer = offset > 0 ? "Ethernet" : null, SourceHardwareAddress = srcMac, DestinationHardwareAddress = dstMac,
            SourceAddress = src, DestinationAddress = dst, TransportProtocol = transport, SourcePort = sport, DestinationPort = dport, Summary = summary,
        };
    }

    /// <summary>Where the network header starts: 14/18 after an Ethernet header (with a VLAN tag), or 0.</summary>
    public static int NetworkOffset(ReadOnlySpan<byte> p, ushort protocol, int originalLength, bool hardware)
    {
        bool ethernet = p.Length >= 14 && BinaryPrimitives.ReadUInt16BigEndian(p[12..]) == protocol;
        bool vlan = p.Length >= 18 && BinaryPrimitives.ReadUInt16BigEndian(p[12..]) is EthVlan or EthQinQ
                    && BinaryPrimitives.ReadUInt16BigEndian(p[16..]) == protocol && protocol is not (EthVlan or EthQinQ);
        if (ethernet && Plausible(p[14..], protocol, originalLength - 14)) return 14;
        if (vlan && Plausible(p[18..], protocol, originalLength - 18)) return 18;
        if (Plausible(p, protocol, originalLength)) return 0;
        if (ethernet || (hardware && p.Length >= 14)) return 14;
        if (vlan) return 18;
        return 0;
    }

    /// <summary>Whether a network header of <paramref name="protocol"/> starts here, its length fields fitting the packet.</summary>
    private static bool Plausible(ReadOnlySpan<byte> p, ushort protocol, int remaining)
    {
        switch (protocol)
        {
            case EthIPv4:
                if (p.Length < 1 || p[0] >> 4 != 4 || (p[0] & 0xF) < 5) return false;
                if (p.Length < 4) return true;
                int total = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
                return total >= (p[0] & 0xF) * 4 && total <= remaining;
            case EthIPv6:
                if (p.Length < 1 || p[0] >> 4 != 6) return false;
                if (p.Length < 6) return true;
                return 40 + BinaryPrimitives.ReadUInt16BigEndian(p[4..]) <= remaining;
            case EthArp:
                if (p.Length < 6) return false;
                return p[4] is > 0 and <= 32 && p[5] is > 0 and <= 16 && 8 + 2 * (p[4] + p[5]) <= remaining;
            default:
                return false;
        }
    }

    /// <summary>Packets in packets PacketDotNet parses (and prints, recursively) below the network header: more are not handed on.</summary>
    public const int MaxEncapsulation = 8;

    /// <summary>
    /// Whether PacketDotNet's chain of payload packets ends within <see cref="MaxEncapsulation"/> levels. Each
    /// PayloadPacket is parsed when first read, one level at a time, so this walk is iterative; ToString is not:
    /// 64 KB of nested IPv4 headers (or one whose header length is 0, its own payload) would recurse without end.
    /// </summary>
    internal static bool ChainEnds(Packet packet)
    {
        for (int i = 0; i <= MaxEncapsulation; i++)
        {
            Packet? next;
            try { next = packet.PayloadPacket; }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or NullReferenceException or OverflowException)
            {
                return true;
            }
            if (next is null) return true;
            packet = next;
        }
        return false;
    }

    private static DroppedPacketInfo Network(byte[] payload, int offset, ushort protocol, byte[]? srcMac, byte[]? dstMac)
    {
        var segment = new ByteArraySegment(payload, offset, payload.Length - offset);
        string? link = offset > 0 ? "Ethernet" : null;
        switch (protocol)
        {
            case EthIPv4 when payload.Length - offset >= 20:
            case EthIPv6 when payload.Length - offset >= 40:
            {
                IPPacket ip = protocol == EthIPv4 ? new IPv4Packet(segment) : new IPv6Packet(segment);
                if (!ChainEnds(ip))
                {
                    // Read by hand, as a cut packet is: no PacketDotNet object to recurse through.
                    var outer = Truncated(payload, offset, protocol, srcMac, dstMac);
                    return new DroppedPacketInfo
                    {
                        NetworkOffset = offset, LinkLayer = link, SourceHardwareAddress = srcMac, DestinationHardwareAddress = dstMac,
                        SourceAddress = outer.SourceAddress, DestinationAddress = outer.DestinationAddress, TransportProtocol = outer.TransportProtocol,
                        Summary = $"{outer.TransportProtocol} {outer.SourceAddress} > {outer.DestinationAddress} (packets nested more than {MaxEncapsulation} deep, not decoded)",
                    };
                }
                var (transport, sport, dport, detail) = Transport(ip);
                string Endpoint(IPAddress a, int? port) => port is null ? a.ToString()
                    : a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{a}]:{port}" : $"{a}:{port}";
                return new DroppedPacketInfo
                {
                    NetworkOffset = offset, LinkLayer = link, SourceHardwareAddress = srcMac, DestinationHardwareAddress = dstMac,
                    SourceAddress = ip.SourceAddress, DestinationAddress = ip.DestinationAddress,
                    TransportProtocol = transport, SourcePort = sport, DestinationPort = dport,
                    Summary = $"{transport} {Endpoint(ip.SourceAddress, sport)} > {Endpoint(ip.DestinationAddress, dport)}{(detail is null ? "" : " " + detail)}",
                    Parsed = ip,
                };
            }
            case EthArp when payload.Length - offset >= 28:
            {
                var arp = new ArpPacket(segment);
                var summary = arp.Operation switch
                {
                    ArpOperation.Request => $"ARP who-has {arp.TargetProtocolAddress} tell {arp.SenderProtocolAddress}",
                    ArpOperation.Response => $"ARP {arp.SenderProtocolAddress} is-at {Mac(arp.SenderHardwareAddress.GetAddressBytes())}",
                    _ => $"ARP {arp.Operation} {arp.SenderProtocolAddress} > {arp.TargetProtocolAddress}",
                };
                return new DroppedPacketInfo
                {
                    NetworkOffset = offset, LinkLayer = link, SourceHardwareAddress = srcMac, DestinationHardwareAddress = dstMac,
                    SourceAddress = arp.SenderProtocolAddress, DestinationAddress = arp.TargetProtocolAddress, TransportProtocol = "ARP",
                    Summary = summary, Parsed = arp,
                };
            }
            default:
                return new DroppedPacketInfo
                {
                    NetworkOffset = offset, LinkLayer = link, SourceHardwareAddress = srcMac, DestinationHardwareAddress = dstMac,
                    Summary = $"{EtherTypeNames.NameOf(protocol)} {payload.Length - offset} bytes",
                };
        }
    }

    private static (string Name, int? SourcePort, int? DestinationPort, string? Detail) Transport(IPPacket ip)
    {
        var name = ip.Protocol switch
        {
            ProtocolType.Tcp => "TCP",
            ProtocolType.Udp => "UDP",
            ProtocolType.Icmp => "ICMP",
            ProtocolType.IcmpV6 => "ICMPv6",
            ProtocolType.Igmp => "IGMP",
            ProtocolType.Gre => "GRE",
            var p => Enum.IsDefined(p) ? p.ToString() : $"proto {(int)p}",
        };
        Packet? inner;
        try { inner = ip.PayloadPacket; }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or NullReferenceException
            or NotImplementedException or NotSupportedException)
        {
            inner = null;
        }
        switch (inner)
        {
            case UdpPacket udp:
                return (name, udp.SourcePort, udp.DestinationPort, $"len {Math.Max(0, udp.Length - 8)}");
            case TcpPacket tcp:
            {
                var flags = new List<string>();
                if (tcp.Synchronize) flags.Add("SYN");
                if (tcp.Finished) flags.Add("FIN");
                if (tcp.Reset) flags.Add("RST");
                if (tcp.Push) flags.Add("PSH");
                if (tcp.Acknowledgment) flags.Add("ACK");
                if (tcp.Urgent) flags.Add("URG");
                return (name, tcp.SourcePort, tcp.DestinationPort, $"[{string.Join(",", flags)}] seq {tcp.SequenceNumber}");
            }
            case IcmpV4Packet icmp:
                return (name, null, null, icmp.TypeCode.ToString());
            case IcmpV6Packet icmp6:
                return (name, null, null, $"{icmp6.Type} code {icmp6.Code}");
            default:
                return (name, null, null, null);
        }
    }

    public static string Mac(ReadOnlySpan<byte> address) => Convert.ToHexString(address).ToLowerInvariant() is var hex && hex.Length > 0
        ? string.Join(":", Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2)))
        : "";
}
