using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using static NlmonPS.Decoding.Summaries;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>One line per message of the smaller nfnetlink subsystems, in the words of their tools.</summary>
internal static class NetfilterSummaries
{
    private static bool Request(NetlinkMessage m) => m.Direction == NetlinkDirection.ToKernel;

    private static string? Verb(NetlinkMessage m, params (string Word, string Verb)[] words)
    {
        foreach (var (word, verb) in words)
            if (m.TypeName.Contains(word, StringComparison.Ordinal)) return verb;
        return null;
    }

    internal static string? Batch(NetlinkMessage m, NfState? state)
    {
        var subsystem = m.Header["res_id"] is ushort id ? NetfilterSchema.Subsystems.NameOf(id) : null;
        var what = m.TypeName.EndsWith("BEGIN", StringComparison.Ordinal) ? "batch begin" : "batch end";
        return Join(what, subsystem, m.Attributes["genid"] is uint genid ? $"genid {genid}" : null);
    }

    internal static string? Unknown(NetlinkMessage m) => Join(RequestVerb(m), m.TypeName);

    // ---- nfqueue ----

    internal static string? Queue(NetlinkMessage m, NfState? state)
    {
        var a = m.Attributes;
        var queue = $"queue {m.Header["res_id"]}";
        switch (m.Type & 0xff)
        {
            case 0:
            {
                var hdr = a["packet_hdr"] as NetlinkFields;
                return Join("packet", queue, hdr?["packet_id"] is uint id ? $"id {id}" : null,
                    hdr?["hook"] is { } hook ? $"hook {NetlinkFields.Format(hook)}" : null, PacketMeta(a)) + Payload(a);
            }
            case 1:
            case 3:
            {
                var v = a["verdict_hdr"] as NetlinkFields;
                var batch = (m.Type & 0xff) == 3 ? "up to " : "";
                return Join("verdict", queue, v?["id"] is uint id ? $"{batch}id {id}" : null, NetlinkFields.Format(v?["verdict"]),
                    a["mark"] is uint mark ? $"mark 0x{mark:x}" : null, a.Contains("payload") ? "with new payload" : null);
            }
            default:
                return Join("config", queue, Config(m, a["cmd"] as NetlinkFields, a["params"] as NetlinkFields),
                    a["queue_maxlen"] is uint maxlen ? $"maxlen {maxlen}" : null,
                    a["flags"] is string[] flags ? $"flags {string.Join(",", flags)}" : null,
                    a["mask"] is string[] mask ? $"mask {string.Join(",", mask)}" : null);
        }
    }

    /// <summary>
    /// The config command ("bind", "pf_unbind inet") and copy mode ("copy packet range 65535"). PF_(UN)BIND names
    /// its family in the command (nfqueue) or in nfgenmsg (nflog).
    /// </summary>
    private static string? Config(NetlinkMessage m, NetlinkFields? cmd, NetlinkFields? mode)
    {
        var command = cmd?["command"] is { } c ? NetlinkFields.Format(c) : null;
        if (command is not null && command.StartsWith("pf_", StringComparison.Ordinal))
            command += " " + NetlinkFields.Format(cmd?["pf"] ?? m.Header["family"]);
        var copy = mode is null ? null : $"copy {NetlinkFields.Format(mode["copy_mode"])} range {mode["copy_range"]}";
        return Join(command, copy);
    }

    private static string? PacketMeta(NetlinkFields a) => Join(
        a["mark"] is uint mark && mark != 0 ? $"mark 0x{mark:x}" : null,
        a["ifindex_indev"] is uint i ? $"indev {i}" : null,
        a["ifindex_outdev"] is uint o ? $"outdev {o}" : null,
        a["uid"] is uint uid ? $"uid {uid}" : null,
        a["gid"] is uint gid ? $"gid {gid}" : null);

    private static string Payload(NetlinkFields a) => a["payload"] is byte[] p && Packet(p) is { } text ? ": " + text : "";

