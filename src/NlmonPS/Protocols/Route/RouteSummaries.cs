using System.Globalization;
using System.Net;
using System.Text;
using NlmonPS.Decoding;
using static NlmonPS.Decoding.Summaries;

namespace NlmonPS.Protocols.Route;

/// <summary>
/// One line per rtnetlink message, in the words `ip` and `bridge` print. Messages carry interface indexes, not
/// names: devices read by the names the stream taught ("dev d0", see <see cref="LinkNames"/>), else "dev 3".
/// </summary>
internal static class RouteSummaries
{
    /// <summary>Kernel notifications of deletions read "Deleted ..." as in `ip monitor`; requests lead with their verb.</summary>
    private static string Lead(NetlinkMessage m, string text)
    {
        var verb = RequestVerb(m);
        if (verb is not null) return $"{verb} {text}".TrimEnd();
        return m.TypeName.Contains("_DEL", StringComparison.Ordinal) ? $"Deleted {text}" : text;
    }

    /// <summary><see cref="Lead(NetlinkMessage, string)"/> on a line being built.</summary>
    private static string Lead(NetlinkMessage m, Line line)
    {
        var verb = RequestVerb(m);
        if (verb is not null)
        {
            line.Builder.Insert(0, ' ').Insert(0, verb);
            line.TrimEnd();
        }
        else if (m.TypeName.Contains("_DEL", StringComparison.Ordinal)) line.Builder.Insert(0, "Deleted ");
        return line.ToStringAndFree();
    }

    private static string? Family(NetlinkMessage m) => m.Header["family"] is string f && f != "unspec" ? f : null;

    /// <summary>"dump routes inet" for dump requests, else null.</summary>
    private static string? Dump(NetlinkMessage m, string what) => RequestVerb(m) == "dump" ? Join("dump", what, Family(m)) : null;

    private static string Num(object? value) => NetlinkFields.Format(value);

    /// <summary>An interface index by the name the stream taught, else the number.</summary>
    private static string LinkOf(NetlinkMessage m, object? index) => Int(index) is long i and > 0 ? LinkName(m, i) : Num(index);


    private static long? Int(object? value) => value switch
    {
        byte b => b, ushort s => s, uint u => u, int i => i, ulong l => (long)l, long l => l, sbyte sb => sb, short sh => sh,
        _ => null,
    };

    /// <summary>ADDR/LEN, the bare address for a host prefix, "default" for a zero-length one.</summary>
    private static string Prefix(object? address, object? length, string fallback = "default")
    {
        var len = Int(length) ?? 0;
        if (address is null) return len == 0 ? fallback : $"?/{len}";
        int full = address is IPAddress ip && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
        return len == full ? Num(address) : $"{Num(address)}/{len}";
    }

    private static string OnOff(object? value) => Int(value) is { } n ? (n == 0 ? "off" : "on") : Num(value);

    // ---- links and addresses

