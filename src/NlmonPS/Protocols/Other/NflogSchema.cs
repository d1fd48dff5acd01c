using NlmonPS.Decoding;
using NlmonPS.Protocols.Netfilter;
using NlmonPS.Wire;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Other;

/// <summary>
/// NETLINK_NFLOG: the legacy ipt_ULOG target (linux/netfilter_ipv4/ipt_ULOG.h, removed in Linux 3.17; nflog now
/// goes through NETLINK_NETFILTER's NFNL_SUBSYS_ULOG). Its one message, ULOG_NL_EVENT (111), carries a
/// ulog_packet_msg_t followed by the packet. The struct has longs and a size_t: this is its LP64 (64-bit) layout.
/// Other types stay unknown.
/// </summary>
internal sealed class NflogSchema : IProtocolSchema
{
    public const ushort UlogNlEvent = 111;

    /// <summary>ulog_packet_msg_t on LP64: mark, timestamp, hook, devices, data_len, prefix, mac, then the payload.</summary>
    public static readonly StructSpec UlogPacketMsg = new("ulog_packet_msg_t", 192)
    {
        { "mark", 0, U64 }, { "timestamp_sec", 8, S64 }, { "timestamp_usec", 16, S64 }, { "hook", 24, U32, NfEnums.InetHook },
        { "indev_name", 28, ValueKind.String, null, null, 16 }, { "outdev_name", 44, ValueKind.String, null, null, 16 },
        { "data_len", 64, U64 }, { "prefix", 72, ValueKind.String, null, null, 32 }, { "mac_len", 104, U8 },
        { "mac", 105, Binary, null, null, 80 }, { "payload", 185, Binary },
    };

    private static readonly MessageSpec Event = new("ULOG_NL_EVENT", MessageKind.Other) { Header = UlogPacketMsg, Summary = Summary };

    private NflogSchema() { }

    public NetlinkProtocol Protocol => NetlinkProtocol.Nflog;

    /// <summary>The packet is the "payload" field; HeaderOffset past its end keeps the attribute walker off it.</summary>
    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) =>
        header.Type == UlogNlEvent ? new ResolvedMessage(Event, payload.Length) : null;

    public string? TypeName(ushort type) => type == UlogNlEvent ? "ULOG_NL_EVENT" : null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => new[] { (UlogNlEvent, "ULOG_NL_EVENT") };

    /// <summary>"ulog prefix "x" hook input in eth0: IP 10.0.0.1 > 10.0.0.2: ICMP echo request...".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var h = m.Header;
        var packet = h["payload"] is byte[] p && NetfilterSummaries.Packet(p) is { } text ? ": " + text : "";
        return Summaries.Join("ulog", h["prefix"] is string prefix && prefix.Length > 0 ? $"prefix \"{prefix}\"" : null,
            h["hook"] is { } hook ? $"hook {NetlinkFields.Format(hook)}" : null,
            h["indev_name"] is string i && i.Length > 0 ? $"in {i}" : null, h["outdev_name"] is string o && o.Length > 0 ? $"out {o}" : null,
            h["mark"] is ulong mark && mark != 0 ? $"mark 0x{mark:x}" : null) + packet;
    }

    // Last: static fields initialise in textual order, and the constructor uses the ones above.
    public static readonly NflogSchema Instance = new();
}