    /// <summary>A tcpdump-style line for an IP packet ("IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 1, seq 1, length 64").</summary>
    internal static string? Packet(byte[] p)
    {
        if (p.Length < 1) return null;
        int version = p[0] >> 4;
        if (version == 4 && p.Length >= 20)
        {
            int ihl = (p[0] & 0xf) * 4, total = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2));
            var src = new IPAddress(p.AsSpan(12, 4)).ToString();
            var dst = new IPAddress(p.AsSpan(16, 4)).ToString();
            return Transport("IP", src, dst, p[9], p.AsSpan(Math.Min(ihl, p.Length)), total - ihl, ".");
        }
        if (version == 6 && p.Length >= 40)
        {
            var src = new IPAddress(p.AsSpan(8, 16)).ToString();
            var dst = new IPAddress(p.AsSpan(24, 16)).ToString();
            return Transport("IP6", src, dst, p[6], p.AsSpan(40), BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(4)), ".");
        }
        return null;
    }

    private static readonly Dictionary<(byte Proto, byte Type), string> IcmpTypes = new()
    {
        [(1, 0)] = "echo reply", [(1, 8)] = "echo request", [(1, 3)] = "unreachable", [(1, 11)] = "time exceeded",
        [(58, 128)] = "echo request", [(58, 129)] = "echo reply",
    };

    private static string Transport(string l3, string src, string dst, byte proto, ReadOnlySpan<byte> l4, int length, string portSeparator)
    {
        switch (proto)
        {
            case 6 when l4.Length >= 4:
                return $"{l3} {src}{portSeparator}{BinaryPrimitives.ReadUInt16BigEndian(l4)} > {dst}{portSeparator}{BinaryPrimitives.ReadUInt16BigEndian(l4[2..])}: tcp";
            case 17 when l4.Length >= 4:
                return $"{l3} {src}{portSeparator}{BinaryPrimitives.ReadUInt16BigEndian(l4)} > {dst}{portSeparator}{BinaryPrimitives.ReadUInt16BigEndian(l4[2..])}: UDP, length {length - 8}";
            case 1 or 58 when l4.Length >= 8 && IcmpTypes.TryGetValue((proto, l4[0]), out var type):
                var name = proto == 1 ? "ICMP" : "ICMP6";
                return type.StartsWith("echo", StringComparison.Ordinal)
                    ? $"{l3} {src} > {dst}: {name} {type}, id {BinaryPrimitives.ReadUInt16BigEndian(l4[4..])}, seq {BinaryPrimitives.ReadUInt16BigEndian(l4[6..])}, length {length}"
                    : $"{l3} {src} > {dst}: {name} {type}";
            default:
                return $"{l3} {src} > {dst}: {NfEnums.IpProto.NameOf(proto)}";
        }
    }

    // ---- nflog ----

    internal static string? Log(NetlinkMessage m, NfState? state)
    {
        var a = m.Attributes;
        var group = $"group {m.Header["res_id"]}";
        if ((m.Type & 0xff) == 0)
        {
            var hdr = a["packet_hdr"] as NetlinkFields;
            return Join("log", group, a["prefix"] is string prefix ? $"prefix \"{prefix}\"" : null,
                hdr?["hook"] is { } hook ? $"hook {NetlinkFields.Format(hook)}" : null, PacketMeta(a),
                a["seq"] is uint seq ? $"seq {seq}" : null) + Payload(a);
        }
        return Join("config", group, Config(m, a["cmd"] as NetlinkFields, a["mode"] as NetlinkFields),
            a["nlbufsiz"] is uint size ? $"nlbufsiz {size}" : null, a["timeout"] is uint timeout ? $"timeout {timeout}" : null,
            a["qthresh"] is uint qthresh ? $"qthresh {qthresh}" : null, a["flags"] is string[] flags ? $"flags {string.Join(",", flags)}" : null);
    }

    // ---- nfacct ----

    internal static string? Acct(NetlinkMessage m, NfState? state)
    {
        var a = m.Attributes;
        if (Request(m))
        {
            var verb = Verb(m, ("GET_CTRZERO", "get and reset"), ("_GET", (m.Flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP ? "list" : "get"),
                ("_NEW", "add"), ("_DEL", "delete")) ?? m.TypeName;
            return Join(verb, a["name"], a["quota"] is ulong limit ? $"quota {limit}" : null);
        }
        if (m.TypeName.EndsWith("OVERQUOTA", StringComparison.Ordinal)) return Join("over quota", a["name"]);
        // nfacct list: { pkts = 00000000000000000000, bytes = 00000000000000000000 } = name;
        ulong pkts = a["pkts"] is ulong p ? p : 0, bytes = a["bytes"] is ulong b ? b : 0;
        var quota = a["quota"] is ulong q ? $" quota = {q}," : "";
        return $"{{ pkts = {pkts:D20}, bytes = {bytes:D20}{quota} }} = {a["name"]};";
    }

    // ---- cttimeout ----

    /// <summary>nfct names the layer 3 protocol inet/inet6.</summary>
    private static string? Nfct(object? l3) => l3 switch { "ipv4" => "inet", "ipv6" => "inet6", null => null, _ => NetlinkFields.Format(l3) };

    internal static string? Timeout(NetlinkMessage m, NfState? state)
    {
        var a = m.Attributes;
        var policy = a["data"] is NetlinkFields data ? string.Join(" ", data.Select(f => $"{f.Name} {NetlinkFields.Format(f.Value)}")) : null;
        var body = Join(a["name"], Nfct(a["l3proto"]), a["l4proto"], policy, a["use"] is uint use ? $"use {use}" : null);
        if (!Request(m)) return m.TypeName.Contains("DEFAULT", StringComparison.Ordinal) ? Join("default", body) : body;
        var verb = Verb(m, ("DEFAULT_SET", "default-set"), ("DEFAULT_GET", "default-get"),
            ("_GET", (m.Flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP ? "list" : "get"), ("_NEW", "add"), ("_DELETE", "delete"));
        return Join(verb, "timeout", body);
    }

    // ---- cthelper ----

    internal static string? Helper(NetlinkMessage m, NfState? state)
    {
        var a = m.Attributes;
        var tuple = a["tuple"] as NetlinkFields;
        var body = Join(a["name"], Nfct(tuple?["l3protonum"]), tuple?["l4protonum"],
            a["queue_num"] is uint queue ? $"queue {queue}" : null, a["status"] is { } status ? NetlinkFields.Format(status) : null);
        if (!Request(m)) return body;
        var verb = Verb(m, ("_GET", (m.Flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP ? "list" : "get"), ("_NEW", "add"), ("_DEL", "delete"));
        return Join(verb, "helper", body);
    }

    // ---- osf, nft_compat, hooks ----

    internal static string? Osf(NetlinkMessage m, NfState? state)
    {
        var f = m.Attributes["finger"] as NetlinkFields;
        var verb = (m.Type & 0xff) == 0 ? "add fingerprint" : "remove fingerprint";
        if (f is null) return verb;
        var name = string.Join(":", new[] { f["genre"], f["version"], f["subtype"] }.Select(NetlinkFields.Format));
        return Join(verb, name, $"ttl {f["ttl"]}", $"df {f["df"]}", $"size {f["ss"]}", $"window {f["wss_wc"]} {f["wss_val"]}", $"options {f["opt_num"]}");
    }

    internal static string? Compat(NetlinkMessage m, NfState? state)
    {
        var a = m.Attributes;
        var body = Join(a["type"], a["name"], a["rev"] is uint rev ? $"rev {rev}" : null);
        return Request(m) ? Join("get", body) : body;
    }

    internal static string? Hook(NetlinkMessage m, NfState? state)
    {
        var a = m.Attributes;
        if (Request(m)) return Join("list hooks", m.Header["family"], a["hooknum"], a["dev"] is string dev ? $"device {dev}" : null);
        var chain = (a["chain_info"] as NetlinkFields)?["desc"] as NetlinkFields;
        return Join("hook", a["hooknum"], a["priority"] is int p ? $"priority {p.ToString(CultureInfo.InvariantCulture)}" : null,
            a["function_name"], a["module_name"] is string mod ? $"[{mod}]" : null,
            chain is null ? null : Join("chain", chain["family"], chain["table"], chain["name"]));
    }
}
