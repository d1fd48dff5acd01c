using System.Globalization;
using NlmonPS.Decoding;
using static NlmonPS.Decoding.Summaries;

namespace NlmonPS.Protocols.Xfrm;

/// <summary>One line per xfrm message, in the words of `ip xfrm state`, `ip xfrm policy` and `ip xfrm monitor`.</summary>
internal static class XfrmSummaries
{
    private static string F(object? v) => NetlinkFields.Format(v);

    /// <summary>The `ip xfrm` verb of a request: xfrm does not use NLM_F_CREATE/REPLACE, the type says it all.</summary>
    private static readonly Dictionary<string, string> Verbs = new(StringComparer.Ordinal)
    {
        ["XFRM_MSG_NEWSA"] = "add", ["XFRM_MSG_UPDSA"] = "update", ["XFRM_MSG_DELSA"] = "delete", ["XFRM_MSG_GETSA"] = "get",
        ["XFRM_MSG_NEWPOLICY"] = "add", ["XFRM_MSG_UPDPOLICY"] = "update", ["XFRM_MSG_DELPOLICY"] = "delete",
        ["XFRM_MSG_GETPOLICY"] = "get", ["XFRM_MSG_FLUSHSA"] = "flush", ["XFRM_MSG_FLUSHPOLICY"] = "flush",
        ["XFRM_MSG_NEWAE"] = "set", ["XFRM_MSG_GETAE"] = "get", ["XFRM_MSG_NEWSPDINFO"] = "set", ["XFRM_MSG_GETSPDINFO"] = "get",
        ["XFRM_MSG_GETSADINFO"] = "get", ["XFRM_MSG_SETDEFAULT"] = "set", ["XFRM_MSG_GETDEFAULT"] = "get",
        ["XFRM_MSG_MIGRATE"] = "migrate",
    };

    /// <summary>Requests lead with their verb; the kernel's deletions and flushes read "Deleted ...", "Flushed ..." as in `ip xfrm monitor`.</summary>
    private static string Lead(NetlinkMessage m, string text)
    {
        if (m.Direction == NetlinkDirection.ToKernel)
            return Join(Verbs.TryGetValue(m.TypeName, out var verb) ? verb : null, text);
        if (m.TypeName.Contains("_DEL", StringComparison.Ordinal)) return Join("Deleted", text);
        if (m.TypeName.Contains("_FLUSH", StringComparison.Ordinal)) return Join("Flushed", text);
        return text;
    }

    /// <summary>An xfrm_address_t attribute (16 bytes whatever the family) read by the family of its message.</summary>
    private static string Address(object? address, object? family) =>
        address is System.Net.IPAddress ip && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && F(family) == "inet"
            ? new System.Net.IPAddress(ip.GetAddressBytes().AsSpan(0, 4)).ToString() : F(address);

    private static string Spi(object? spi) => spi is uint v ? "0x" + v.ToString("x8", CultureInfo.InvariantCulture) : F(spi);

    /// <summary>"src 10.1.0.0/16 dst 10.2.0.0/16 proto tcp dport 443" (a selector).</summary>
    public static string Selector(NetlinkFields? sel)
    {
        if (sel is null) return "";
        return Join(
            $"src {F(sel["saddr"])}/{F(sel["prefixlen_s"])}", $"dst {F(sel["daddr"])}/{F(sel["prefixlen_d"])}",
            sel["proto"] is { } p && F(p) != "any" ? $"proto {F(p)}" : null,
            sel["sport"] is ushort sp && sp != 0 ? $"sport {sp}" : null,
            sel["dport"] is ushort dp && dp != 0 ? $"dport {dp}" : null,
            sel["ifindex"] is int dev && dev != 0 ? $"dev {dev}" : null);
    }

    /// <summary>"auth hmac(sha256) enc cbc(aes)": the algorithms by name, never their keys.</summary>
    private static string Algorithms(NetlinkFields a) => Join(
        (a["alg_aead"] as NetlinkFields) is { } aead ? $"aead {F(aead["alg_name"])} {F(aead["alg_icv_len"])}" : null,
        (a["alg_auth_trunc"] as NetlinkFields) is { } trunc ? $"auth-trunc {F(trunc["alg_name"])} {F(trunc["alg_trunc_len"])}" : null,
        (a["alg_auth"] as NetlinkFields) is { } auth && a["alg_auth_trunc"] is null ? $"auth {F(auth["alg_name"])}" : null,
        (a["alg_crypt"] as NetlinkFields) is { } enc ? $"enc {F(enc["alg_name"])}" : null,
        (a["alg_comp"] as NetlinkFields) is { } comp ? $"comp {F(comp["alg_name"])}" : null,
        (a["encap"] as NetlinkFields) is { } encap ? $"encap type {F(encap["encap_type"])} sport {F(encap["encap_sport"])} dport {F(encap["encap_dport"])}" : null,
        (a["mark"] as NetlinkFields) is { } mark ? $"mark 0x{mark["v"]:x}/0x{mark["m"]:x}" : null,
        a["if_id"] is uint ifId ? $"if_id 0x{ifId:x}" : null);