    public static string? Link(NetlinkMessage m)
    {
        if (Dump(m, "links") is { } dump) return dump;
        var a = m.Attributes;
        var h = m.Header;
        // Built in one buffer (the hottest line: link dumps are a sixth of typical traffic); the words as before.
        var line = new Line();
        var sb = line.Builder;
        if (h["index"] is int index && index != 0) sb.Append(index).Append(": ");
        else index = 0;
        if ((a["ifname"] as string ?? m.LinkName(index)) is { } name)
        {
            sb.Append(name);
            if (a["link"] is uint link && link != 0) sb.Append("@if").Append(link);
            sb.Append(": ");
        }
        int prefixEnd = sb.Length;   // "3: d0: ", the colons ip prints before what follows
        bool fromKernel = m.Direction == NetlinkDirection.FromKernel;
        // IFF_UP in ifi_change: the request sets the link up or down (`ip link set d0 down`), or the kernel reports
        // that it went up or down. All ones is "everything changed" (a new link), not an up/down change.
        bool upDown = h["change"] is uint change && change != uint.MaxValue && (change & 1) != 0;
        if (h["flags"] is string[] flags)
        {
            bool up = Array.IndexOf(flags, "UP") >= 0;
            bool hideUp = upDown && !fromKernel;
            int shown = 0;
            foreach (var f in flags) if (!(hideUp && f == "UP")) shown++;
            if (shown > 0 || fromKernel)
            {
                sb.Append('<');
                bool first = true;
                foreach (var f in flags)
                {
                    if (hideUp && f == "UP") continue;
                    if (!first) sb.Append(',');
                    sb.Append(f);
                    first = false;
                }
                sb.Append("> ");
            }
            if (upDown) sb.Append(up ? "up " : "down ");
        }
        line.TrimEnd();
        if (a["mtu"] is uint mtu) line.Part("mtu ").Append(mtu);
        if (a["qdisc"] is string q) line.Part("qdisc ").Append(q);
        if (a["master"] is uint master && master != 0) line.Part("master ").Append(LinkOf(m, master));
        if (a["operstate"] is { } state) Line.Interpolated(line.Part("state "), state);
        var info = a["linkinfo"] as NetlinkFields;
        if (info?["kind"] is string kind) line.Part("type ").Append(kind);
        if (info?["slave_kind"] is string slave) line.Part(slave).Append("_slave");
        if (a["address"] is string mac)
        {
            if (fromKernel && h["type"] is string t) line.Part("link/").Append(t).Append(' ').Append(mac);
            else line.Part("address ").Append(mac);
        }
        if (a["link_netnsid"] is int nsid) line.Part("link-netnsid ").Append(nsid);
        if (a["ifalias"] is string alias) line.Part("alias ").Append(alias);
        // Nothing after the name ("get lo"): no colon left hanging.
        line.TrimEnd();
        if (sb.Length == prefixEnd - 1 && sb[^1] == ':') sb.Length--;
        return Lead(m, line);
    }

    public static string? Address(NetlinkMessage m)
    {
        if (Dump(m, "addresses") is { } dump) return dump;
        var a = m.Attributes;
        var h = m.Header;
        var local = a["local"];
        var addr = local ?? a["address"];
        var peer = local is not null && a["address"] is { } p && !Equals(p, local) ? p : null;
        var line = new Line();
        uint index = h["index"] as uint? ?? 0;
        if (index != 0) line.Part().Append(index).Append(':');
        // IPv4 addresses carry their label (the interface's name); IPv6 ones only the index: the stream's name for it.
        line.Add(a["label"] is { } label ? Num(label) : index != 0 ? m.LinkName(index) : null);
        line.Add(Family(m));
        if (addr is not null)
        {
            var sb = Line.Format(line.Part(), addr);
            if (peer is not null) Line.Format(sb.Append(" peer "), peer);
            Line.Interpolated(sb.Append('/'), h["prefixlen"]);
        }
        line.Add("brd", a["broadcast"]);
        line.Add("scope", h["scope"]);
        if (a["flags"] is string[] f) AddWords(line, f);
        return Lead(m, line);
    }

    // ---- routes

