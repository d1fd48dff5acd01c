using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>mptcp_pm, the MPTCP path manager (linux/mptcp.h): what `ip mptcp` talks to.</summary>
public static class MptcpPm
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

    public static readonly GenericFamily Family = new("mptcp_pm", Commands, Attributes) { Summary = Summary };

    /// <summary>In `ip mptcp` words: "10.0.0.1 id 1 subflow dev eth0", "add_addr_accepted 2 subflows 2".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
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
}
