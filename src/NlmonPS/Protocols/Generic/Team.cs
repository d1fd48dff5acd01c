using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>team (linux/if_team.h): what `teamd`/`teamdctl` talk to.</summary>
internal static class Team
{
    public static readonly EnumTable Commands = new("team-cmd")
    {
        [0] = "TEAM_CMD_NOOP", [1] = "TEAM_CMD_OPTIONS_SET", [2] = "TEAM_CMD_OPTIONS_GET", [3] = "TEAM_CMD_PORT_LIST_GET",
    };

    /// <summary>The kernel's NLA_* policy types (include/net/netlink.h), which team uses to say how an option's data reads.</summary>
    public static readonly EnumTable NlaType = new("nla-type")
    {
        [1] = "u8", [2] = "u16", [3] = "u32", [4] = "u64", [5] = "string", [6] = "flag", [7] = "msecs", [8] = "nested",
        [10] = "nul_string", [11] = "binary", [12] = "s8", [13] = "s16", [14] = "s32", [15] = "s64",
    };

    public static readonly AttributeTable Option = new("team-option", "TEAM_ATTR_OPTION_")
    {
        [1] = new("name", ValueKind.String), [2] = new("changed", Flag), [3] = new("type", U8) { Enum = NlaType },
        [4] = new("data", Binary), [5] = new("removed", Flag), [6] = new("port_ifindex", U32), [7] = new("array_index", U32),
    };
    public static readonly AttributeTable ItemOption = new("team-item-option", "TEAM_ATTR_ITEM_")
    {
        [1] = new("option", Nested) { Nested = Option },
    };

    public static readonly AttributeTable Port = new("team-port", "TEAM_ATTR_PORT_")
    {
        [1] = new("ifindex", U32), [2] = new("changed", Flag), [3] = new("linkup", Flag), [4] = new("speed", U32),
        [5] = new("duplex", U8), [6] = new("removed", Flag),
    };
    public static readonly AttributeTable ItemPort = new("team-item-port", "TEAM_ATTR_ITEM_")
    {
        [1] = new("port", Nested) { Nested = Port },
    };

    public static readonly AttributeTable Attributes = new("team", "TEAM_ATTR_")
    {
        [1] = new("team_ifindex", U32),
        [2] = new("list_option", Nested) { Nested = ItemOption },
        [3] = new("list_port", Nested) { Nested = ItemPort },
    };

    public static readonly GenericFamily Family = new("team", Commands, Attributes) { Summary = Summary };

    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        var options = (a["list_option"] as NetlinkFields)?.Select(f => (f.Value as NetlinkFields)?["name"]).ToArray();
        var ports = (a["list_port"] as NetlinkFields)?.Select(f => (f.Value as NetlinkFields)?["ifindex"]).ToArray();
        return Summaries.Join(Summaries.RequestVerb(m), m.Command, GenericFamilies.Part("team ifindex", a["team_ifindex"]),
            options is { Length: > 0 } ? "options " + string.Join(",", options.Select(NetlinkFields.Format)) : null,
            ports is { Length: > 0 } ? "ports " + string.Join(",", ports.Select(NetlinkFields.Format)) : null);
    }
}