    public static string? Route(NetlinkMessage m)
    {
        if (Dump(m, "routes") is { } dump) return dump;
        var a = m.Attributes;
        var h = m.Header;
        var table = a["table"] ?? h["table"];
        bool request = m.Direction == NetlinkDirection.ToKernel;
        var type = h["type"] as string;
        var line = new Line();
        line.Add(type is not null && type != "unicast" && type != "unspec" ? type : null);
        // An MPLS route's destination is its label (`ip -f mpls route` prints "100"), the length always 20.
        line.Add(a["dst"] is uint[] label ? Labels(label) : Prefix(a["dst"], h["dst_len"]));
        if (Int(h["src_len"]) > 0 || a["src"] is not null) line.Part("from ").Append(Prefix(a["src"], h["src_len"], "all"));
        line.Add("nhid", a["nh_id"]);
        Hop(line, a);
        line.Add(Dev(m, a["oif"]));
        if (a["iif"] is { } iif) line.Part("iif ").Append(LinkOf(m, iif));
        if (table is { } t && Num(t) is var tableName and not ("main" or "unspec")) line.Part("table ").Append(tableName);
        if (h["protocol"] is { } proto && Num(proto) is var protoName and not ("boot" or "unspec")) line.Part("proto ").Append(protoName);
        if (h["scope"] is { } scope && Num(scope) is var scopeName && scopeName != "global" && !(request && scopeName == "nowhere"))
            line.Part("scope ").Append(scopeName);
        line.Add("src", a["prefsrc"]);
        line.Add("metric", a["priority"]);
        if (h["flags"] is string[] { Length: > 0 } flags) AddWords(line, flags);
        line.Add("pref", a["pref"]);
        line.Add("expires", a["expires"]);
        line.Add("ipproto", a["ip_proto"]);
        line.Add("sport", a["sport"]);
        line.Add("dport", a["dport"]);
        if (!request) line.Add("uid", a["uid"]);
        line.Add(Metrics(a["metrics"] as NetlinkFields));
        if (a["multipath"] is NetlinkFields[] hops)
            foreach (var hop in hops)
            {
                // One part per hop, its words joined as any part's.
                var next = new Line();
                next.Add("nexthop");
                Hop(next, hop);
                next.Add(Dev(m, hop["ifindex"]));
                next.Part("weight ").Append((Int(hop["hops"]) ?? 0) + 1);
                if (hop["flags"] is string[] { Length: > 0 } hf) AddWords(next, hf);
                line.Add(next.ToStringAndFree());
            }
        return Lead(m, line);
    }

    /// <summary>Words joined by spaces as one part (string.Join(" ", words)), when that is not empty.</summary>
    private static void AddWords(Line line, string[] words)
    {
        int length = line.Builder.Length;
        var sb = line.Part();
        int start = sb.Length;
        for (int i = 0; i < words.Length; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(words[i]);
        }
        if (sb.Length == start) sb.Length = length;   // an empty part is left out, its space too
    }

    /// <summary>The gateway part of a route or a multipath hop: via, newdst, encapsulation.</summary>
    private static void Hop(Line line, NetlinkFields a)
    {
        if (a["newdst"] is uint[] labels) line.Part("as to ").Append(Labels(labels));
        line.Add(Encap(a["encap_type"], a["encap"] as NetlinkFields));
        line.Add("via", a["gateway"]);
        if (a["via"] is NetlinkFields via) Line.Format(Line.Format(line.Part("via "), via["family"]).Append(' '), via["addr"]);
    }

    /// <summary>"mtu lock 1300 advmss 1200 congctl cubic features ecn", as `ip route` prints metrics.</summary>
    private static string? Metrics(NetlinkFields? metrics)
    {
        if (metrics is null) return null;
        var locked = metrics["lock"] as string[] ?? Array.Empty<string>();
        var parts = new List<string>();
        foreach (var f in metrics)
        {
            if (f.Name == "lock") continue;
            var name = f.Name == "cc_algo" ? "congctl" : f.Name;
            parts.Add(Join(name, locked.Contains(f.Name) ? "lock" : null, f.Value));
        }
        return string.Join(" ", parts);
    }

    private static string Labels(uint[] labels) => string.Join("/", labels.Select(l => l.ToString(CultureInfo.InvariantCulture)));

    /// <summary>"encap mpls 100/200", "encap seg6 mode encap segs 2001:db8::5", "encap ip id 7 dst 10.0.0.50 ttl 9".</summary>
    private static string? Encap(object? type, NetlinkFields? encap)
    {
        if (type is null || encap is null) return null;
        var words = new List<object?> { "encap", type };
        foreach (var f in encap)
        {
            switch (f.Value)
            {
                case uint[] labels when f.Name == "dst": words.Add(Labels(labels)); break;
                case NetlinkFields srh when f.Name == "srh":
                    words.Add($"mode {Num(srh["mode"])}");
                    if (srh["segments"] is byte[] segs) words.Add("segs " + string.Join(",", Segments(segs)));
                    break;
                case NetlinkFields or NetlinkFields[]: words.Add(f.Name); break;
                default: words.Add($"{f.Name} {Num(f.Value)}"); break;
            }
        }
        return Join(words.ToArray());
    }

