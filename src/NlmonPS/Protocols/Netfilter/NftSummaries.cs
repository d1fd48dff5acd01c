using System.Globalization;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>
/// nf_tables messages in nft's words: kernel notifications read as `nft monitor` prints them ("add rule inet t c
/// handle 4: meta l4proto tcp counter packets 0 bytes 0 accept"), requests as the command that sends them, dump
/// replies without a verb. Objects other than rules carry "# handle N" as `nft -a` does.
/// </summary>
internal static class NftSummaries
{
    /// <summary>nft's family names: NFPROTO_IPV4 is "ip", NFPROTO_IPV6 "ip6".</summary>
    internal static string Family(NetlinkMessage m) => m.Header["family"] switch
    {
        "ipv4" => "ip",
        "ipv6" => "ip6",
        string s => s,
        var other => NetlinkFields.Format(other),
    };

    /// <summary>The objects of the messages, by NFT_MSG_* number.</summary>
    private static readonly string[] Objects =
    {
        "table", "table", "table", "chain", "chain", "chain", "rule", "rule", "rule", "set", "set", "set",
        "element", "element", "element", "generation", "generation", "trace", "object", "object", "object", "object",
        "flowtable", "flowtable", "flowtable", "rule", "table", "chain", "rule", "set", "element", "object", "flowtable", "element",
    };

    private static readonly Dictionary<int, Func<NetlinkMessage, NfState?, string, string?>> Printers = new()
    {
        [0] = (m, s, v) => Table(m, v), [1] = (m, s, v) => Table(m, v), [2] = (m, s, v) => Table(m, v), [26] = (m, s, v) => Table(m, v),
        [3] = (m, s, v) => Chain(m, v), [4] = (m, s, v) => Chain(m, v), [5] = (m, s, v) => Chain(m, v), [27] = (m, s, v) => Chain(m, v),
        [6] = (m, s, v) => Rule(m, v), [7] = (m, s, v) => Rule(m, v), [8] = (m, s, v) => Rule(m, v), [25] = (m, s, v) => Rule(m, v), [28] = (m, s, v) => Rule(m, v),
        [9] = (m, s, v) => Set(m, v), [10] = (m, s, v) => Set(m, v), [11] = (m, s, v) => Set(m, v), [29] = (m, s, v) => Set(m, v),
        [12] = Elements, [13] = Elements, [14] = Elements, [30] = Elements, [33] = Elements,
        [15] = (m, s, v) => Generation(m), [16] = (m, s, v) => Generation(m),
        [17] = (m, s, v) => Trace(m),
        [18] = (m, s, v) => Obj(m, v), [19] = (m, s, v) => Obj(m, v), [20] = (m, s, v) => Obj(m, v), [21] = (m, s, v) => Obj(m, v), [31] = (m, s, v) => Obj(m, v),
        [22] = (m, s, v) => Flowtable(m, v), [23] = (m, s, v) => Flowtable(m, v), [24] = (m, s, v) => Flowtable(m, v), [32] = (m, s, v) => Flowtable(m, v),
    };

    internal static string? Nft(NetlinkMessage m, NfState? state)
    {
        int msg = m.Type & 0xff;
        var verb = state?.IsReply(m) == true ? null : Verb(m);
        if (verb is "list" && msg != 16) return ListRequest(m, msg);
        return Printers.TryGetValue(msg, out var print) ? print(m, state, verb ?? "") : null;
    }

