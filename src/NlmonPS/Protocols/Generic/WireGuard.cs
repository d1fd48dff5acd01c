using System.Buffers.Binary;
using System.Net;
using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>wireguard (linux/wireguard.h). Private and preshared keys are secrets: redacted unless revealed.</summary>
internal static class WireGuard
{
    public static readonly EnumTable Commands = new("wg-cmd") { [0] = "WG_CMD_GET_DEVICE", [1] = "WG_CMD_SET_DEVICE" };

    public static readonly FlagTable DeviceFlags = new("wgdevice-flags") { { 1, "replace_peers" } };
    public static readonly FlagTable PeerFlags = new("wgpeer-flags") { { 1, "remove_me" }, { 2, "replace_allowedips" }, { 4, "update_only" } };

    public static readonly StructSpec Timespec = new("__kernel_timespec", 16) { { "tv_sec", 0, S64 }, { "tv_nsec", 8, S64 } };

    public static readonly AttributeTable AllowedIp = new("wgallowedip", "WGALLOWEDIP_A_")
    {
        [1] = new("family", U16) { Enum = Enums.AddressFamily }, [2] = new("ipaddr", IpAddress), [3] = new("cidr_mask", U8),
    };

    public static readonly AttributeTable Peer = new("wgpeer", "WGPEER_A_")
    {
        [1] = new("public_key", Binary),
        [2] = new("preshared_key", Secret),
        [3] = new("flags", U32) { Flags = PeerFlags },
        [4] = new("endpoint", Binary),   // struct sockaddr_in or sockaddr_in6: see Endpoint()
        [5] = new("persistent_keepalive_interval", U16),
        [6] = new("last_handshake_time", Struct) { Struct = Timespec },
        [7] = new("rx_bytes", U64),
        [8] = new("tx_bytes", U64),
        [9] = new("allowedips", NestedArray) { Nested = AllowedIp },
        [10] = new("protocol_version", U32),
    };

    public static readonly AttributeTable Device = new("wgdevice", "WGDEVICE_A_")
    {
        [1] = new("ifindex", U32),
        [2] = new("ifname", ValueKind.String),
        [3] = new("private_key", Secret),
        [4] = new("public_key", Binary),
        [5] = new("flags", U32) { Flags = DeviceFlags },
        [6] = new("listen_port", U16),
        [7] = new("fwmark", U32),
        [8] = new("peers", NestedArray) { Nested = Peer },
    };

    public static readonly GenericFamily Family = new("wireguard", Commands, Device) { Summary = Summary };

    /// <summary>A peer endpoint (struct sockaddr_in/sockaddr_in6: family in host order, port big-endian) as `wg` prints it.</summary>
    public static string? Endpoint(byte[]? sa)
    {
        if (sa is null || sa.Length < 8) return null;
        ushort family = BitConverter.ToUInt16(sa, 0);
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(sa.AsSpan(2));
        if (family == 2) return $"{new IPAddress(sa.AsSpan(4, 4))}:{port}";
        if (family == 10 && sa.Length >= 24) return $"[{new IPAddress(sa.AsSpan(8, 16))}]:{port}";
        return null;
    }

    /// <summary>In `wg show` words: "interface: wg0 listening port: 51820 peers: 1 (peer Base64= endpoint 1.2.3.4:51820 allowed ips 10.0.0.2/32)".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        var peers = a["peers"] as NetlinkFields[];
        return Summaries.Join(Summaries.RequestVerb(m), m.Command,
            a["ifname"] is string name ? $"interface: {name}" : GenericFamilies.Part("ifindex", a["ifindex"]),
            a["public_key"] is byte[] pub ? $"public key: {Convert.ToBase64String(pub)}" : null,
            a.Contains("private_key") ? "private key: (hidden)" : null,
            GenericFamilies.Part("listening port:", a["listen_port"]),
            GenericFamilies.Part("fwmark:", a["fwmark"]),
            peers is null ? null : $"peers: {peers.Length}",
            peers is null ? null : string.Join(" ", peers.Select(PeerText)));
    }

    private static string PeerText(NetlinkFields p) => "(" + Summaries.Join(
        p["public_key"] is byte[] key ? $"peer {Convert.ToBase64String(key)}" : "peer",
        GenericFamilies.Part("endpoint", Endpoint(p["endpoint"] as byte[])),
        p["allowedips"] is NetlinkFields[] ips && ips.Length > 0
            ? "allowed ips " + string.Join(",", ips.Select(i => $"{NetlinkFields.Format(i["ipaddr"])}/{i["cidr_mask"]}")) : null) + ")";
}