    /// <summary>SRv6 segments are stored last hop first: print them in travel order, as iproute2 does.</summary>
    private static IEnumerable<string> Segments(byte[] bytes)
    {
        var list = new List<string>();
        for (int i = 0; i + 16 <= bytes.Length; i += 16) list.Add(new IPAddress(bytes.AsSpan(i, 16)).ToString());
        list.Reverse();
        return list;
    }

    // ---- neighbours and bridge fdb entries

    public static string? Neigh(NetlinkMessage m)
    {
        if (Dump(m, "neighbours") is { } dump) return dump;
        var a = m.Attributes;
        var h = m.Header;
        bool bridge = Family(m) == "bridge";
        var flags = h["flags"] as string[] ?? Array.Empty<string>();
        var states = h["state"] as string[] ?? Array.Empty<string>();
        var line = new Line();
        if (Array.IndexOf(flags, "proxy") >= 0 && !bridge) line.Add("proxy");
        line.Add(Num(bridge ? a["lladdr"] : a["dst"]));
        line.Add(Dev(m, h["ifindex"]));
        if (!bridge) line.Add("lladdr", a["lladdr"]);
        if (a["master"] is { } master) line.Part("master ").Append(LinkOf(m, master));
        if (bridge) line.Add("dst", a["dst"]);
        line.Add("vlan", a["vlan"]);
        line.Add("port", a["port"]);
        line.Add("vni", a["vni"]);
        line.Add("src_vni", a["src_vni"]);
        line.Add("nhid", a["nh_id"]);
        if (bridge) AddWords(line, Array.FindAll(flags, f => f is "self" or "master" or "extern_learn" or "sticky" or "router"));
        else if (Array.IndexOf(flags, "router") >= 0) line.Add("router");
        if (bridge) line.Add(BridgeState(states));
        else AddWords(line, states);
        line.Add("proto", a["protocol"]);
        return Lead(m, line);
    }

    /// <summary>`bridge fdb` words: permanent, static (NUD_NOARP), or nothing for learned entries.</summary>
    private static string? BridgeState(string[] states) =>
        states.Contains("PERMANENT") ? "permanent" : states.Contains("NOARP") ? "static" : states.Contains("STALE") ? "stale" : null;

    /// <summary>Neighbour tables (RTM_NEWNEIGHTBL), as `ip ntable show` names them.</summary>
    public static string? NeighTable(NetlinkMessage m)
    {
        if (Dump(m, "neighbour tables") is { } dump) return dump;
        var a = m.Attributes;
        var p = a["parms"] as NetlinkFields;
        var text = Join(Family(m), a["name"], Dev(m, p?["ifindex"]),
            a["thresh1"] is { } t1 ? $"thresh1 {Num(t1)} thresh2 {Num(a["thresh2"])} thresh3 {Num(a["thresh3"])}" : null,
            p?["reachable_time"] is { } rt ? $"reachable {Num(rt)}" : null,
            p?["base_reachable_time"] is { } brt ? $"base_reachable {Num(brt)}" : null,
            p?["retrans_time"] is { } rtt ? $"retrans {Num(rtt)}" : null,
            p?["queue_lenbytes"] is { } q ? $"queue {Num(q)}" : null);
        return Lead(m, text);
    }

    // ---- rules