    /// <summary>"src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x00001000 reqid 1 mode tunnel auth hmac(sha256) enc cbc(aes)".</summary>
    private static string StateText(NetlinkFields info, NetlinkFields attrs) => Join(
        $"src {F(info["saddr"])} dst {F(info["daddr"])}", $"proto {F(info["proto"])} spi {Spi(info["spi"])}",
        $"reqid {F(info["reqid"])} mode {F(info["mode"])}", Algorithms(attrs),
        info["sel"] is NetlinkFields sel && sel["prefixlen_s"] is byte ps && ps != 0 ? "sel " + Selector(sel) : null);

    public static string? State(NetlinkMessage m) => Lead(m, StateText(m.Header, m.Attributes));

    /// <summary>xfrm_usersa_id messages (get, delete): the id, and the full state when the kernel adds it.</summary>
    public static string? StateId(NetlinkMessage m)
    {
        var h = m.Header;
        if (m.Attributes["sa"] is NetlinkFields sa) return Lead(m, StateText(sa, m.Attributes));
        return Lead(m, Join(m.Attributes["srcaddr"] is { } src ? $"src {Address(src, h["family"])}" : null, $"dst {F(h["daddr"])}",
            $"proto {F(h["proto"])} spi {Spi(h["spi"])}"));
    }

    public static string? AllocSpi(NetlinkMessage m) =>
        Join(m.Direction == NetlinkDirection.ToKernel ? "allocspi" : null, h(m)["info"] is NetlinkFields info ? StateText(info, m.Attributes) : null,
            $"min 0x{h(m)["min"]:x} max 0x{h(m)["max"]:x}");

    private static NetlinkFields h(NetlinkMessage m) => m.Header;

    /// <summary>Templates as `ip xfrm policy` prints them: "tmpl src 10.0.0.1 dst 10.0.0.2 proto esp reqid 1 mode tunnel".</summary>
    private static string? Templates(NetlinkFields a) =>
        a["tmpl"] is NetlinkFields[] tmpls
            ? string.Join(" ", tmpls.Select(t => Join($"tmpl src {F(t["saddr"])} dst {F(t["daddr"])}",
                $"proto {F(t["proto"])}", t["spi"] is uint spi && spi != 0 ? $"spi {Spi(spi)}" : null,
                $"reqid {F(t["reqid"])} mode {F(t["mode"])}", t["optional"] is byte o && o != 0 ? "level use" : null)))
            : null;

    private static string PolicyText(NetlinkFields info, NetlinkFields a) => Join(
        Selector(info["sel"] as NetlinkFields),
        $"dir {F(info["dir"])}", info["priority"] is { } prio ? $"priority {F(prio)}" : null,
        (a["policy_type"] as NetlinkFields)?["type"] is { } ptype ? $"ptype {F(ptype)}" : null,
        info["action"] is string action && action != "allow" ? $"action {action}" : null,
        (a["mark"] as NetlinkFields) is { } mark ? $"mark 0x{mark["v"]:x}/0x{mark["m"]:x}" : null,
        Templates(a));

    public static string? Policy(NetlinkMessage m) => Lead(m, PolicyText(m.Header, m.Attributes));

    public static string? PolicyId(NetlinkMessage m)
    {
        if (m.Attributes["policy"] is NetlinkFields policy) return Lead(m, PolicyText(policy, m.Attributes));
        var h = m.Header;
        return Lead(m, Join(Selector(h["sel"] as NetlinkFields), $"dir {F(h["dir"])}",
            h["index"] is uint index && index != 0 ? $"index {index}" : null,
            (m.Attributes["policy_type"] as NetlinkFields)?["type"] is { } ptype ? $"ptype {F(ptype)}" : null,
            (m.Attributes["mark"] as NetlinkFields) is { } mark ? $"mark 0x{mark["v"]:x}/0x{mark["m"]:x}" : null));
    }

    public static string? Dump(NetlinkMessage m) => Join("dump", m.TypeName == "XFRM_MSG_GETSA" ? "states" : "policies",
        m.Attributes["proto"] is { } p ? $"proto {F(p)}" : null);

    public static string? Acquire(NetlinkMessage m)
    {
        var h = m.Header;
        return Join("acquire", $"proto {F(h["proto"])}", "sel " + Selector(h["sel"] as NetlinkFields),
            $"src {F(h["saddr"])} dst {F(h["daddr"])}", Templates(m.Attributes));
    }

