using System.Globalization;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>NET_DM, the drop monitor (linux/net_dropmon.h): what `dropwatch` talks to.</summary>
internal static class DropMonitor
{
    public static readonly EnumTable Commands = new("net-dm-cmd")
    {
        [0] = "NET_DM_CMD_UNSPEC", [1] = "NET_DM_CMD_ALERT", [2] = "NET_DM_CMD_CONFIG", [3] = "NET_DM_CMD_START",
        [4] = "NET_DM_CMD_STOP", [5] = "NET_DM_CMD_PACKET_ALERT", [6] = "NET_DM_CMD_CONFIG_GET",
        [7] = "NET_DM_CMD_CONFIG_NEW", [8] = "NET_DM_CMD_STATS_GET", [9] = "NET_DM_CMD_STATS_NEW",
    };

    public static readonly EnumTable AlertMode = new("net-dm-alert-mode") { [0] = "summary", [1] = "packet" };
    public static readonly EnumTable Origin = new("net-dm-origin") { [0] = "sw", [1] = "hw" };

    public static readonly AttributeTable Port = new("net-dm-port", "NET_DM_ATTR_PORT_")
    {
        [0] = new("netdev_ifindex", U32), [1] = new("netdev_name", ValueKind.String),
    };

    public static readonly AttributeTable Stats = new("net-dm-stats", "NET_DM_ATTR_STATS_")
    {
        [0] = new("dropped", U64),
    };

    public static readonly AttributeTable Attributes = new("net-dm", "NET_DM_ATTR_")
    {
        [1] = new("alert_mode", U8) { Enum = AlertMode },
        [2] = new("pc", U64),
        [3] = new("symbol", ValueKind.String),
        [4] = new("in_port", Nested) { Nested = Port },
        [5] = new("timestamp", U64),
        [6] = new("proto", U16) { Enum = EtherTypes.Names },
        [7] = new("payload", Binary),
        [8] = new("pad", Binary),
        [9] = new("trunc_len", U32),
        [10] = new("orig_len", U32),
        [11] = new("queue_len", U32),
        [12] = new("stats", Nested) { Nested = Stats },
        [13] = new("hw_stats", Nested) { Nested = Stats },
        [14] = new("origin", U16) { Enum = Origin },
        [15] = new("hw_trap_group_name", ValueKind.String),
        [16] = new("hw_trap_name", ValueKind.String),
        // [17] hw_entries and [18] hw_entry nest this same set: filled in by the static constructor.
        [19] = new("hw_trap_count", U32),
        [20] = new("sw_drops", Flag),
        [21] = new("hw_drops", Flag),
        [22] = new("flow_action_cookie", Binary),
        [23] = new("reason", ValueKind.String),
    };

    /// <summary>struct net_dm_drop_point: the drop location (a kernel address, host order) and how many drops.</summary>
    public static readonly StructSpec DropPoint = new("net_dm_drop_point", 12) { { "pc", 0, U64 }, { "count", 8, U32 } };

    public static readonly GenericFamily Family = CreateFamily();

    static DropMonitor()
    {
        Attributes[17] = new("hw_entries", Nested) { Nested = Attributes };
        Attributes[18] = new("hw_entry", Nested) { Nested = Attributes };
    }

    private static GenericFamily CreateFamily()
    {
        var family = new GenericFamily("NET_DM", Commands, Attributes) { Summary = Summary };
        family.BodyByCommand[1] = AlertBody;
        return family;
    }

    /// <summary>
    /// NET_DM_CMD_ALERT carries, for software drops, a struct net_dm_alert_msg (u32 entries, then that many drop
    /// points) inside one attribute of type 0 (NLA_UNSPEC) that the kernel grows as drops come in; hardware drop
    /// summaries use real attributes (hw_entries). The struct shows as "entries" and "points".
    /// </summary>
    private static NetlinkFields AlertBody(NetlinkMessage message, int start, int length)
    {
        var raw = new List<RawAttribute>(2);
        if (AttributeWalker.Walk(message.Bytes.AsMemory(start, length), start, message.ByteOrder, raw) is null && raw.Count == 1 && raw[0].Type == 0)
        {
            var msg = raw[0].Payload;
            if (msg.Length >= 4)
            {
                uint entries = Endian.U32(msg.Span, message.ByteOrder);
                if (entries <= (uint)(msg.Length / DropPoint.Size) && 4 + entries * DropPoint.Size == msg.Length)
                    return Bodies.CountedStructArray(message, raw[0].Offset + Nl.AttributeHeaderLength, "entries", "points", DropPoint, (int)entries);
            }
        }
        var attributes = AttributeDecoder.DecodeAttributes(Attributes, message, start, length);
        _ = attributes.MalformedReason; // checked now: the message's fault must not wait for a read
        return attributes;
    }

