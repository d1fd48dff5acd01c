using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>
/// How nft prints a value of one of its datatypes. Register contents come raw: payload fields in network order,
/// meta and ct keys in host order, so each loaded field names its datatype and the datatype knows its order.
/// </summary>
internal sealed record NftType(string Name, int Size, Func<byte[], ByteOrder, string> Format)
{
    private static string Hex(byte[] v) => "0x" + Convert.ToHexString(v).ToLowerInvariant();

    private static ulong Int(byte[] v, ByteOrder order)
    {
        ulong n = 0;
        if (v.Length > 8) return 0;
        if (order == ByteOrder.BigEndian) foreach (var b in v) n = n << 8 | b;
        else for (int i = v.Length - 1; i >= 0; i--) n = n << 8 | v[i];
        return n;
    }

    private static string Dec(ulong n) => n.ToString(CultureInfo.InvariantCulture);

    private static Func<byte[], ByteOrder, string> Named(EnumTable names, bool network) =>
        (v, o) => v.Length <= 8 ? names.NameOf(Int(v, network ? ByteOrder.BigEndian : o)) : Hex(v);

    private static Func<byte[], ByteOrder, string> Bits(FlagTable bits, bool network) => (v, o) =>
    {
        if (v.Length > 8) return Hex(v);
        var names = bits.Names(Int(v, network ? ByteOrder.BigEndian : o));
        return names.Length == 0 ? "0x0" : string.Join(",", names);
    };

    public static readonly NftType Integer = new("integer", 0, (v, o) => v.Length <= 8 ? Dec(Int(v, ByteOrder.BigEndian)) : Hex(v));
    public static readonly NftType HostInteger = new("integer", 4, (v, o) => v.Length <= 8 ? Dec(Int(v, o)) : Hex(v));
    public static readonly NftType Mark = new("mark", 4, (v, o) => v.Length == 4 ? $"0x{Int(v, o):x8}" : Hex(v));
    public static readonly NftType Ipv4 = new("ipv4_addr", 4, (v, o) => v.Length == 4 ? new IPAddress(v).ToString() : Hex(v));
    public static readonly NftType Ipv6 = new("ipv6_addr", 16, (v, o) => v.Length == 16 ? new IPAddress(v).ToString() : Hex(v));
    public static readonly NftType Service = new("inet_service", 2, (v, o) => v.Length == 2 ? Dec(BinaryPrimitives.ReadUInt16BigEndian(v)) : Hex(v));
    /// <summary>nft names protocols as /etc/protocols does (ipv6-icmp, not conntrack's icmpv6).</summary>
    private static readonly EnumTable NftProtoNames = BuildProtoNames();

    private static EnumTable BuildProtoNames()
    {
        var t = new EnumTable("nft-inet-proto");
        foreach (var (k, v) in NfEnums.IpProto) t[k] = v;
        t[0] = "hopopt";
        t[58] = "ipv6-icmp";
        return t;
    }

    public static readonly NftType Proto = new("inet_proto", 1, Named(NftProtoNames, true));
    public static readonly NftType NfProto = new("nf_proto", 1, Named(NfEnums.Names("nft-nfproto", "", "", "ipv4", "", "", "", "", "", "", "", "ipv6"), true));
    public static readonly NftType EtherType = new("ether_type", 2, Named(new EnumTable("nft-ethertype") { [0x0800] = "ip", [0x0806] = "arp", [0x86dd] = "ip6", [0x8100] = "vlan", [0x88a8] = "8021ad" }, true));
    public static readonly NftType Ether = new("ether_addr", 6, (v, o) => AttributeDecoder.HardwareAddress(v));
    public static readonly NftType IfName = new("ifname", 16, (v, o) => $"\"{AttributeDecoder.CString(v)}\"");
    public static readonly NftType PktType = new("pkt_type", 1, Named(NfEnums.Names("nft-pkttype", "host", "broadcast", "multicast", "other"), true));
    public static readonly NftType CtState = new("ct_state", 4, Bits(new FlagTable("nft-ct-state")
    {
        { 1, "invalid" }, { 2, "established" }, { 4, "related" }, { 8, "new" }, { 64, "untracked" },
    }, false));
    public static readonly NftType CtStatus = new("ct_status", 4, Bits(new FlagTable("nft-ct-status")
    {
        { 1, "expected" }, { 2, "seen-reply" }, { 4, "assured" }, { 8, "confirmed" }, { 16, "snat" }, { 32, "dnat" }, { 512, "dying" },
    }, false));
    public static readonly NftType CtDir = new("ct_dir", 1, Named(NftEnums.CtDirection, true));
    public static readonly NftType TcpFlag = new("tcp_flag", 1, Bits(new FlagTable("nft-tcp-flags")
    {
        { 1, "fin" }, { 2, "syn" }, { 4, "rst" }, { 8, "psh" }, { 16, "ack" }, { 32, "urg" }, { 64, "ecn" }, { 128, "cwr" },
    }, true));
    public static readonly NftType IcmpType = new("icmp_type", 1, Named(new EnumTable("nft-icmp-type")
    {
        [0] = "echo-reply", [3] = "destination-unreachable", [4] = "source-quench", [5] = "redirect", [8] = "echo-request",
        [9] = "router-advertisement", [10] = "router-solicitation", [11] = "time-exceeded", [12] = "parameter-problem",
        [13] = "timestamp-request", [14] = "timestamp-reply", [15] = "info-request", [16] = "info-reply",
        [17] = "address-mask-request", [18] = "address-mask-reply",
    }, true));
    public static readonly NftType Icmp6Type = new("icmpv6_type", 1, Named(new EnumTable("nft-icmpv6-type")
    {
        [1] = "destination-unreachable", [2] = "packet-too-big", [3] = "time-exceeded", [4] = "parameter-problem",
        [128] = "echo-request", [129] = "echo-reply", [133] = "nd-router-solicit", [134] = "nd-router-advert",
        [135] = "nd-neighbor-solicit", [136] = "nd-neighbor-advert", [137] = "nd-redirect",
    }, true));
    public static readonly NftType FibAddrType = new("fib_addrtype", 4, Named(NfEnums.Names("nft-fib-addrtype",
        "unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit"), false));
    public static readonly NftType Boolean = new("boolean", 1, (v, o) => v.Any(b => b != 0) ? "exists" : "missing");
    public static readonly NftType Verdict = new("verdict", 4, (v, o) => NfEnums.Verdict.NameOf(Int(v, o)));