    public static string? Rule(NetlinkMessage m)
    {
        if (Dump(m, "rules") is { } dump) return dump;
        var a = m.Attributes;
        var h = m.Header;
        var table = a["table"] ?? h["table"];
        var action = h["action"] as string;
        var flags = Int(h["flags"]) ?? 0;
        string? Range(object? r) => r is NetlinkFields f ? (Equals(f["start"], f["end"]) ? Num(f["start"]) : $"{Num(f["start"])}-{Num(f["end"])}") : null;
        var text = Join(
            // The kernel leaves FRA_PRIORITY out for priority 0.
            a["priority"] is { } prio ? $"{Num(prio)}:" : m.Direction == NetlinkDirection.FromKernel ? "0:" : null,
            (flags & 0x2) != 0 ? "not" : null, // FIB_RULE_INVERT
            $"from {Prefix(a["src"], h["src_len"], "all")}",
            a["dst"] is not null || Int(h["dst_len"]) > 0 ? $"to {Prefix(a["dst"], h["dst_len"])}" : null,
            Int(h["tos"]) > 0 ? $"tos 0x{Int(h["tos"]):x}" : null,
            a["fwmark"] is { } mark ? $"fwmark 0x{Int(mark):x}" + (a["fwmask"] is { } mask && Int(mask) != 0xffffffff ? $"/0x{Int(mask):x}" : "") : null,
            a["iifname"] is string iif ? $"iif {iif}" : null,
            a["oifname"] is string oif ? $"oif {oif}" : null,
            Int(a["l3mdev"]) > 0 ? "lookup [l3mdev-table]" : null,
            a["uid_range"] is NetlinkFields uid ? $"uidrange {Range(uid)}" : null,
            a["ip_proto"] is { } ipp ? $"ipproto {Num(ipp)}" : null,
            a["sport_range"] is { } sp ? $"sport {Range(sp)}" : null,
            a["dport_range"] is { } dp ? $"dport {Range(dp)}" : null,
            a["tun_id"] is { } tun ? $"tun_id {Num(tun)}" : null,
            action switch
            {
                "to_tbl" => $"lookup {Num(table)}",
                "goto" => $"goto {Num(a["goto"])}",
                null or "unspec" => null,
                _ => action,
            },
            a["suppress_prefixlen"] is int spl && spl >= 0 ? $"suppress_prefixlength {spl}" : null,
            a["suppress_ifgroup"] is int sig && sig >= 0 ? $"suppress_ifgroup {sig}" : null,
            a["flow"] is { } realm ? $"realms {Num(realm)}" : null,
            a["protocol"] is { } proto && Num(proto) != "unspec" ? $"proto {Num(proto)}" : null);
        return Lead(m, text);
    }

    // ---- nexthop objects and buckets

    public static string? NextHop(NetlinkMessage m)
    {
        if (Dump(m, "nexthops") is { } dump) return dump;
        var a = m.Attributes;
        var h = m.Header;
        var group = a["group"] is NetlinkFields[] entries
            ? "group " + string.Join("/", entries.Select(e =>
            {
                var weight = ((Int(e["weight_high"]) ?? 0) << 8 | (Int(e["weight"]) ?? 0)) + 1;
                return weight == 1 ? Num(e["id"]) : $"{Num(e["id"])},{weight}";
            }))
            : null;
        var res = a["res_group"] as NetlinkFields;
        var text = Join(
            a["id"] is { } id ? $"id {Num(id)}" : null,
            group,
            a["group_type"] is "resilient" ? "type resilient" : null,
            res?["buckets"] is { } buckets ? $"buckets {Num(buckets)}" : null,
            a["blackhole"] is true ? "blackhole" : null,
            Encap(a["encap_type"], a["encap"] as NetlinkFields),
            a["gateway"] is { } gw ? $"via {Num(gw)}" : null,
            Dev(m, a["oif"]),
            a["fdb"] is true ? "fdb" : null,
            !(m.Direction == NetlinkDirection.ToKernel) && h["scope"] is { } scope && Num(scope) != "global" ? $"scope {Num(scope)}" : null,
            h["protocol"] is { } proto && Num(proto) is not ("unspec" or "boot") ? $"proto {Num(proto)}" : null,
            h["flags"] is string[] { Length: > 0 } flags ? string.Join(" ", flags) : null);
        return Lead(m, text);
    }

    /// <summary>`ip nexthop bucket`: "id 11 index 3 idle_time 120 nhid 1".</summary>
    public static string? NextHopBucket(NetlinkMessage m)
    {
        if (Dump(m, "nexthop buckets") is { } dump) return dump;
        var a = m.Attributes;
        var b = a["res_bucket"] as NetlinkFields;
        return Lead(m, Join(a["id"] is { } id ? $"id {Num(id)}" : null,
            b?["index"] is { } index ? $"index {Num(index)}" : null,
            b?["idle_time"] is { } idle ? $"idle_time {Num(idle)}" : null,
            b?["nh_id"] is { } nh ? $"nhid {Num(nh)}" : null));
    }

    // ---- device configuration, namespaces, statistics

