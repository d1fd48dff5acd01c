using NlmonPS.Decoding;
using NlmonPS.Protocols.Xfrm;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>fou, foo-over-UDP receive ports (linux/fou.h): what `ip fou` talks to.</summary>
internal static class Fou
{
    public static readonly EnumTable Commands = new("fou-cmd") { [0] = "FOU_CMD_UNSPEC", [1] = "FOU_CMD_ADD", [2] = "FOU_CMD_DEL", [3] = "FOU_CMD_GET" };
    public static readonly EnumTable EncapType = new("fou-encap") { [1] = "direct", [2] = "gue" };

    public static readonly AttributeTable Attributes = new("fou", "FOU_ATTR_")
    {
        [1] = new("port", U16) { NetworkOrder = true }, [2] = new("af", U8) { Enum = Enums.AddressFamily },
        [3] = new("ipproto", U8) { Enum = XfrmEnums.IpProtocol }, [4] = new("type", U8) { Enum = EncapType },
        [5] = new("remcsum_nopartial", Flag), [6] = new("local_v4", IPv4), [7] = new("local_v6", IPv6), [8] = new("peer_v4", IPv4),
        [9] = new("peer_v6", IPv6), [10] = new("peer_port", U16) { NetworkOrder = true }, [11] = new("ifindex", S32),
    };

    public static readonly GenericFamily Family = new("fou", Commands, Attributes) { Summary = Summary };

    /// <summary>In `ip fou show` words: "port 5555 ipproto 4".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        return Summaries.Join(Summaries.RequestVerb(m), m.Command, GenericFamilies.Part("port", a["port"]),
            a["type"] as string == "gue" ? "gue" : a["ipproto"] is { } p ? $"ipproto {(p is string s && s == "ipip" ? "4" : NetlinkFields.Format(p))}" : null,
            GenericFamilies.Part("local", Set(a["local_v4"] ?? a["local_v6"])), GenericFamilies.Part("peer", Set(a["peer_v4"] ?? a["peer_v6"])),
            GenericFamilies.Part("peer_port", a["peer_port"] is ushort pp && pp != 0 ? pp : null),
            GenericFamilies.Part("dev", a["ifindex"] is int dev && dev != 0 ? dev : null));
    }

    /// <summary>An address that is set (the kernel reports unbound ends as 0.0.0.0 or ::).</summary>
    private static object? Set(object? address) =>
        address is System.Net.IPAddress ip && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any)) ? null : address;
}

/// <summary>tcp_metrics (linux/tcp_metrics.h): what `ip tcp_metrics` talks to.</summary>
internal static class TcpMetrics
{
    public static readonly EnumTable Commands = new("tcp-metrics-cmd")
    {
        [0] = "TCP_METRICS_CMD_UNSPEC", [1] = "TCP_METRICS_CMD_GET", [2] = "TCP_METRICS_CMD_DEL",
    };

    /// <summary>TCP_METRICS_ATTR_VALS members: attribute type is TCP_METRIC_* + 1, so these are not uapi constants.</summary>
    public static readonly AttributeTable Values = new("tcp-metrics-vals")
    {
        [1] = new("rtt", U32), [2] = new("rttvar", U32), [3] = new("ssthresh", U32), [4] = new("cwnd", U32),
        [5] = new("reordering", U32), [6] = new("rtt_us", U32), [7] = new("rttvar_us", U32),
    };

    public static readonly AttributeTable Attributes = new("tcp-metrics", "TCP_METRICS_ATTR_")
    {
        [1] = new("addr_ipv4", IPv4), [2] = new("addr_ipv6", IPv6), [3] = new("age", U64), [4] = new("tw_tsval", U32),
        [5] = new("tw_ts_stamp", S32), [6] = new("vals", Nested) { Nested = Values }, [7] = new("fopen_mss", U16),
        [8] = new("fopen_syn_drops", U16), [9] = new("fopen_syn_drop_ts", U64), [10] = new("fopen_cookie", Binary),
        [11] = new("saddr_ipv4", IPv4), [12] = new("saddr_ipv6", IPv6), [13] = new("pad", Binary),
    };

    public static readonly GenericFamily Family = new("tcp_metrics", Commands, Attributes) { Summary = Summary };

    /// <summary>In `ip tcp_metrics` words: "127.0.0.1 age 12.345sec rtt 100us source 127.0.0.1".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        var vals = a["vals"] as NetlinkFields;
        return Summaries.Join(Summaries.RequestVerb(m), m.Direction == NetlinkDirection.ToKernel ? m.Command : null,
            a["addr_ipv4"] ?? a["addr_ipv6"], a["age"] is ulong age ? $"age {age / 1000.0:0.###}sec" : null,
            GenericFamilies.Part("rtt", vals?["rtt_us"] is uint rtt ? $"{rtt}us" : null),
            GenericFamilies.Part("rttvar", vals?["rttvar_us"] is uint var ? $"{var}us" : null),
            GenericFamilies.Part("cwnd", vals?["cwnd"]), GenericFamilies.Part("source", a["saddr_ipv4"] ?? a["saddr_ipv6"]));
    }
}