    public static string? Expire(NetlinkMessage m) =>
        Join("Expired", m.Header["state"] is NetlinkFields state ? StateText(state, m.Attributes) : null, $"hard {F(m.Header["hard"])}");

    public static string? PolicyExpire(NetlinkMessage m) =>
        Join("Expired", m.Header["pol"] is NetlinkFields pol ? PolicyText(pol, m.Attributes) : null, $"hard {F(m.Header["hard"])}");

    /// <summary>"Flushed state proto 0" / "Flushed policy ptype main", as `ip xfrm monitor` prints them.</summary>
    public static string? FlushSa(NetlinkMessage m) =>
        Lead(m, $"state proto {(m.Header["proto"] is string p && p == "any" ? "0" : F(m.Header["proto"]))}");

    public static string? FlushPolicy(NetlinkMessage m) =>
        Lead(m, Join("policy", (m.Attributes["policy_type"] as NetlinkFields)?["type"] is { } t ? $"ptype {F(t)}" : "ptype main"));

    public static string? Aevent(NetlinkMessage m)
    {
        var h = m.Header;
        var a = m.Attributes;
        return Lead(m, Join("async event", h["flags"] is string[] f && f.Length > 0 ? $"({string.Join(",", f)})" : null,
            $"src {F(h["saddr"])} dst {F(h["daddr"])}", $"reqid 0x{h["reqid"]:x} protocol {F(h["proto"])} SPI {Spi(h["spi"])}",
            (a["replay_val"] as NetlinkFields) is { } r ? $"replay: oseq 0x{r["oseq"]:x} seq 0x{r["seq"]:x} bitmap 0x{r["bitmap"]:x8}" : null,
            (a["ltime_val"] as NetlinkFields) is { } l ? $"lifetime current: {F(l["bytes"])} bytes, {F(l["packets"])} packets" : null));
    }

    public static string? Report(NetlinkMessage m) =>
        Join("report", $"proto {F(m.Header["proto"])}", "sel " + Selector(m.Header["sel"] as NetlinkFields),
            m.Attributes["coaddr"] is { } co ? $"coaddr {F(co)}" : null);

    public static string? Mapping(NetlinkMessage m)
    {
        var h = m.Header;
        return Join("Mapping change", $"{F(h["old_saddr"])}:{F(h["old_sport"])} -> {F(h["new_saddr"])}:{F(h["new_sport"])}",
            $"dst {F(h["daddr"])} proto {F(h["proto"])} spi {Spi(h["spi"])} reqid {F(h["reqid"])}");
    }

    /// <summary>"SAD count 1" as `ip xfrm state count` prints it.</summary>
    public static string? SadInfo(NetlinkMessage m)
    {
        if (m.Direction == NetlinkDirection.ToKernel) return "get SAD count";
        var hinfo = m.Attributes["hinfo"] as NetlinkFields;
        return Join($"SAD count {F(m.Attributes["cnt"])}", hinfo is null ? null : $"hash buckets {F(hinfo["sadhcnt"])} max {F(hinfo["sadhmcnt"])}");
    }

    /// <summary>"SPD IN 1 OUT 1 FWD 0" as `ip xfrm policy count` prints it (and the hash thresholds when set).</summary>
    public static string? SpdInfo(NetlinkMessage m)
    {
        var a = m.Attributes;
        var info = a["info"] as NetlinkFields;
        var v4 = a["ipv4_hthresh"] as NetlinkFields;
        var v6 = a["ipv6_hthresh"] as NetlinkFields;
        return Join(m.Direction == NetlinkDirection.ToKernel && Verbs.TryGetValue(m.TypeName, out var verb) ? verb : null, info is null ? (m.Direction == NetlinkDirection.ToKernel && v4 is null && v6 is null ? "SPD count" : null)
                : $"SPD IN {F(info["incnt"])} OUT {F(info["outcnt"])} FWD {F(info["fwdcnt"])}",
            v4 is null ? null : $"hthresh4 {F(v4["lbits"])} {F(v4["rbits"])}",
            v6 is null ? null : $"hthresh6 {F(v6["lbits"])} {F(v6["rbits"])}");
    }

    /// <summary>"Default policies: in: block fwd: accept out: accept".</summary>
    public static string? Default(NetlinkMessage m)
    {
        var h = m.Header;
        if (m.TypeName == "XFRM_MSG_GETDEFAULT" && m.Direction == NetlinkDirection.ToKernel) return "get default policies";
        return Join(m.TypeName == "XFRM_MSG_SETDEFAULT" ? "set default policies:" : "Default policies:",
            $"in: {F(h["in"])}", $"fwd: {F(h["fwd"])}", $"out: {F(h["out"])}");
    }
}