    public static string? Netconf(NetlinkMessage m)
    {
        if (Dump(m, "netconf") is { } dump) return dump;
        var a = m.Attributes;
        var dev = a["ifindex"] switch { string pseudo => pseudo, null => null, var i => $"dev {Num(i)}" };
        var words = new List<object?> { Family(m), dev };
        foreach (var f in a)
        {
            if (f.Name == "ifindex") continue;
            words.Add(f.Name);
            words.Add(f.Name == "rp_filter" ? Num(f.Value) : OnOff(f.Value));
        }
        return Lead(m, Join(words.ToArray()));
    }

    public static string? Nsid(NetlinkMessage m)
    {
        if (Dump(m, "nsids") is { } dump) return dump;
        var a = m.Attributes;
        return Lead(m, Join(
            a["nsid"] is { } nsid ? $"nsid {Num(nsid)}" : null,
            a["current_nsid"] is { } cur ? $"current-nsid {Num(cur)}" : null,
            a["target_nsid"] is { } target ? $"target-nsid {Num(target)}" : null,
            a["pid"] is { } pid ? $"pid {Num(pid)}" : null,
            a["fd"] is { } fd ? $"fd {Num(fd)}" : null));
    }

    private static readonly string[] StatsGroups = { "link_64", "link_xstats", "link_xstats_slave", "link_offload_xstats", "af_spec" };

    public static string? Stats(NetlinkMessage m)
    {
        var h = m.Header;
        // filter_mask: bit n-1 asks for IFLA_STATS_* n.
        var mask = Int(h["filter_mask"]) ?? 0;
        var groups = StatsGroups.Where((_, i) => (mask & (1L << i)) != 0).ToArray();
        if (RequestVerb(m) is "dump" or "get")
            return Join(RequestVerb(m), "stats", Dev(m, h["ifindex"]), groups.Length > 0 ? "group " + string.Join(",", groups) : null);
        var a = m.Attributes;
        var words = new List<object?> { Dev(m, h["ifindex"]) };
        foreach (var f in a)
        {
            if (f.Value is NetlinkFields s && f.Name == "link_64")
                words.Add($"link rx {Num(s["rx_bytes"])} bytes {Num(s["rx_packets"])} packets tx {Num(s["tx_bytes"])} bytes {Num(s["tx_packets"])} packets");
            else if (f.Value is NetlinkFields nested)
                words.Add($"{f.Name}({string.Join(",", nested.Names.Distinct())})");
            else words.Add(f.Name);
        }
        return Lead(m, Join(words.ToArray()));
    }

    // ---- bridge multicast database, address labels, prefixes, vlans, vnis

    public static string? Mdb(NetlinkMessage m)
    {
        if (Dump(m, "mdb") is { } dump) return dump;
        var a = m.Attributes;
        var words = new List<object?>();
        void Entry(NetlinkFields e, object? source)
        {
            words.Add(Join(Dev(m, m.Header["ifindex"]), $"port {LinkOf(m, e["ifindex"])}", $"grp {Group(e)}",
                source is null ? null : $"src {Num(source)}", e["state"], Int(e["vid"]) > 0 ? $"vid {Num(e["vid"])}" : null,
                e["flags"] is string[] { Length: > 0 } f ? string.Join(" ", f) : null));
        }
        if (a["entry"] is NetlinkFields set) Entry(set, (a["entry_attrs"] as NetlinkFields)?["source"]);
        if (a["mdb"] is NetlinkFields mdb)
            foreach (var f in mdb)
                if (f.Value is NetlinkFields entry && entry["info"] is NetlinkFields info) Entry(info, info["source"]);
        if (a["router"] is NetlinkFields router)
            foreach (var f in router)
                if (f.Value is NetlinkFields port) words.Add(Join(Dev(m, m.Header["ifindex"]), $"router port {LinkOf(m, port["ifindex"])}", port["type"]));
        if (words.Count == 0) words.Add(Dev(m, m.Header["ifindex"])); // a bridge without groups
        return Lead(m, string.Join("; ", words.Select(w => Num(w))));
    }

