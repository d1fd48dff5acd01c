using System.Text;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>
/// ctnetlink messages in conntrack's words: entries as `conntrack -L` prints them ("tcp 6 431999 ESTABLISHED
/// src=... [ASSURED] mark=0 use=1"), notifications with `conntrack -E`'s [NEW]/[UPDATE]/[DESTROY], statistics as
/// `conntrack -S`. Requests name what they ask. Timestamps (delta-time) are left out: they depend on the clock.
/// </summary>
internal static class ConntrackSummaries
{
    internal static string? Conntrack(NetlinkMessage m, NfState? state)
    {
        var a = m.Attributes;
        int msg = m.Type & 0xff;
        if (m.Direction == NetlinkDirection.ToKernel) return Request(m, msg);
        return msg switch
        {
            4 => Stats(m, ConntrackStatNames, $"cpu={m.Header["res_id"]}"),
            5 => Summaries.Join(a["entries"] is uint n ? $"entries={n}" : null, a["max_entries"] is uint max ? $"max_entries={max}" : null),
            _ => Event(m, state) + Entry(a, m.Header["family"] as string) + Userspace(m, state),
        };
    }

    /// <summary>conntrack -E's event tags: a notification is NEW with NLM_F_CREATE, UPDATE without, DESTROY on delete.</summary>
    private static string Event(NetlinkMessage m, NfState? state)
    {
        if (state?.IsReply(m) == true || (m.Flags & Nl.NLM_F_MULTI) != 0) return "";
        if ((m.Type & 0xff) == 2) return "[DESTROY] ";
        return (m.Flags & Nl.NLM_F_CREATE) != 0 ? "[NEW] " : "[UPDATE] ";
    }

    /// <summary>Events caused by a program carry its port id, which conntrack -E shows.</summary>
    private static string Userspace(NetlinkMessage m, NfState? state) =>
        m.PortId != 0 && state?.IsReply(m) != true && (m.Flags & Nl.NLM_F_MULTI) == 0 ? $" [USERSPACE] portid={m.PortId}" : "";

    private static readonly Dictionary<int, string> RequestWords = new()
    {
        [0] = "create", [1] = "get", [2] = "delete", [3] = "get and zero counters", [4] = "statistics per cpu",
        [5] = "count", [6] = "list dying", [7] = "list unconfirmed",
    };

    private static string Request(NetlinkMessage m, int msg)
    {
        bool dump = (m.Flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP;
        var verb = msg switch
        {
            0 when (m.Flags & Nl.NLM_F_CREATE) == 0 => "update",
            1 or 3 when dump => msg == 3 ? "list and zero counters" : "list",
            _ => RequestWords.GetValueOrDefault(msg, m.TypeName),
        };
        var family = m.Header["family"] is string f && f != "unspec" ? f : null;
        var entry = m.Attributes.Count > 0 ? Entry(m.Attributes, family) : null;
        return Summaries.Join(verb, dump || entry is null ? family : null, entry);
    }

    /// <summary>One conntrack entry in libnetfilter_conntrack's default format.</summary>
    internal static string Entry(NetlinkFields a, string? family)
    {
        var line = new Line();
        var orig = a["tuple_orig"] as NetlinkFields;
        var reply = a["tuple_reply"] as NetlinkFields;
        var proto = (orig ?? reply)?["proto"] as NetlinkFields;
        var protoNum = proto?.Field("num");
        if (protoNum is not null)
            line.Part(protoNum.Value is string name ? name : "unknown").Append(' ').Append(ProtocolNumber(protoNum.Value));
        if (a["timeout"] is uint timeout) line.Part().Append(timeout);
        if (a["protoinfo"] is NetlinkFields info)
            line.Add(NetlinkFields.Format((info["tcp"] as NetlinkFields ?? info["sctp"] as NetlinkFields ?? info["dccp"] as NetlinkFields)?["state"]));
        var status = a["status"] as string[];
        TupleWords(line, orig);
        Counters(line, a["counters_orig"] as NetlinkFields);
        if (orig?["zone"] is ushort zoneOrig) line.Part("zone-orig=").Append(zoneOrig);
        if (status is not null && Array.IndexOf(status, "SEEN_REPLY") < 0) line.Add("[UNREPLIED]");
        TupleWords(line, reply);
        Counters(line, a["counters_reply"] as NetlinkFields);
        if (reply?["zone"] is ushort zoneReply) line.Part("zone-reply=").Append(zoneReply);
        if (status is not null && Array.IndexOf(status, "ASSURED") >= 0) line.Add("[ASSURED]");
        if (status is not null && Array.IndexOf(status, "OFFLOAD") >= 0) line.Add("[OFFLOAD]");
        if (status is not null && Array.IndexOf(status, "HW_OFFLOAD") >= 0) line.Add("[HW_OFFLOAD]");
        if (a["mark"] is uint mark) line.Part("mark=").Append(mark);
        if (a["secmark"] is uint secmark && secmark != 0) line.Part("secmark=").Append(secmark);
        if (a["secctx"] is NetlinkFields secctx) Line.Interpolated(line.Part("secctx="), secctx["name"]);
        if (a["zone"] is ushort zone) line.Part("zone=").Append(zone);
        if (a["help"] is NetlinkFields help && help["name"] is string helper) line.Part("helper=").Append(helper);
        if (a["use"] is uint use) line.Part("use=").Append(use);
        return line.ToStringAndFree();
    }

    // The protocol's number when the entry shows its name ("tcp 6"): the first number of that name, 0 for none.
    private static readonly Dictionary<string, ulong> ProtocolNumbers = NumbersByName(NfEnums.IpProto);

    private static Dictionary<string, ulong> NumbersByName(EnumTable table)
    {
        var numbers = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var (number, name) in table) numbers.TryAdd(name, number);
        return numbers;
    }