    /// <summary>The datatypes of set keys and data, by the names NftEnums.DataType gives NFTA_SET_KEY_TYPE.</summary>
    private static readonly Dictionary<string, NftType> ByName = new[]
    {
        Ipv4, Ipv6, Service, Proto, NfProto, EtherType, Ether, IfName, PktType, CtState, CtStatus, CtDir, TcpFlag,
        IcmpType, Icmp6Type, FibAddrType, Boolean, Mark, Verdict,
    }.ToDictionary(t => t.Name);

    public static NftType? ByTypeName(string? name) => name is not null && ByName.TryGetValue(name, out var t) ? t : null;

    /// <summary>A set key type, concatenations included (6 bits per component, each padded to 4 bytes in the key).</summary>
    public static NftType[]? SetKey(string? keyType, ulong? rawKeyType)
    {
        if (ByTypeName(keyType) is { } single) return new[] { single };
        if (rawKeyType is not { } raw || raw <= 0x3f) return null;
        var parts = new List<NftType>();
        for (; raw != 0; raw >>= 6)
        {
            var name = NftEnums.DataType.TryGetValue(raw & 0x3f, out var n) ? n : null;
            if (ByTypeName(name) is not { } t) return null;
            parts.Insert(0, t);
        }
        return parts.ToArray();
    }

    /// <summary>Formats a key by its (possibly concatenated) type; unknown types print as hex.</summary>
    public static string FormatKey(byte[] value, NftType[]? types, ByteOrder order)
    {
        if (types is null) return value.Length <= 8 && value.Length > 0 ? Integer.Format(value, order) : Hex(value);
        if (types.Length == 1) return types[0].Format(value, order);
        var parts = new List<string>();
        int offset = 0;
        foreach (var t in types)
        {
            int size = t.Size, padded = (size + 3) & ~3;
            if (offset + size > value.Length) return Hex(value);
            parts.Add(t.Format(value[offset..(offset + size)], order));
            offset += padded;
        }
        return string.Join(" . ", parts);
    }

    /// <summary>The prefix length when [start, last] is one CIDR block (192.0.2.0-192.0.2.255 is /24), else -1.</summary>
    public static int PrefixOf(byte[] start, byte[] last)
    {
        if (start.Length != last.Length) return -1;
        int bits = start.Length * 8;
        // From the low end: bits where start is 0 and last is 1 belong to the host part; above them both must agree.
        int host = 0;
        while (host < bits && Bit(start, bits - 1 - host) == 0 && Bit(last, bits - 1 - host) == 1) host++;
        for (int i = 0; i < bits - host; i++) if (Bit(start, i) != Bit(last, i)) return -1;
        return bits - host;

        static int Bit(byte[] v, int i) => v[i / 8] >> (7 - i % 8) & 1;
    }

    /// <summary>value - 1 as a big-endian number (interval ends are exclusive on the wire).</summary>
    public static byte[] Decrement(byte[] value)
    {
        var copy = (byte[])value.Clone();
        for (int i = copy.Length - 1; i >= 0; i--)
        {
            if (copy[i]-- != 0) break;
        }
        return copy;
    }
}