    /// <summary>br_mdb_entry's group: a union read by its protocol (IPv4, IPv6, or a MAC for L2 groups).</summary>
    public static string Group(NetlinkFields entry)
    {
        if (entry["addr"] is not byte[] bytes || bytes.Length < 16) return "?";
        return entry["proto"] switch
        {
            "ipv4" => new IPAddress(bytes.AsSpan(0, 4)).ToString(),
            "ipv6" => new IPAddress(bytes.AsSpan(0, 16)).ToString(),
            _ => AttributeDecoder.HardwareAddress(bytes.AsSpan(0, 6)),
        };
    }

    public static string? AddrLabel(NetlinkMessage m)
    {
        if (Dump(m, "address labels") is { } dump) return dump;
        var a = m.Attributes;
        return Lead(m, Join(a["address"] is { } addr ? $"prefix {Prefix(addr, m.Header["prefixlen"])}" : null,
            Dev(m, m.Header["ifindex"]), a["label"] is { } label ? $"label {Num(label)}" : null));
    }

    public static string? PrefixInfo(NetlinkMessage m)
    {
        var a = m.Attributes;
        var h = m.Header;
        var flags = Int(h["flags"]) ?? 0;
        var cache = a["cacheinfo"] as NetlinkFields;
        return Lead(m, Join(a["address"] is { } addr ? $"prefix {Prefix(addr, h["len"])}" : null, Dev(m, h["ifindex"]),
            (flags & 1) != 0 ? "onlink" : null, (flags & 2) != 0 ? "autoconf" : null,
            cache is null ? null : $"valid {Num(cache["valid_time"])} preferred {Num(cache["preferred_time"])}"));
    }

    public static string? Vlan(NetlinkMessage m)
    {
        if (Dump(m, "vlans") is { } dump) return dump;
        var words = new List<object?> { Dev(m, m.Header["ifindex"]) };
        foreach (var f in m.Attributes)
            if (f.Value is NetlinkFields e)
            {
                var info = e["info"] as NetlinkFields;
                var vid = e["id"] ?? info?["vid"];
                var range = e["range"] is { } end ? $"-{Num(end)}" : "";
                words.Add(Join($"vlan {Num(vid)}{range}", info?["flags"] is string[] { Length: > 0 } fl ? string.Join(" ", fl) : null,
                    e["state"] is { } st ? $"state {Num(st)}" : null));
            }
        return Lead(m, Join(words.ToArray()));
    }

    public static string? Tunnel(NetlinkMessage m)
    {
        if (Dump(m, "vnis") is { } dump) return dump;
        var words = new List<object?> { Dev(m, m.Header["ifindex"]) };
        foreach (var f in m.Attributes)
            if (f.Value is NetlinkFields e)
                words.Add(Join($"vni {Num(e["start"])}{(e["end"] is { } end ? $"-{Num(end)}" : "")}",
                    (e["group"] ?? e["group6"]) is { } g ? $"group {Num(g)}" : null));
        return Lead(m, Join(words.ToArray()));
    }

    /// <summary>Objects the schema routes through Generic get their own line here, by the type name's object part.</summary>
    private static readonly Dictionary<string, Func<NetlinkMessage, string?>> ByObject = new(StringComparer.Ordinal)
    {
        ["ADDRLABEL"] = AddrLabel, ["MDB"] = Mdb, ["VLAN"] = Vlan, ["NEXTHOPBUCKET"] = NextHopBucket, ["TUNNEL"] = Tunnel,
        ["NEIGHTBL"] = NeighTable, ["PREFIX"] = PrefixInfo,
    };

    /// <summary>The line of an object by its message type, or the verb, type and attribute count.</summary>
    public static string? Generic(NetlinkMessage m)
    {
        var name = m.TypeName;
        var obj = name.Length > 7 && name.StartsWith("RTM_", StringComparison.Ordinal) ? name[7..] : name;
        if (ByObject.TryGetValue(obj, out var summary) && summary(m) is { Length: > 0 } line) return line;
        var verb = RequestVerb(m);
        return Join(verb, m.TypeName, Family(m), m.Attributes.Count > 0 ? $"({m.Attributes.Count} attributes)" : null);
    }
}