    private static ulong ProtocolNumber(object? value) =>
        value is byte b ? b : value is string name ? ProtocolNumbers.GetValueOrDefault(name) : 0;

    /// <summary>"src=.. dst=.. sport=.. dport=.." (icmp: type, code, id).</summary>
    internal static string? Tuple(NetlinkFields? tuple)
    {
        if (tuple is null) return null;
        var line = new Line();
        TupleWords(line, tuple);
        return line.ToStringAndFree();
    }

    /// <summary>The words of <see cref="Tuple"/>, each a part of the line.</summary>
    private static void TupleWords(Line line, NetlinkFields? tuple)
    {
        if (tuple is null) return;
        var ip = tuple["ip"] as NetlinkFields;
        var p = tuple["proto"] as NetlinkFields;
        if (ip is not null)
        {
            if ((ip["v4_src"] ?? ip["v6_src"]) is { } src) Line.Format(line.Part("src="), src);
            if ((ip["v4_dst"] ?? ip["v6_dst"]) is { } dst) Line.Format(line.Part("dst="), dst);
        }
        if (p is not null)
        {
            if (p["src_port"] is ushort sport) line.Part("sport=").Append(sport);
            if (p["dst_port"] is ushort dport) line.Part("dport=").Append(dport);
            if ((p["icmp_type"] ?? p["icmpv6_type"]) is byte type) line.Part("type=").Append(type);
            if ((p["icmp_code"] ?? p["icmpv6_code"]) is byte code) line.Part("code=").Append(code);
            if ((p["icmp_id"] ?? p["icmpv6_id"]) is ushort id) line.Part("id=").Append(id);
        }
    }

    private static void Counters(Line line, NetlinkFields? c)
    {
        if (c is null) return;
        Line.Interpolated(Line.Interpolated(line.Part("packets="), c["packets"] ?? 0).Append(" bytes="), c["bytes"] ?? 0);
    }

    /// <summary>The counters conntrack -S shows, in its order and words (the kernel's unused ones are left out).</summary>
    private static readonly (string Attribute, string Word)[] ConntrackStatNames =
    {
        ("found", "found"), ("invalid", "invalid"), ("insert", "insert"), ("insert_failed", "insert_failed"), ("drop", "drop"),
        ("early_drop", "early_drop"), ("error", "error"), ("search_restart", "search_restart"), ("clash_resolve", "clash_resolve"),
        ("chain_toolong", "chaintoolong"),
    };

    private static readonly (string Attribute, string Word)[] ExpectStatNames = { ("new", "new"), ("create", "create"), ("delete", "delete") };

    private static string Stats(NetlinkMessage m, (string Attribute, string Word)[] names, string lead)
    {
        var parts = new List<string> { lead };
        foreach (var (attribute, word) in names)
            if (m.Attributes[attribute] is uint n) parts.Add($"{word}={n}");
        return string.Join(" ", parts);
    }

    /// <summary>Expectations as `conntrack -L expect` prints them.</summary>
    internal static string? Expect(NetlinkMessage m, NfState? state)
    {
        var a = m.Attributes;
        int msg = m.Type & 0xff;
        if (m.Direction == NetlinkDirection.ToKernel)
        {
            bool dump = (m.Flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP;
            var verb = msg switch { 0 => "create expectation", 1 => dump ? "list expectations" : "get expectation", 2 => "delete expectation", 3 => "expectation statistics per cpu", _ => m.TypeName };
            return Summaries.Join(verb, ExpectEntry(a));
        }
        if (msg == 3) return Stats(m, ExpectStatNames, $"cpu={m.Header["res_id"]}");
        var tag = state?.IsReply(m) == true || (m.Flags & Nl.NLM_F_MULTI) != 0 ? "" : msg == 2 ? "[DESTROY] " : "[NEW] ";
        return tag + ExpectEntry(a);
    }

    private static string ExpectEntry(NetlinkFields a)
    {
        var parts = new List<string?>();
        if (a["timeout"] is uint timeout) parts.Add(timeout.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var tuple = a["tuple"] as NetlinkFields;
        if ((tuple?["proto"] as NetlinkFields)?.Field("num") is { } num) parts.Add($"proto={ProtocolNumber(num.Value)}");
        parts.Add(Tuple(tuple));
        if (a["mask"] is NetlinkFields mask) parts.Add(Prefixed("mask-", Tuple(mask)));
        if (a["master"] is NetlinkFields master) parts.Add(Prefixed("master-", Tuple(master)));
        if (a["flags"] is string[] flags) parts.AddRange(flags.Select(f => $"[{f}]"));
        if (a["class"] is uint cls) parts.Add($"class={cls}");
        if (a["help_name"] is string helper) parts.Add($"helper={helper}");
        return Summaries.Join(parts.ToArray());
    }

    /// <summary>conntrack prefixes the address words of mask and master tuples ("mask-src=", "master-src=").</summary>
    private static string? Prefixed(string prefix, string? tuple) =>
        tuple?.Replace("src=", prefix + "src=", StringComparison.Ordinal).Replace("dst=", prefix + "dst=", StringComparison.Ordinal);
}
