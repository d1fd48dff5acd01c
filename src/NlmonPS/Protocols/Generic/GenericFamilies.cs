using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>The generic netlink families NlmonPS names. Add a family by adding a table here.</summary>
internal static class GenericFamilies
{
    public static IEnumerable<GenericFamily> All => new[]
    {
        Nlctrl.Family, DropMonitor.Family, Ethtool.Family, Devlink.Family, Nl80211.Family, WireGuard.Family,
        Team.Family, MptcpPm.Family, Taskstats.Family, Fou.Family, TcpMetrics.Family, Macsec.Family,
    };

    /// <summary>
    /// A set whose attribute types are indices rather than names (nlctrl's policy dumps: policy number, then
    /// attribute number): every type up to <paramref name="count"/> gets the same kind, named by its number.
    /// </summary>
    public static AttributeTable Indexed(string name, int count, Func<string, AttributeSpec> spec)
    {
        var table = new AttributeTable(name);
        for (int i = 0; i < count; i++) table[i] = spec(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return table;
    }

    /// <summary>"ifindex 3" / "dev eth0" style part: the text when the value is present.</summary>
    internal static string? Part(string label, object? value) =>
        value is null ? null : $"{label} {NetlinkFields.Format(value)}";
}

/// <summary>nlctrl, the generic netlink controller (linux/genetlink.h).</summary>
internal static class Nlctrl
{
    public static readonly EnumTable Commands = new("ctrl-cmd")
    {
        [0] = "CTRL_CMD_UNSPEC", [1] = "CTRL_CMD_NEWFAMILY", [2] = "CTRL_CMD_DELFAMILY", [3] = "CTRL_CMD_GETFAMILY",
        [4] = "CTRL_CMD_NEWOPS", [5] = "CTRL_CMD_DELOPS", [6] = "CTRL_CMD_GETOPS", [7] = "CTRL_CMD_NEWMCAST_GRP",
        [8] = "CTRL_CMD_DELMCAST_GRP", [9] = "CTRL_CMD_GETMCAST_GRP", [10] = "CTRL_CMD_GETPOLICY",
    };

    /// <summary>GENL_* op flags (linux/genetlink.h), as `genl ctrl list` prints capabilities.</summary>
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

    /// <summary>CTRL_ATTR_POLICY: nest by policy index, then by attribute index, then NL_POLICY_TYPE_ATTR_*.</summary>
    public static readonly AttributeTable PolicyAttributeIndex =
        GenericFamilies.Indexed("ctrl-policy-attr", 1024, n => new(n, Nested) { Nested = Schemas.PolicyAttributes });
    public static readonly AttributeTable PolicyIndex =
        GenericFamilies.Indexed("ctrl-policy", 1024, n => new(n, Nested) { Nested = PolicyAttributeIndex });

    /// <summary>CTRL_ATTR_OP_POLICY: nest by command number of CTRL_ATTR_POLICY_DO/DUMP policy indices.</summary>
    public static readonly AttributeTable OpPolicyEntry = new("ctrl-op-policy", "CTRL_ATTR_POLICY_")
    {
        [1] = new("do", U32), [2] = new("dump", U32),
    };
    public static readonly AttributeTable OpPolicyIndex =
        GenericFamilies.Indexed("ctrl-op-policy-cmd", 256, n => new(n, Nested) { Nested = OpPolicyEntry });

    public static readonly AttributeTable Attributes = new("ctrl-attrs", "CTRL_ATTR_")
    {
        [1] = new("family_id", U16),
        [2] = new("family_name", ValueKind.String),
        [3] = new("version", U32),
        [4] = new("hdrsize", U32),
        [5] = new("maxattr", U32),
        [6] = new("ops", NestedArray) { Nested = Op },
        [7] = new("mcast_groups", NestedArray) { Nested = McastGroup },
        [8] = new("policy", Nested) { Nested = PolicyIndex },
        [9] = new("op_policy", Nested) { Nested = OpPolicyIndex },
        [10] = new("op", U32),
    };

    public static readonly GenericFamily Family = new("nlctrl", Commands, Attributes) { Summary = Summary };

    /// <summary>In `genl ctrl policy` words: "ID: 0x15  policy[0]:attr[1]: type=NESTED policy:1 maxattr:4", "ID: 0x15  op 1 policies: do=0 dump=0".</summary>
    private static string? PolicySummary(NetlinkFields a)
    {
        var id = a["family_id"] is ushort familyId ? $"ID: 0x{familyId:x}  " : "";
        var lines = new List<string>();
        if (a["op_policy"] is NetlinkFields ops)
            foreach (var op in ops)
                if (op.Value is NetlinkFields p)
                    lines.Add(Summaries.Join($"{id}op {op.Name} policies:", p["do"] is { } d ? $"do={d}" : null, p["dump"] is { } du ? $"dump={du}" : null));
        if (a["policy"] is NetlinkFields policies)
            foreach (var policy in policies)
                if (policy.Value is NetlinkFields attrs)
                    foreach (var attr in attrs)
                        if (attr.Value is NetlinkFields t)
                            lines.Add($"{id}policy[{policy.Name}]:" + Summaries.Join(
                                t["type"] is { } type ? $"attr[{attr.Name}]: type={NetlinkFields.Format(type).ToUpperInvariant().Replace('-', '_')}" : null,
                                t["policy_idx"] is { } idx ? $"policy:{idx}" : null,
                                t["policy_maxtype"] is { } max ? $"maxattr:{max}" : null,
                                t["min_value_s"] is { } mins && t["max_value_s"] is { } maxs ? $"range:[{mins},{maxs}]" : null,
                                t["min_value_u"] is { } minu && t["max_value_u"] is { } maxu ? $"range:[{minu},{maxu}]" : null,
                                t["min_length"] is { } minl ? $"min len:{minl}" : null,
                                t["max_length"] is { } maxl ? $"max len:{maxl}" : null));
        return lines.Count > 0 ? string.Join("; ", lines) : null;
    }

    /// <summary>In `genl ctrl` words: "Name: ethtool ID: 0x15 Version: 0x1 ...".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        if (m.Command == "CTRL_CMD_GETPOLICY" && m.Direction == NetlinkDirection.FromKernel)
            return PolicySummary(a);
        // genl prints the numbers two spaces apart: "ID: 0x15  Version: 0x1  header size: 0  max attribs: 0".
        var numbers = string.Join("  ", new[]
        {
            a["family_id"] is ushort id ? $"ID: 0x{id:x}" : null,
            a["version"] is uint v ? $"Version: 0x{v:x}" : null,
            a["hdrsize"] is uint h ? $"header size: {h}" : null,
            a["maxattr"] is uint max ? $"max attribs: {max}" : null,
        }.Where(p => p is not null));
        return Summaries.Join(Summaries.RequestVerb(m), m.Command,
            a["family_name"] is string name ? $"Name: {name}" : null, numbers,
            a["ops"] is NetlinkFields[] ops ? $"commands: {ops.Length}" : null,
            a["mcast_groups"] is NetlinkFields[] groups ? "multicast groups: " + string.Join(",", groups.Select(g => g["name"])) : null);
    }
}
