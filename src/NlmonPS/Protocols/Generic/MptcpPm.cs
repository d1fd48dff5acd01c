using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>mptcp_pm, the MPTCP path manager (linux/mptcp.h): what `ip mptcp` talks to.</summary>
internal static class MptcpPm
{
    public static readonly EnumTable Commands = new("mptcp-pm-cmd")
    {
        [0] = "MPTCP_PM_CMD_UNSPEC", [1] = "MPTCP_PM_CMD_ADD_ADDR", [2] = "MPTCP_PM_CMD_DEL_ADDR", [3] = "MPTCP_PM_CMD_GET_ADDR",
        [4] = "MPTCP_PM_CMD_FLUSH_ADDRS", [5] = "MPTCP_PM_CMD_SET_LIMITS", [6] = "MPTCP_PM_CMD_GET_LIMITS",
        [7] = "MPTCP_PM_CMD_SET_FLAGS", [8] = "MPTCP_PM_CMD_ANNOUNCE", [9] = "MPTCP_PM_CMD_REMOVE",
        [10] = "MPTCP_PM_CMD_SUBFLOW_CREATE", [11] = "MPTCP_PM_CMD_SUBFLOW_DESTROY",
    };

    /// <summary>MPTCP_PM_ADDR_FLAG_*, as `ip mptcp endpoint` prints them.</summary>
    public static readonly FlagTable AddrFlags = new("mptcp-pm-addr-flags")
    {
        { 1, "signal" }, { 2, "subflow" }, { 4, "backup" }, { 8, "fullmesh" }, { 16, "implicit" }, { 32, "laminar" },
    };

    public static readonly AttributeTable Address = new("mptcp-pm-address", "MPTCP_PM_ADDR_ATTR_")
    {
        [1] = new("family", U16) { Enum = Enums.AddressFamily },
        [2] = new("id", U8),
        [3] = new("addr4", IPv4),
        [4] = new("addr6", IPv6),
        [5] = new("port", U16),     // host order: the kernel converts it with ntohs
        [6] = new("flags", U32) { Flags = AddrFlags },
        [7] = new("if_idx", S32),
    };

    public static readonly AttributeTable Attributes = new("mptcp-pm-attrs", "MPTCP_PM_ATTR_")
    {
        [1] = new("addr", Nested) { Nested = Address },
        [2] = new("rcv_add_addrs", U32),
        [3] = new("subflows", U32),
        [4] = new("token", U32),
        [5] = new("loc_id", U8),
        [6] = new("addr_remote", Nested) { Nested = Address },
    };

    /// <summary>enum mptcp_event_type: what the kernel multicasts on the mptcp_pm_events group (`ip mptcp monitor`).</summary>
    public static readonly EnumTable Events = new("mptcp-event")
    {
        [0] = "MPTCP_EVENT_UNSPEC", [1] = "MPTCP_EVENT_CREATED", [2] = "MPTCP_EVENT_ESTABLISHED", [3] = "MPTCP_EVENT_CLOSED",
        [6] = "MPTCP_EVENT_ANNOUNCED", [7] = "MPTCP_EVENT_REMOVED", [10] = "MPTCP_EVENT_SUB_ESTABLISHED",
        [11] = "MPTCP_EVENT_SUB_CLOSED", [13] = "MPTCP_EVENT_SUB_PRIORITY",
        [15] = "MPTCP_EVENT_LISTENER_CREATED", [16] = "MPTCP_EVENT_LISTENER_CLOSED",   // since Linux 6.2
    };

    /// <summary>enum mptcp_event_attr (MPTCP_ATTR_*): the attributes of the events.</summary>
    public static readonly AttributeTable EventAttributes = new("mptcp-event-attrs", "MPTCP_ATTR_")
    {
        [1] = new("token", U32), [2] = new("family", U16) { Enum = Enums.AddressFamily }, [3] = new("loc_id", U8),
        [4] = new("rem_id", U8), [5] = new("saddr4", IPv4), [6] = new("saddr6", IPv6), [7] = new("daddr4", IPv4),
        [8] = new("daddr6", IPv6), [9] = new("sport", U16) { NetworkOrder = true }, [10] = new("dport", U16) { NetworkOrder = true },
        [11] = new("backup", U8), [12] = new("error", U8), [13] = new("flags", U16), [14] = new("timeout", U32),
        [15] = new("if_idx", S32), [16] = new("reset_reason", U32), [17] = new("reset_flags", U32), [18] = new("server_side", U8),
    };

    public static readonly GenericFamily Family = new("mptcp_pm", Commands, Attributes)
    {
        EventCommands = Events, EventAttributes = EventAttributes, Summary = Summary,
    };

    /// <summary>In `ip mptcp` words: "10.0.0.1 id 1 subflow dev eth0", "add_addr_accepted 2 subflows 2".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        if (m.Command?.StartsWith("MPTCP_EVENT_", StringComparison.Ordinal) == true)
            return EventSummary(m);
        var addr = a["addr"] as NetlinkFields;
        return Summaries.Join(Summaries.RequestVerb(m), m.Command,
            addr?["addr4"] ?? addr?["addr6"],
            addr?["port"] is ushort port && port != 0 ? $"port {port}" : null,
            GenericFamilies.Part("id", addr?["id"]),
            addr?["flags"] is string[] flags ? string.Join(" ", flags) : null,
            addr?["if_idx"] is int ifidx && ifidx != 0 ? $"dev {ifidx}" : null,
            GenericFamilies.Part("add_addr_accepted", a["rcv_add_addrs"]),
            GenericFamilies.Part("subflows", a["subflows"]),
            GenericFamilies.Part("token", a["token"]));
    }

    /// <summary>In `ip mptcp monitor` words: "[       CREATED] token=7b6f2f3c remid=0 locid=0 saddr4=127.0.0.1 daddr4=127.0.0.1 sport=46474 dport=9000".</summary>
    private static string EventSummary(NetlinkMessage m)
    {
        var a = m.Attributes;
        var name = m.Command!["MPTCP_EVENT_".Length..];
        return Summaries.Join($"[{name,14}]", a["token"] is uint token ? $"token={token:x}" : null,
            GenericFamilies.Part("remid=", a["rem_id"])?.Replace("= ", "=", StringComparison.Ordinal),
            GenericFamilies.Part("locid=", a["loc_id"])?.Replace("= ", "=", StringComparison.Ordinal),
            (a["saddr4"] ?? a["saddr6"]) is { } s ? $"saddr{(a.Contains("saddr4") ? "4" : "6")}={NetlinkFields.Format(s)}" : null,
            (a["daddr4"] ?? a["daddr6"]) is { } d ? $"daddr{(a.Contains("daddr4") ? "4" : "6")}={NetlinkFields.Format(d)}" : null,
            a["sport"] is ushort sport ? $"sport={sport}" : null, a["dport"] is ushort dport ? $"dport={dport}" : null,
            a["backup"] is byte b ? $"backup={b}" : null, a["error"] is byte e && e != 0 ? $"error={e}" : null,
            a["flags"] is ushort flags ? $"flags={flags:x}" : null);
    }
}
