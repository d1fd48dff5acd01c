using NlmonPS.Decoding;
using static NlmonPS.Decoding.Summaries;

namespace NlmonPS.Protocols.Route;

/// <summary>One line per rtnetlink message, in the words `ip` prints.</summary>
public static class RouteSummaries
{
    /// <summary>Kernel notifications of deletions read "Deleted ..." as in `ip monitor`; requests lead with their verb.</summary>
    private static string Lead(NetlinkMessage m, string text)
    {
        var verb = RequestVerb(m);
        if (verb is not null) return $"{verb} {text}".TrimEnd();
        return m.TypeName.Contains("_DEL", StringComparison.Ordinal) ? $"Deleted {text}" : text;
    }

    private static string? Family(NetlinkMessage m) => m.Header["family"] is string f && f != "unspec" ? f : null;

    public static string? Link(NetlinkMessage m)
    {
        var a = m.Attributes;
        var h = m.Header;
        if (RequestVerb(m) == "dump") return Join("dump links", Family(m));
        var sb = new System.Text.StringBuilder();
        if (h["index"] is int index && index != 0) sb.Append(index).Append(": ");
        if (a["ifname"] is string name)
        {
            sb.Append(name);
            if (a["link"] is uint link && link != 0) sb.Append("@if").Append(link);
            sb.Append(": ");
        }
        if (h["flags"] is string[] flags && (flags.Length > 0 || m.Direction == NetlinkDirection.FromKernel))
            sb.Append('<').Append(string.Join(",", flags)).Append("> ");
        var info = a["linkinfo"] as NetlinkFields;
        var text = Join(
            sb.ToString().TrimEnd(),
            a["mtu"] is uint mtu ? $"mtu {mtu}" : null,
            a["qdisc"] is string q ? $"qdisc {q}" : null,
            a["master"] is uint master && master != 0 ? $"master {master}" : null,
            a["operstate"] is { } state ? $"state {state}" : null,
            info?["kind"] is string kind ? $"type {kind}" : null,
            a["address"] is string mac && h["type"] is string t ? $"link/{t} {mac}" : null);
        return Lead(m, text);
    }

    public static string? Address(NetlinkMessage m)
    {
        if (RequestVerb(m) == "dump") return Join("dump addresses", Family(m));
        var a = m.Attributes;
        var h = m.Header;
        var addr = a["local"] ?? a["address"];
        var peer = a["local"] is not null && a["address"] is { } p && !Equals(p, a["local"]) ? p : null;
        var text = Join(
            h["index"] is uint index && index != 0 ? $"{index}:" : null,
            a["label"],
            Family(m),
            addr is null ? null : $"{NetlinkFields.Format(addr)}{(peer is null ? "" : $" peer {NetlinkFields.Format(peer)}")}/{h["prefixlen"]}",
            a["broadcast"] is { } brd ? $"brd {NetlinkFields.Format(brd)}" : null,
            h["scope"] is { } scope ? $"scope {NetlinkFields.Format(scope)}" : null,
            a["flags"] is string[] f ? string.Join(" ", f) : null);
        return Lead(m, text);
    }

    /// <summary>For objects whose tables come later: the verb, the type and the attribute names seen.</summary>
    public static string? Generic(NetlinkMessage m)
    {
        var verb = RequestVerb(m);
        return Join(verb, m.TypeName, Family(m), m.Attributes.Count > 0 ? $"({m.Attributes.Count} attributes)" : null);
    }

    public static string? Route(NetlinkMessage m) => Generic(m);
    public static string? Neigh(NetlinkMessage m) => Generic(m);
    public static string? Rule(NetlinkMessage m) => Generic(m);
    public static string? Netconf(NetlinkMessage m) => Generic(m);
    public static string? Nsid(NetlinkMessage m) => Generic(m);
    public static string? Stats(NetlinkMessage m) => Generic(m);
    public static string? NextHop(NetlinkMessage m) => Generic(m);
}