    /// <summary>
    /// Requests: the nft command (add, insert, replace, create, delete, destroy, list, get, reset). Kernel
    /// notifications: add or delete, as nft monitor says. Dump replies (NLM_F_MULTI): no verb.
    /// </summary>
    private static string? Verb(NetlinkMessage m)
    {
        var name = m.TypeName;
        bool request = m.Direction == NetlinkDirection.ToKernel;
        if (!request)
        {
            if ((m.Flags & Nl.NLM_F_MULTI) != 0) return null;
            return name.Contains("_DEL", StringComparison.Ordinal) || name.Contains("DESTROY", StringComparison.Ordinal) ? "delete"
                : name.Contains("_NEW", StringComparison.Ordinal) && !name.EndsWith("GEN", StringComparison.Ordinal) ? "add" : null;
        }
        if (name.EndsWith("_RESET", StringComparison.Ordinal)) return "reset";
        if (name.Contains("_GET", StringComparison.Ordinal)) return (m.Flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP ? "list" : "get";
        if (name.Contains("DESTROY", StringComparison.Ordinal)) return "destroy";
        if (name.Contains("_DEL", StringComparison.Ordinal)) return "delete";
        if ((m.Flags & Nl.NLM_F_REPLACE) != 0) return "replace";
        if (name == "NFT_MSG_NEWRULE" && (m.Flags & Nl.NLM_F_APPEND) == 0) return "insert";
        if ((m.Flags & Nl.NLM_F_EXCL) != 0 && name != "NFT_MSG_NEWRULE") return "create";
        return "add";
    }

    private static string ListRequest(NetlinkMessage m, int msg)
    {
        var a = m.Attributes;
        var family = Family(m) is "unspec" ? null : Family(m);
        var what = msg switch
        {
            13 or 33 => "set elements",
            _ => Objects[Math.Min(msg, Objects.Length - 1)] + "s",
        };
        return Summaries.Join("list", what, family, a["table"], a["chain"], a["set"], a["name"]);
    }

    private static string Handle(NetlinkMessage m) => m.Attributes["handle"] is ulong h ? $" # handle {h}" : "";

    private static string Table(NetlinkMessage m, string verb)
    {
        var a = m.Attributes;
        var flags = a["flags"] is string[] { Length: > 0 } f ? $" {{ flags {string.Join(",", f)}; }}" : "";
        return Summaries.Join(verb, "table", Family(m), a["name"]) + (verb == "delete" ? "" : flags) + Handle(m);
    }

    /// <summary>The standard priorities nft prints by name (nftables' std_prios), for ip, ip6, inet, arp and netdev chains.</summary>
    private static readonly Dictionary<int, string> Priorities = new()
    {
        [-300] = "raw", [-150] = "mangle", [-100] = "dstnat", [0] = "filter", [50] = "security", [100] = "srcnat",
    };

    private static readonly Dictionary<int, string> BridgePriorities = new() { [-300] = "dstnat", [-200] = "filter", [100] = "out", [300] = "srcnat" };

    private static string Priority(string family, int priority) =>
        (family == "bridge" ? BridgePriorities : Priorities).TryGetValue(priority, out var n) ? n : priority.ToString(CultureInfo.InvariantCulture);

    private static string Chain(NetlinkMessage m, string verb)
    {
        var a = m.Attributes;
        var text = Summaries.Join(verb, "chain", Family(m), a["table"], a["name"]);
        if (verb != "delete" && a["hook"] is NetlinkFields hook)
        {
            var family = Family(m);
            var parts = new List<string>();
            var type = a["type"] is string t ? $"type {t} " : "";
            var hookName = hook.Field("hooknum")?.Value is { } hn ? NfEnums.HookName(family, HookNumber(hn)) : "?";
            var devices = hook["dev"] is string dev ? $" device \"{dev}\""
                : hook["devs"] is NetlinkFields devs ? $" devices = {{ {string.Join(", ", devs.Select(d => NetlinkFields.Format(d.Value)))} }}" : "";
            var priority = hook["priority"] is int p ? $" priority {Priority(family, p)}" : "";
            parts.Add($"{type}hook {hookName}{devices}{priority};");
            if (a["policy"] is string policy) parts.Add($"policy {policy};");
            text += " { " + string.Join(" ", parts) + " }";
        }
        return text + Handle(m);
    }

    private static ulong HookNumber(object value) => value switch
    {
        string name => NfEnums.InetHook.FirstOrDefault(p => p.Value == name).Key,
        uint n => n,
        _ => 0,
    };

    private static string Rule(NetlinkMessage m, string verb)
    {
        var a = m.Attributes;
        var head = Summaries.Join(verb, "rule", Family(m), a["table"], a["chain"]);
        if (a["handle"] is ulong handle) head += $" handle {handle}";
        // nft flush chain: a rule delete without a handle.
        if (verb == "delete") return a.Contains("handle") || m.Direction != NetlinkDirection.ToKernel ? head : Summaries.Join("flush", a.Contains("chain") ? "chain" : "table", Family(m), a["table"], a["chain"]);
        if (a["position"] is ulong position && m.Direction == NetlinkDirection.ToKernel) head += $" position {position}";
        if (a["expressions"] is not NetlinkFields[] expressions) return head;
        var body = NftRulePrinter.Print(expressions, Family(m), m.ByteOrder);
        return a.Contains("handle") ? $"{head}: {body}" : $"{head} {body}";
    }

    /// <summary>nft's set flag words (the anonymous/constant bits of anonymous sets are not printed).</summary>
    private static readonly HashSet<string> PrintedSetFlags = new() { "interval", "timeout", "dynamic", "concat", "object" };

    private static string Set(NetlinkMessage m, string verb)
    {
        var a = m.Attributes;
        // nft monitor says "add map" but "delete set" for maps.
        var text = Summaries.Join(verb, verb != "delete" && a["flags"] is string[] f0 && f0.Contains("map") ? "map" : "set", Family(m), a["table"], a["name"]);
        if (verb == "delete") return text + Handle(m);
        var parts = new List<string>();
        if (a.Field("key_type")?.Value is { } keyType)
        {
            var type = $"type {NetlinkFields.Format(keyType)}";
            if (a.Field("data_type")?.Value is { } dataType) type += $" : {NetlinkFields.Format(dataType)}";
            parts.Add(type + ";");
        }
        if (a["flags"] is string[] flags && flags.Where(PrintedSetFlags.Contains).ToArray() is { Length: > 0 } printed)
            parts.Add($"flags {string.Join(",", printed)};");
        if (a["timeout"] is ulong timeout && timeout != 0) parts.Add($"timeout {timeout / 1000}s;");
        if (a["desc"] is NetlinkFields desc && desc["size"] is uint size) parts.Add($"size {size};");
        if (a["policy"] is "memory") parts.Add("policy memory;");
        if (parts.Count > 0) text += " { " + string.Join(" ", parts) + " }";
        return text + Handle(m);
    }

    private static string? Elements(NetlinkMessage m, NfState? state, string verb)
    {
        var a = m.Attributes;
        var set = state?.Set(m.Header["family"] as string, a["table"] as string, a["set"] as string);
        var keyTypes = NftType.SetKey(set?.KeyType, null);
        var dataTypes = NftType.SetKey(set?.DataType, null);
        var elements = (a["elements"] as NetlinkFields[] ?? Array.Empty<NetlinkFields>())
            .Select(e => (Key: (e["key"] as NetlinkFields)?["value"] as byte[] ?? Array.Empty<byte>(), Flags: e["flags"] as string[] ?? Array.Empty<string>(), Fields: e))
            .ToList();
        string Key(byte[] key) => NftType.FormatKey(key, keyTypes, m.ByteOrder);
        var items = new List<string>();
        if (set?.Flags.Contains("interval") != true && !elements.Any(e => e.Flags.Contains("interval_end")))
        {
            foreach (var e in elements)
                items.Add((e.Flags.Contains("catchall") ? "*" : Key(e.Key)) + ElementExtras(e.Fields, dataTypes, m.ByteOrder));
        }
        else
        {
            // Intervals travel as a start element and an end element holding the first value past the range, in
            // ascending order from nft (after a leading end at 0) and descending in kernel dumps.
            var ordered = elements.Where(e => !e.Flags.Contains("catchall")).ToList();
            if (ordered.Count >= 2 && ordered[0].Key.AsSpan().SequenceCompareTo(ordered[1].Key) > 0) ordered.Reverse();
            (byte[] Key, NetlinkFields Fields)? start = null;
            foreach (var e in ordered)
            {
                if (!e.Flags.Contains("interval_end"))
                {
                    if (start is { } open) items.Add(Key(open.Key) + ElementExtras(open.Fields, dataTypes, m.ByteOrder));
                    start = (e.Key, e.Fields);
                    continue;
                }
                if (start is { } s)
                {
                    var last = NftType.Decrement(e.Key);
                    // Address ranges that are one CIDR block print as a prefix, as nft does.
                    int prefix = keyTypes is [var only] && (only == NftType.Ipv4 || only == NftType.Ipv6) ? NftType.PrefixOf(s.Key, last) : -1;
                    var range = last.AsSpan().SequenceEqual(s.Key) ? Key(s.Key) : prefix >= 0 ? $"{Key(s.Key)}/{prefix}" : $"{Key(s.Key)}-{Key(last)}";
                    items.Add(range + ElementExtras(s.Fields, dataTypes, m.ByteOrder));
                    start = null;
                }
                else if (ordered.Count == 1) items.Add($"{Key(e.Key)} (interval end)");
            }
            if (start is { } tail) items.Add(Key(tail.Key) + ElementExtras(tail.Fields, dataTypes, m.ByteOrder));
            if (elements.Any(e => e.Flags.Contains("catchall"))) items.Add("*");
        }
        var text = Summaries.Join(verb, "element", Family(m), a["table"], a["set"]);
        return items.Count > 0 ? $"{text} {{ {string.Join(", ", items)} }}" : text;
    }

    private static string ElementExtras(NetlinkFields e, NftType[]? dataTypes, ByteOrder order)
    {
        var extras = "";
        if (e["timeout"] is ulong timeout && timeout != 0) extras += $" timeout {timeout / 1000}s";
        if (e["expiration"] is ulong expires && expires != 0) extras += $" expires {expires / 1000}s";
        if (e["data"] is NetlinkFields data)
        {
            if (data["verdict"] is NetlinkFields verdict)
                extras += " : " + (verdict["chain"] is string chain ? $"{NetlinkFields.Format(verdict["code"])} {chain}" : NetlinkFields.Format(verdict["code"]));
            else if (data["value"] is byte[] value) extras += " : " + NftType.FormatKey(value, dataTypes, order);
        }
        if (e["objref"] is string objref) extras += $" : \"{objref}\"";
        return extras;
    }

    private static string? Generation(NetlinkMessage m)
    {
        var a = m.Attributes;
        if (m.Direction == NetlinkDirection.ToKernel) return "get generation";
        var text = $"new generation {a["id"]}";
        if (a["proc_pid"] is uint pid) text += $" by process {pid} ({a["proc_name"]})";
        return text;
    }

    private static string Trace(NetlinkMessage m)
    {
        var a = m.Attributes;
        var verdict = a["verdict"] is NetlinkFields v ? $"verdict {NetlinkFields.Format(v["code"])}{(v["chain"] is string c ? " " + c : "")}" : null;
        return Summaries.Join("trace", a["id"] is uint id ? $"id {id:x8}" : null, Family(m), a["table"], a["chain"],
            a["type"], a["rule_handle"] is ulong h ? $"handle {h}" : null, verdict,
            a["policy"] is { } p ? $"policy {NetlinkFields.Format(p)}" : null);
    }

    private static string Obj(NetlinkMessage m, string verb)
    {
        var a = m.Attributes;
        var type = a["type"] is string t ? t : "object";
        var text = Summaries.Join(verb, type, Family(m), a["table"], a["name"]);
        if (verb != "delete" && a["data"] is NetlinkFields data)
        {
            var body = type switch
            {
                "counter" => $"packets {data["packets"] ?? 0} bytes {data["bytes"] ?? 0}",
                "quota" => ObjQuota(data),
                "limit" => ObjLimit(data),
                _ => null,
            };
            if (body is not null) text += $" {{ {body} }}";
        }
        return text + Handle(m);
    }

    private static string ObjQuota(NetlinkFields d)
    {
        var over = d["flags"] is string[] f && f.Contains("inv") ? "over " : "";
        var used = d["consumed"] is ulong c && c != 0 ? $" used {c} bytes" : "";
        return $"{over}{QuotaBytes(d["bytes"] is ulong b ? b : 0)}{used}";
    }

    private static string QuotaBytes(ulong n)
    {
        string[] units = { "bytes", "kbytes", "mbytes", "gbytes" };
        int u = 0;
        while (u < units.Length - 1 && n != 0 && n % 1024 == 0) { n /= 1024; u++; }
        return $"{n} {units[u]}";
    }

    private static string ObjLimit(NetlinkFields d) => $"rate {d["rate"]}/{d["unit"] switch { 1UL => "second", 60UL => "minute", 3600UL => "hour", 86400UL => "day", var u => NetlinkFields.Format(u) + " seconds" }}";

    private static string Flowtable(NetlinkMessage m, string verb)
    {
        var a = m.Attributes;
        var text = Summaries.Join(verb, "flowtable", Family(m), a["table"], a["name"]);
        if (verb != "delete" && a["hook"] is NetlinkFields hook)
        {
            var devices = hook["devs"] is NetlinkFields devs ? $" devices = {{ {string.Join(", ", devs.Select(d => NetlinkFields.Format(d.Value)))} }};" : "";
            text += $" {{ hook {NetlinkFields.Format(hook["num"])} priority {hook["priority"]};{devices} }}";
        }
        return text + Handle(m);
    }
}
