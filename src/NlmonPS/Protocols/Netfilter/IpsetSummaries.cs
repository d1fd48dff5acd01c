using NlmonPS.Decoding;
using NlmonPS.Wire;
using static NlmonPS.Decoding.Summaries;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>
/// ipset messages in ipset's words: requests as the command ("add nlmon-ip 10.0.0.1 comment "first""), list and
/// save replies as `ipset save` lines ("create ... family inet hashsize 1024 ..."; "add ..." per member).
/// </summary>
internal static class IpsetSummaries
{
    /// <summary>ipset's command words, by IPSET_CMD_*.</summary>
    private static readonly string[] Commands =
    {
        "none", "protocol", "create", "destroy", "flush", "rename", "swap", "list", "save", "add", "del", "test", "header", "type",
        "get_byname", "get_byindex",
    };

    /// <summary>ipset names NFPROTO_IPV4/IPV6 inet/inet6.</summary>
    private static string? Family(object? f) => f switch { "ipv4" => "inet", "ipv6" => "inet6", null => null, _ => NetlinkFields.Format(f) };

    internal static string? Ipset(NetlinkMessage m, NfState? state)
    {
        var a = m.Attributes;
        int cmd = m.Type & 0xff;
        var word = cmd < Commands.Length ? Commands[cmd] : m.TypeName;
        if (m.Direction == NetlinkDirection.ToKernel) return RequestLine(word, cmd, a);
        switch (cmd)
        {
            case 1:
                return Join("protocol", a["protocol"], a["protocol_min"] is byte min ? $"(min {min})" : null);
            case 12:
                return Join("header", a["setname"], a["typename"], a["family"] is { } f ? $"family {Family(f)}" : null,
                    a["revision"] is byte revision ? $"revision {revision}" : null);
            case 7 or 8:
            {
                // A list/save reply: the set's header, its members, or both.
                var lines = new List<string>();
                if (a["data"] is NetlinkFields header && a["typename"] is string type)
                    lines.Add(Join("create", a["setname"], type, CreateOptions(a, header)));
                foreach (var member in (a["adt"] as NetlinkFields)?.Where(f => f.Value is NetlinkFields).Select(f => (NetlinkFields)f.Value!) ?? Enumerable.Empty<NetlinkFields>())
                    lines.Add(Join("add", a["setname"], Element(member)));
                return lines.Count > 0 ? string.Join("; ", lines) : Join(word, a["setname"]);
            }
            case 13:
                return Join("type", a["typename"], Family(a["family"]), a["revision"] is byte rev ? $"revision {rev}" : null,
                    a["revision_min"] is byte min2 ? $"(min {min2})" : null);
            default:
                return Join(word, a["setname"], a["typename"]);
        }
    }

    private static string RequestLine(string word, int cmd, NetlinkFields a) => cmd switch
    {
        2 => Join(word, a["setname"], a["typename"], CreateOptions(a, a["data"] as NetlinkFields)),
        5 or 6 => Join(word, a["setname"], a["setname2"]),
        9 or 10 or 11 => Join(word, a["setname"], a["data"] is NetlinkFields d ? Element(d) : null,
            a["adt"] is NetlinkFields adt ? string.Join(", ", adt.Where(f => f.Value is NetlinkFields).Select(f => Element((NetlinkFields)f.Value!))) : null),
        13 => Join(word, a["typename"], Family(a["family"])),
        _ => Join(word, a["setname"]),
    };

    /// <summary>The create options in ipset save's order.</summary>
    private static string? CreateOptions(NetlinkFields a, NetlinkFields? d)
    {
        if (d is null) return Join(a["family"] is { } f ? $"family {Family(f)}" : null);
        var flags = d["cadt_flags"] as string[] ?? Array.Empty<string>();
        return Join(
            a["family"] is { } family ? $"family {Family(family)}" : null,
            d["ip"] is NetlinkFields from ? $"range {Address(from)}{(d["ip_to"] is NetlinkFields to ? "-" + Address(to) : "")}" : null,
            d["port"] is ushort port ? $"range {port}-{d["port_to"]}" : null,
            d["hashsize"] is uint hashsize ? $"hashsize {hashsize}" : null,
            d["maxelem"] is uint maxelem ? $"maxelem {maxelem}" : null,
            d["netmask"] is byte netmask ? $"netmask {netmask}" : null,
            d["size"] is uint size ? $"size {size}" : null,
            d["timeout"] is uint timeout ? $"timeout {timeout}" : null,
            flags.Contains("counters") ? "counters" : null,
            flags.Contains("comment") ? "comment" : null,
            flags.Contains("skbinfo") ? "skbinfo" : null,
            flags.Contains("forceadd") ? "forceadd" : null,
            d["bucketsize"] is byte bucketsize ? $"bucketsize {bucketsize}" : null,
            d["initval"] is uint initval ? $"initval 0x{initval:x8}" : null);
    }

    private static string? Address(NetlinkFields ip) => NetlinkFields.Format(ip["ipv4"] ?? ip["ipv6"]);

    /// <summary>One member: ip[/cidr][-ip_to], mac, [proto:]port[-port_to], ip2[/cidr2], iface, name, then its options.</summary>
    internal static string Element(NetlinkFields d)
    {
        var parts = new List<string>();
        if (d["ip"] is NetlinkFields ip)
        {
            var text = Address(ip) ?? "";
            if (d["cidr"] is byte cidr) text += $"/{cidr}";
            if (d["ip_to"] is NetlinkFields to) text += "-" + Address(to);
            parts.Add(text);
        }
        if (d["ether"] is string mac) parts.Add(mac);
        if (d["port"] is ushort port)
        {
            var text = d["proto"] is { } proto ? $"{NetlinkFields.Format(proto)}:{port}" : port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (d["port_to"] is ushort portTo) text += $"-{portTo}";
            parts.Add(text);
        }
        if (d["ip2"] is NetlinkFields ip2) parts.Add(Address(ip2) + (d["cidr2"] is byte cidr2 ? $"/{cidr2}" : ""));
        if (d["iface"] is string iface) parts.Add(iface);
        if (d["name"] is string name) parts.Add(name);
        if (d["mark"] is uint mark) parts.Add($"0x{mark:x8}");
        var flags = d["cadt_flags"] as string[] ?? Array.Empty<string>();
        return Join(string.Join(",", parts),
            d["timeout"] is uint timeout ? $"timeout {timeout}" : null,
            d["packets"] is ulong packets ? $"packets {packets}" : null,
            d["bytes"] is ulong bytes ? $"bytes {bytes}" : null,
            d["comment"] is string comment ? $"comment \"{comment}\"" : null,
            d["skbmark"] is ulong skbmark ? $"skbmark 0x{skbmark >> 32:x}/0x{skbmark & 0xffffffff:x}" : null,
            d["skbprio"] is uint prio ? $"skbprio {prio >> 16:x}:{prio & 0xffff:x}" : null,
            d["skbqueue"] is ushort queue ? $"skbqueue {queue}" : null,
            flags.Contains("nomatch") ? "nomatch" : null);
    }
}
