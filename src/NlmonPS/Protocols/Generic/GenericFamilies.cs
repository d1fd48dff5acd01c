using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>The generic netlink families NlmonPS names. Add a family by adding a table here.</summary>
public static class GenericFamilies
{
    public static IEnumerable<GenericFamily> All => new[] { Nlctrl.Family };
}

/// <summary>nlctrl, the generic netlink controller (linux/genetlink.h).</summary>
public static class Nlctrl
{
    public static readonly EnumTable Commands = new("ctrl-cmd")
    {
        [0] = "CTRL_CMD_UNSPEC", [1] = "CTRL_CMD_NEWFAMILY", [2] = "CTRL_CMD_DELFAMILY", [3] = "CTRL_CMD_GETFAMILY",
        [4] = "CTRL_CMD_NEWOPS", [5] = "CTRL_CMD_DELOPS", [6] = "CTRL_CMD_GETOPS", [7] = "CTRL_CMD_NEWMCAST_GRP",
        [8] = "CTRL_CMD_DELMCAST_GRP", [9] = "CTRL_CMD_GETMCAST_GRP", [10] = "CTRL_CMD_GETPOLICY",
    };

    public static readonly FlagTable OpFlags = new("genl-op-flags")
    {
        { 0x01, "admin_perm" }, { 0x02, "cmd_cap_do" }, { 0x04, "cmd_cap_dump" }, { 0x08, "cmd_cap_haspol" }, { 0x10, "uns_admin_perm" },
    };

    public static readonly AttributeTable Op = new("ctrl-op", "CTRL_ATTR_OP_")
    {
        [1] = new("id", U32), [2] = new("flags", U32) { Flags = OpFlags },
    };

    public static readonly AttributeTable McastGroup = new("ctrl-mcast-grp", "CTRL_ATTR_MCAST_GRP_")
    {
        [1] = new("name", ValueKind.String), [2] = new("id", U32),
    };

    public static readonly AttributeTable Attributes = new("ctrl-attrs", "CTRL_ATTR_")
    {
        [1] = new("family_id", U16),
        [2] = new("family_name", ValueKind.String),
        [3] = new("version", U32),
        [4] = new("hdrsize", U32),
        [5] = new("maxattr", U32),
        [6] = new("ops", NestedArray) { Nested = Op },
        [7] = new("mcast_groups", NestedArray) { Nested = McastGroup },
        [8] = new("policy", Nested),
        [9] = new("op_policy", Nested),
        [10] = new("op", U32),
    };

    public static readonly GenericFamily Family = new("nlctrl", Commands, Attributes) { Summary = Summary };

    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        return Summaries.Join(Summaries.RequestVerb(m) ?? "", m.Command,
            a["family_name"], a["family_id"] is ushort id ? $"id {id}" : null,
            a["version"] is uint v ? $"version {v}" : null,
            a["ops"] is NetlinkFields[] ops ? $"{ops.Length} ops" : null,
            a["mcast_groups"] is NetlinkFields[] groups ? "groups " + string.Join(",", groups.Select(g => g["name"])) : null);
    }
}