    /// <summary>In dropwatch's words: "2 drops at 0xffffffff81a2b3c4", "drop at symbol (pc) reason ... dev lo proto IPv4 len 42/42".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        switch (m.Command)
        {
            case "NET_DM_CMD_ALERT" when a["points"] is NetlinkFields[] points:
                return points.Length == 0 ? "alert: no drops"
                    : string.Join("; ", points.Select(p => $"{p["count"]} drops at 0x{p["pc"]:x}"));
            case "NET_DM_CMD_ALERT" when a["hw_entries"] is NetlinkFields hw:
                return "hw " + string.Join("; ", hw.Select(e => e.Value is NetlinkFields f ? $"{f["hw_trap_count"]} drops at {f["hw_trap_name"]}" : ""));
            case "NET_DM_CMD_PACKET_ALERT":
            {
                var port = a["in_port"] as NetlinkFields;
                var dev = port?["netdev_name"] is string name ? $"dev {name}" : port?["netdev_ifindex"] is uint ifindex ? $"ifindex {ifindex}" : null;
                int? payload = (a["payload"] as byte[])?.Length;
                bool hw = a["origin"] as string == "hw";
                return Summaries.Join("drop at",
                    hw ? $"{a["hw_trap_group_name"]}/{a["hw_trap_name"]}" : a["symbol"] ?? (a["pc"] is ulong pc0 ? $"0x{pc0:x}" : null),
                    !hw && a["symbol"] is not null && a["pc"] is ulong pc ? $"(0x{pc:x})" : null,
                    GenericFamilies.Part("reason", a["reason"]),
                    dev,
                    GenericFamilies.Part("proto", a["proto"] is ushort p ? $"0x{p:x4}" : a["proto"]),
                    a["orig_len"] is uint orig ? $"len {payload ?? 0}/{orig}" : null,
                    hw ? "[hardware]" : null);
            }
            case "NET_DM_CMD_CONFIG" or "NET_DM_CMD_CONFIG_NEW":
                return Summaries.Join(m.Command == "NET_DM_CMD_CONFIG" ? "set" : "config",
                    GenericFamilies.Part("alertmode", a["alert_mode"]), GenericFamilies.Part("trunc", a["trunc_len"]),
                    GenericFamilies.Part("queue", a["queue_len"]));
            case "NET_DM_CMD_START" or "NET_DM_CMD_STOP":
                return Summaries.Join(m.Command == "NET_DM_CMD_START" ? "start" : "stop",
                    a.Contains("sw_drops") ? "sw" : null, a.Contains("hw_drops") ? "hw" : null);
            case "NET_DM_CMD_STATS_NEW":
                return Summaries.Join("stats",
                    (a["stats"] as NetlinkFields)?["dropped"] is ulong sw ? $"{sw} dropped from the software queue" : null,
                    (a["hw_stats"] as NetlinkFields)?["dropped"] is ulong hwd ? $"{hwd} from the hardware queue" : null);
            default:
                return Summaries.Join(m.Command?.Replace("NET_DM_CMD_", "", StringComparison.Ordinal).ToLower(CultureInfo.InvariantCulture),
                    a.Count > 0 ? $"({a.Count} attributes)" : null);
        }
    }
}

/// <summary>EtherType names (linux/if_ether.h ETH_P_*), for NET_DM's proto.</summary>
internal static class EtherTypes
{
    public static readonly EnumTable Names = new("ethertype")
    {
        [0x0800] = "IPv4", [0x0806] = "ARP", [0x8035] = "RARP", [0x86DD] = "IPv6", [0x8100] = "802.1Q", [0x88A8] = "802.1ad",
        [0x8847] = "MPLS", [0x8848] = "MPLS-multicast", [0x8863] = "PPPoE-discovery", [0x8864] = "PPPoE", [0x888E] = "EAPOL",
        [0x88CC] = "LLDP", [0x88F7] = "PTP", [0x8906] = "FCoE", [0x0004] = "802.2", [0x0003] = "all", [0x0001] = "802.3",
        [0x00F6] = "CAN", [0x00F5] = "CANFD", [0x0010] = "802.3-loop", [0x9000] = "loopback", [0x22F0] = "TSN",
        [0x88B5] = "local-experimental", [0x8915] = "RoCE", [0x894F] = "NSH", [0x8902] = "CFM", [0x0019] = "HDLC",
    };
}

/// <summary>Payloads that are arrays of structs rather than attribute streams.</summary>
internal static class Bodies
{
    /// <summary>A u32 count then that many fixed structs (struct net_dm_alert_msg and the like).</summary>
    public static NetlinkFields CountedStructArray(NetlinkMessage message, int offset, string countName, string arrayName, StructSpec element, int count)
    {
        var fields = new NetlinkFields(2);
        fields.Add(new NetlinkField(countName, (uint)count, -1, offset, 4, U32));
        var items = new NetlinkFields[count];
        for (int i = 0; i < count; i++)
            items[i] = AttributeDecoder.DecodeStruct(element, message, offset + 4 + i * element.Size, element.Size);
        fields.Add(new NetlinkField(arrayName, items, -1, offset + 4, count * element.Size, Struct));
        return fields;
    }
}
