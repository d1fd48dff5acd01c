using System.Globalization;
using System.Net;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using static NlmonPS.Decoding.Summaries;
using static NlmonPS.Protocols.Route.TcFormat;

namespace NlmonPS.Protocols.Route;

/// <summary>
/// One line per traffic-control message, in the words `tc` prints (iproute2 tc/tc_qdisc.c, tc_class.c,
/// tc_filter.c, m_action.c and the per-kind q_*.c, f_*.c, m_*.c printers), flattened onto one line. Requests
/// lead with their verb ("add", "del", "dump"); kernel notifications with tc monitor's ("added", "deleted").
/// Devices are ifindexes: the decoder does not know names.
/// </summary>
internal static class TcSummaries
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    // ---- RTM_*QDISC, RTM_*TCLASS, RTM_*TFILTER, RTM_*CHAIN --------------------------------------------------

    public static string? Tc(NetlinkMessage m)
    {
        var h = m.Header;
        var a = m.Attributes;
        var what = m.TypeName.EndsWith("QDISC", StringComparison.Ordinal) ? "qdisc"
            : m.TypeName.EndsWith("TCLASS", StringComparison.Ordinal) ? "class"
            : m.TypeName.EndsWith("CHAIN", StringComparison.Ordinal) ? "chain" : "filter";
        int ifindex = h["ifindex"] is int i ? i : 0;
        uint handle = h["handle"] as uint? ?? 0, parent = h["parent"] as uint? ?? 0, info = h["info"] as uint? ?? 0;
        bool fromKernel = FromKernel(m);
        var verb = fromKernel ? null : RequestVerb(m);

        if (verb == "dump")
            return Join("dump", what, Where(m, ifindex, parent, what), a["chain"] is uint dc ? $"chain {dc}" : null);

        var kind = a["kind"] as string;
        var options = a["options"] as NetlinkFields;
        string? body = what switch
        {
            "qdisc" => Join("qdisc", kind, kind is not null || handle != 0 ? QdiscHandle(handle) : null, Where(m, ifindex, parent, what),
                fromKernel && info != 1 ? $"refcnt {info}" : null,
                a["hw_offload"] is byte offloaded && offloaded != 0 ? "offloaded" : null,
                a["ingress_block"] is uint ib ? $"ingress_block {ib}" : null, a["egress_block"] is uint eb ? $"egress_block {eb}" : null,
                Options(QdiscText, kind, options, m, handle)),
            "class" => Join("class", kind, handle != 0 ? ClassId(handle) : null, Where(m, ifindex, parent, what),
                fromKernel && info != 0 ? $"leaf {info >> 16:x}:" : null, Options(QdiscText, kind, options, m, handle)),
            _ => Join(what, Where(m, ifindex, parent, what),
                what == "filter" ? FilterProtocol(m, info) is { } p ? $"protocol {p}" : null : null,
                what == "filter" && info >> 16 != 0 ? $"pref {info >> 16}" : null,
                kind, a["chain"] is uint chain ? $"chain {chain}" : null, Options(FilterText, kind, options, m, handle)),
        };
        return Join(verb ?? KernelLead(m, what), body, fromKernel ? Statistics(a["stats2"] as NetlinkFields, a["stats"] as NetlinkFields) : null, fromKernel ? ExtraStatistics(kind, a["xstats"]) : null);
    }

    /// <summary>
    /// Whether the kernel sent the message. Captures without a direction infer it from NLM_F_REQUEST, but the
    /// kernel copies the request's flags (NLM_F_REQUEST included) into filter, chain and action notifications and
    /// into its answers to gets; what only the kernel fills in (counters, action times, in_hw/not_in_hw) tells them apart.
    /// </summary>
    private static bool FromKernel(NetlinkMessage m)
    {
        if (m.Direction != NetlinkDirection.ToKernel) return true;
        if (!m.DirectionInferred) return false;
        var a = m.Attributes;
        if (a.Contains("stats") || a.Contains("stats2") || a.Contains("xstats")) return true;
        var options = a["options"] as NetlinkFields;
        foreach (var flags in new[] { options?["flags"], options?["flags_gen"] })
            if (flags is string[] f && (f.Contains("in_hw") || f.Contains("not_in_hw"))) return true;
        var actions = (options?["act"] ?? a["tab"]) as NetlinkFields[] ?? Array.Empty<NetlinkFields>();
        return actions.Any(e => e.Contains("stats") || (e["options"] as NetlinkFields)?.Contains("tm") == true);
    }

    /// <summary>tc monitor's prefix for what the kernel announces ("deleted", "added", "replaced").</summary>
    private static string? KernelLead(NetlinkMessage m, string what)
    {
        if (m.TypeName.StartsWith("RTM_DEL", StringComparison.Ordinal)) return "deleted";
        if (!m.TypeName.StartsWith("RTM_NEW", StringComparison.Ordinal) || (m.Flags & Nl.NLM_F_CREATE) == 0 || what == "class") return null;
        if ((m.Flags & Nl.NLM_F_EXCL) != 0) return "added";
        return what != "qdisc" || (m.Flags & Nl.NLM_F_REPLACE) != 0 ? "replaced" : null;
    }

    /// <summary>"dev d0 root" (the stream's name for the index, else "dev 3"), "dev 3 parent 1:10", "dev 3 ingress" (filters), "block 5" (shared blocks).</summary>
    private static string Where(NetlinkMessage m, int ifindex, uint parent, string what)
    {
        if (ifindex == -1) return $"block {parent}"; // TCM_IFINDEX_MAGIC_BLOCK: tcm_parent holds the block index
        var dev = Dev(m, ifindex);
        var at = parent == 0 ? null
            : what is "filter" or "chain" ? TcFormat.Parent(parent)
            : parent == Root ? "root" : "parent " + ClassId(parent);
        return Join(dev, at);
    }

    private static string? Options<T>(Dictionary<string, T> printers, string? kind, NetlinkFields? options, NetlinkMessage m, uint handle) where T : Delegate
    {
        if (kind is null || !printers.TryGetValue(kind, out var print)) return null;
        return print switch
        {
            Func<NetlinkFields, string?> f => options is null ? null : f(options),
            FilterPrinter f => f(m, options ?? NetlinkFields.Empty, handle),
            _ => null,
        };
    }

    /// <summary>"Sent 576 bytes 6 pkt (dropped 0, overlimits 0 requeues 0) backlog 0b 0p" from TCA_STATS2 or TCA_ACT_STATS (else TCA_STATS).</summary>
    private static string? Statistics(NetlinkFields? s2, NetlinkFields? legacy)
    {
        var basic = s2?["basic"] as NetlinkFields;
        var q = s2?["queue"] as NetlinkFields;
        if (basic is not null || q is not null)
        {
            var packets = s2!["pkt64"] is ulong p64 && p64 != 0 ? p64 : U(basic, "packets");
            return Join(basic is null ? null : $"Sent {U(basic, "bytes")} bytes {packets} pkt",
                q is null ? null : $"(dropped {U(q, "drops")}, overlimits {U(q, "overlimits")} requeues {U(q, "requeues")})",
                q is null ? null : $"backlog {Size(U(q, "backlog") ?? 0)} {U(q, "qlen")}p");
        }
        if (legacy is { } st && st.Contains("bytes"))
            return $"Sent {U(st, "bytes")} bytes {U(st, "packets")} pkt (dropped {U(st, "drops")}, overlimits {U(st, "overlimits")})";
        return null;
    }

    /// <summary>The per-kind counters tc -s adds (htb's lended/borrowed/tokens, fq_codel's flows).</summary>
    private static string? ExtraStatistics(string? kind, object? xstats)
    {
        if (xstats is not NetlinkFields x) return null;
        return kind switch
        {
            "htb" => $"lended: {U(x, "lends")} borrowed: {U(x, "borrows")} giants: {U(x, "giants")} tokens: {x["tokens"]} ctokens: {x["ctokens"]}",
            "fq_codel" when x["type"] as string == "qdisc" && x["qdisc_stats"] is NetlinkFields q =>
                $"maxpacket {U(q, "maxpacket")} drop_overlimit {U(q, "drop_overlimit")} new_flow_count {U(q, "new_flow_count")} ecn_mark {U(q, "ecn_mark")} new_flows_len {U(q, "new_flows_len")} old_flows_len {U(q, "old_flows_len")}",
            "fq_codel" when x["type"] as string == "class" && x["class_stats"] is NetlinkFields c =>
                $"deficit {c["deficit"]} count {U(c, "count")} lastcount {U(c, "lastcount")} ldelay {Time(U(c, "ldelay") ?? 0)}"
                + (U(c, "dropping") is > 0 ? $" dropping drop_next {Time(Math.Abs(Number(c["drop_next"]) ?? 0))}" : ""),
            _ => null,
        };
    }

    // ---- qdisc and class options -------------------------------------------------------------------------------

    private static readonly Dictionary<string, Func<NetlinkFields, string?>> QdiscText = new(StringComparer.Ordinal)
    {
        ["fq_codel"] = o => Join(
            U(o, "limit") is { } l ? $"limit {l}p" : null, U(o, "flows") is { } f ? $"flows {f}" : null,
            U(o, "quantum") is { } q ? $"quantum {q}" : null, U(o, "target") is { } t ? $"target {Time(t)}" : null,
            U(o, "ce_threshold") is { } ce ? $"ce_threshold {Time(ce)}" : null, U(o, "interval") is { } iv ? $"interval {Time(iv)}" : null,
            U(o, "memory_limit") is { } ml ? $"memory_limit {Size(ml)}" : null, U(o, "ecn") is > 0 ? "ecn" : null,
            U(o, "drop_batch_size") is { } db and > 0 ? $"drop_batch {db}" : null),
        ["codel"] = o => Join(
            U(o, "limit") is { } l ? $"limit {l}p" : null, U(o, "target") is { } t ? $"target {Time(t)}" : null,
            U(o, "ce_threshold") is { } ce ? $"ce_threshold {Time(ce)}" : null, U(o, "interval") is { } iv ? $"interval {Time(iv)}" : null,
            U(o, "ecn") is > 0 ? "ecn" : null),
        ["htb"] = Htb,
        ["tbf"] = Tbf,
        ["pfifo"] = o => U(o, "limit") is { } l ? $"limit {l}p" : null,
        ["pfifo_head_drop"] = o => U(o, "limit") is { } l ? $"limit {l}p" : null,
        ["bfifo"] = o => U(o, "limit") is { } l ? $"limit {Size(l)}" : null,
        ["pfifo_fast"] = Prio,
        ["prio"] = Prio,
        ["fq"] = o => Join(
            U(o, "plimit") is { } l ? $"limit {l}p" : null, U(o, "flow_plimit") is { } fl ? $"flow_limit {fl}p" : null,
            U(o, "buckets_log") is { } b and < 32 ? $"buckets {1u << (int)b}" : null, U(o, "orphan_mask") is { } om ? $"orphan_mask {om}" : null,
            U(o, "quantum") is { } q ? $"quantum {Size(q)}" : null, U(o, "initial_quantum") is { } iq ? $"initial_quantum {Size(iq)}" : null,
            U(o, "flow_max_rate") is { } mr and not 0xffffffff ? $"maxrate {Rate(mr)}" : null,
            U(o, "low_rate_threshold") is { } lr ? $"low_rate_threshold {Rate(lr)}" : null,
            U(o, "flow_refill_delay") is { } rd ? $"refill_delay {Time(rd)}" : null,
            U(o, "ce_threshold") is { } ce and not 0xffffffff ? $"ce_threshold {Time(ce)}" : null,
            U(o, "horizon") is { } hz ? $"horizon {Time(hz)}" : null, U(o, "horizon_drop") is 1 ? "horizon_drop" : null),
        ["netem"] = o => Join(
            U(o, "limit") is { } l ? $"limit {l}" : null, U(o, "latency") is { } d and > 0 ? $"delay {Time(TicksToMicroseconds(d))}" : null,
            U(o, "jitter") is { } j and > 0 ? Time(TicksToMicroseconds(j)) : null,  // tc: "delay 10ms  1ms"
            U(o, "loss") is { } loss and > 0 ? $"loss {Percent(loss)}" : null, LossModel(o["loss_model"] as NetlinkFields),
            U(o, "duplicate") is { } dup and > 0 ? $"duplicate {Percent(dup)}" : null,
            U(o, "gap") is { } gap and > 0 ? $"gap {gap}" : null,
            // The attributes after the struct, as tc prints them: reorder, corrupt, rate (rate64 past 4 GB/s), ecn.
            o["reorder"] is NetlinkFields ro && U(ro, "probability") is { } rp and > 0 ? $"reorder {Percent(rp)}" : null,
            o["corrupt"] is NetlinkFields co && U(co, "probability") is { } cp and > 0 ? $"corrupt {Percent(cp)}" : null,
            o["rate64"] is ulong r64 ? $"rate {Rate(r64)}" : o["rate"] is NetlinkFields ra && U(ra, "rate") is { } rr and > 0 ? $"rate {Rate(rr)}" : null,
            U(o, "ecn") is > 0 ? "ecn" : null),
        ["sfq"] = o => o["v0"] is NetlinkFields v0
            ? Join(U(v0, "limit") is { } l ? $"limit {l}p" : null, U(v0, "quantum") is { } q ? $"quantum {Size(q)}" : null,
                U(o, "depth") is { } d ? $"depth {d}" : null, U(v0, "divisor") is { } dv ? $"divisor {dv}" : null,
                v0["perturb_period"] is int p && p != 0 ? $"perturb {p}sec" : null)
            : null,
        ["red"] = RedLike,
        ["choke"] = RedLike,
        ["pie"] = o => Join(U(o, "limit") is { } l ? $"limit {l}p" : null, U(o, "target") is { } t ? $"target {Time(t)}" : null,
            U(o, "tupdate") is { } tu ? $"tupdate {Time(tu)}" : null, U(o, "ecn") is > 0 ? "ecn" : null),
        ["fq_pie"] = o => Join(U(o, "limit") is { } l ? $"limit {l}p" : null, U(o, "flows") is { } f ? $"flows {f}" : null,
            U(o, "target") is { } t ? $"target {Time(t)}" : null, U(o, "ecn") is > 0 ? "ecn" : null),
        ["drr"] = o => U(o, "quantum") is { } q ? $"quantum {Size(q)}" : null,
        ["qfq"] = o => Join(U(o, "weight") is { } w ? $"weight {w}" : null, U(o, "lmax") is { } l ? $"maxpkt {l}" : null),
        ["ets"] = o => Join(U(o, "nbands") is { } n ? $"bands {n}" : null, U(o, "nstrict") is { } s and > 0 ? $"strict {s}" : null),
        ["cake"] = o => U(o, "base_rate64") is { } r ? r == 0 ? "bandwidth unlimited" : $"bandwidth {Rate(r)}" : null,
    };

    /// <summary>htb_print_opt: the qdisc's r2q/default/direct queue, or a class's prio, rates and bursts.</summary>
    private static string? Htb(NetlinkFields o)
    {
        string? cls = null;
        if (o["parms"] is NetlinkFields p && p["rate"] is NetlinkFields rate && p["ceil"] is NetlinkFields ceil)
        {
            ulong r = U(o, "rate64") ?? U(rate, "rate") ?? 0, c = U(o, "ceil64") ?? U(ceil, "rate") ?? 0;
            cls = Join(U(p, "level") == 0 ? $"prio {U(p, "prio")}" : null, $"rate {Rate(r)}",
                U(rate, "overhead") is { } oh and > 0 ? $"overhead {oh}" : null, $"ceil {Rate(c)}",
                $"burst {Size(XmitSize(r, U(p, "buffer") ?? 0))}", $"cburst {Size(XmitSize(c, U(p, "cbuffer") ?? 0))}");
        }
        var init = o["init"] as NetlinkFields;
        return Join(cls,
            init is null ? null : $"r2q {U(init, "rate2quantum")} default 0x{U(init, "defcls"):x} direct_packets_stat {U(init, "direct_pkts")}",
            U(o, "direct_qlen") is { } dq ? $"direct_qlen {dq}" : null, o.Contains("offload") ? "offload" : null);
    }

    /// <summary>tbf_print_opt: rate, burst (a time in ticks, shown as bytes), peak rate, and the latency limit allows.</summary>
    private static string? Tbf(NetlinkFields o)
    {
        if (o["parms"] is not NetlinkFields p || p["rate"] is not NetlinkFields rate) return null;
        ulong r = U(o, "rate64") ?? U(rate, "rate") ?? 0;
        ulong pr = U(o, "prate64") ?? (p["peakrate"] is NetlinkFields peak ? U(peak, "rate") ?? 0 : 0);
        ulong buffer = U(p, "buffer") ?? 0, mtu = U(p, "mtu") ?? 0, limit = U(p, "limit") ?? 0;
        double latency = r == 0 ? -1 : 1_000_000.0 * limit / r - TicksToMicroseconds(buffer);
        if (pr != 0) latency = Math.Max(latency, 1_000_000.0 * limit / pr - TicksToMicroseconds(mtu));
        return Join($"rate {Rate(r)}", $"burst {Size(XmitSize(r, buffer))}",
            pr != 0 ? $"peakrate {Rate(pr)}" : null, pr != 0 && mtu != 0 ? $"minburst {Size(XmitSize(pr, mtu))}" : null,
            latency >= 0 ? $"lat {Time(latency)}" : $"limit {Size(limit)}");
    }

    private static string? Prio(NetlinkFields o) =>
        o["priomap"] is byte[] map ? $"bands {o["bands"]} priomap {string.Join(" ", map)}" : null;

    private static string? RedLike(NetlinkFields o) =>
        o["parms"] is NetlinkFields p
            ? Join($"limit {Size(U(p, "limit") ?? 0)}", $"min {Size(U(p, "qth_min") ?? 0)}", $"max {Size(U(p, "qth_max") ?? 0)}",
                p["flags"] is string[] { Length: > 0 } f ? string.Join(" ", f) : null)
            : null;

    // ---- filter options ----------------------------------------------------------------------------------------

    private delegate string? FilterPrinter(NetlinkMessage m, NetlinkFields o, uint handle);

    private static readonly Dictionary<string, FilterPrinter> FilterText = new(StringComparer.Ordinal)
    {
        ["u32"] = U32,
        ["bpf"] = (m, o, handle) => Join(
            handle != 0 ? $"handle 0x{handle:x}" : null, ClassIdText(o, "flowid"), o["name"],
            o["flags"] is string[] f && f.Contains("act_direct") ? "direct-action" : null, HardwareFlags(o["flags_gen"]),
            o["ops"] is byte[] ops ? $"bytecode '{Bytecode(ops, m.ByteOrder)}'" : null, o["id"] is uint id ? $"id {id}" : null,
            o["tag"] is byte[] tag ? $"tag {Hex(tag)}" : null, Police(o["police"]), Actions(m, o["act"])),
        ["flower"] = Flower,
        ["matchall"] = (m, o, handle) => Join(
            handle != 0 ? $"handle 0x{handle:x}" : null, ClassIdText(o, "flowid"), HardwareFlags(o["flags"]),
            o["pcnt"] is NetlinkFields pc ? $"(rule hit {pc["rhit"]})" : null, Actions(m, o["act"])),
        ["basic"] = (m, o, handle) => Join(
            handle != 0 ? $"handle 0x{handle:x}" : null, ClassIdText(o, "flowid"), Police(o["police"]), Actions(m, o["act"])),
        ["fw"] = (m, o, handle) => Join(
            handle != 0 ? $"handle 0x{handle:x}" + (U(o, "mask") is { } mask and not 0xffffffff ? $"/0x{mask:x}" : "") : null,
            ClassIdText(o, "classid"), o["indev"] is string dev ? $"input dev {dev}" : null, Police(o["police"]), Actions(m, o["act"])),
        ["route"] = (m, o, handle) => Join(
            ClassIdText(o, "flowid"), U(o, "to") is { } to ? $"to {to}" : null, U(o, "from") is { } from ? $"from {from}" : null,
            U(o, "iif") is { } iif ? $"fromif {iif}" : null, Police(o["police"]), Actions(m, o["act"])),
    };

    private static string? ClassIdText(NetlinkFields o, string word) => o["classid"] is uint c ? $"{word} {ClassId(c)}" : null;

    /// <summary>skip_hw, skip_sw, then in_hw or not_in_hw, as tc prints classifier flags.</summary>
    private static string? HardwareFlags(object? flags)
    {
        if (flags is not string[] f) return null;
        return Join(f.Contains("skip_hw") ? "skip_hw" : null, f.Contains("skip_sw") ? "skip_sw" : null,
            f.Contains("in_hw") ? "in_hw" : f.Contains("not_in_hw") ? "not_in_hw" : null);
    }

    /// <summary>u32_print_opt: handle, hash table or bucket, flowid, link, flags, mark, keys, input device, actions.</summary>
    private static string? U32(NetlinkMessage m, NetlinkFields o, uint handle)
    {
        var sel = o["sel"] as NetlinkFields;
        bool terminal = sel?["flags"] is string[] sf && sf.Contains("terminal");
        var parts = new List<object?>
        {
            handle != 0 ? $"fh {U32Handle(handle)}" : null,
            (handle & 0xfff) != 0 ? $"order {handle & 0xfff}" : null,
            U(o, "divisor") is { } d ? $"ht divisor {d}"
                : U(o, "hash") is { } ht ? $"key ht {ht >> 20:x} bkt {(ht >> 12) & 0xff:x}" : null,
            // iproute2 since 6.0 stars terminal nodes' flowid (older versions starred the others).
            o["classid"] is uint cid ? $"{(terminal ? "*" : "")}flowid {ClassId(cid)}" : terminal ? "terminal flowid" : null,
            o["link"] is uint link ? $"link {U32Handle(link)}" : null,
            HardwareFlags(o["flags"]),
            o["pcnt"] is NetlinkFields pc ? $"(rule hit {pc["rcnt"]} success {pc["rhit"]})" : null,
            o["mark"] is NetlinkFields mk ? $"mark 0x{U(mk, "val"):x4}/0x{U(mk, "mask"):x4} (success {mk["success"]})" : null,
        };
        if (sel is not null)
        {
            for (int i = 0; i < (int)(U(sel, "nkeys") ?? 0); i++)
                if (sel[$"key{i}"] is NetlinkFields key)
                    parts.Add($"match {U(key, "val"):x8}/{U(key, "mask"):x8} at {(key["offmask"] is int om && om != 0 ? "nexthdr+" : "")}{key["off"]}"
                        + (o["pcnt"] is NetlinkFields hits && hits[$"kcnt{i}"] is ulong n ? $" (success {n})" : ""));
            if (U(sel, "hmask") is { } hm and > 0) parts.Add($"hash mask {hm:x8} at {sel["hoff"]}");
        }
        parts.Add(Police(o["police"]));
        parts.Add(o["indev"] is string dev ? $"input dev {dev}" : null);
        parts.Add(Actions(m, o["act"]));
        return Join(parts.ToArray());
    }

    /// <summary>flower_print_opt, the common keys: VLANs, MACs, EtherType, IP protocol, addresses, ports, flags.</summary>
    private static string? Flower(NetlinkMessage m, NetlinkFields o, uint handle) => Join(
        handle != 0 ? $"handle 0x{handle:x}" : null, ClassIdText(o, "classid"), o["indev"] is string dev ? $"indev {dev}" : null,
        o["key_vlan_id"] is ushort vid ? $"vlan_id {vid}" : null, o["key_vlan_prio"] is byte vp ? $"vlan_prio {vp}" : null,
        o["key_vlan_eth_type"] is { } vet ? $"vlan_ethtype {FlowerEtherType(vet)}" : null,
        o["key_cvlan_id"] is ushort cvid ? $"cvlan_id {cvid}" : null,
        o["key_eth_dst"] is string dmac ? $"dst_mac {MacWithMask(dmac, o["key_eth_dst_mask"])}" : null,
        o["key_eth_src"] is string smac ? $"src_mac {MacWithMask(smac, o["key_eth_src_mask"])}" : null,
        o["key_eth_type"] is { } et ? $"eth_type {FlowerEtherType(et)}" : null,
        o["key_ip_proto"] is { } proto ? $"ip_proto {proto}" : null,
        o["key_ip_tos"] is byte tos ? $"ip_tos 0x{tos:x}" : null, o["key_ip_ttl"] is byte ttl ? $"ip_ttl {ttl}" : null,
        o["key_ipv4_dst"] is IPAddress d4 ? $"dst_ip {AddressWithMask(d4, o["key_ipv4_dst_mask"])}" : null,
        o["key_ipv4_src"] is IPAddress s4 ? $"src_ip {AddressWithMask(s4, o["key_ipv4_src_mask"])}" : null,
        o["key_ipv6_dst"] is IPAddress d6 ? $"dst_ip {AddressWithMask(d6, o["key_ipv6_dst_mask"])}" : null,
        o["key_ipv6_src"] is IPAddress s6 ? $"src_ip {AddressWithMask(s6, o["key_ipv6_src_mask"])}" : null,
        (o["key_tcp_dst"] ?? o["key_udp_dst"] ?? o["key_sctp_dst"]) is ushort dp ? $"dst_port {dp}" : null,
        (o["key_tcp_src"] ?? o["key_udp_src"] ?? o["key_sctp_src"]) is ushort sp ? $"src_port {sp}" : null,
        o["key_enc_key_id"] is uint kid ? $"enc_key_id {kid}" : null,
        o["key_enc_ipv4_dst"] is IPAddress ed ? $"enc_dst_ip {ed}" : null, o["key_enc_ipv4_src"] is IPAddress es ? $"enc_src_ip {es}" : null,
        HardwareFlags(o["flags"]), Actions(m, o["act"]));

    private static string EtherTypeText(object value) => value as string ?? (Number(value) is { } n ? EtherTypeName((ulong)n) : "");

    /// <summary>flower_print_eth_type names the IP versions itself.</summary>
    private static string FlowerEtherType(object value) => EtherTypeText(value) switch { "ip" => "ipv4", var other => other };

    private static string MacWithMask(string mac, object? mask) =>
        mask is string m && m != "ff:ff:ff:ff:ff:ff" ? $"{mac}/{m}" : mac;

    /// <summary>An address with its mask as a prefix length ("192.0.2.0/24"), the bare address for a full mask.</summary>
    private static string AddressWithMask(IPAddress address, object? mask)
    {
        if (mask is not IPAddress m) return address.ToString();
        var bytes = m.GetAddressBytes();
        int bits = 0;
        foreach (var b in bytes) bits += System.Numerics.BitOperations.PopCount(b);
        return bits == bytes.Length * 8 ? address.ToString() : $"{address}/{bits}";
    }

    /// <summary>bpf_print_ops: classic BPF as "count,code jt jf k,...".</summary>
    private static string Bytecode(byte[] ops, ByteOrder order)
    {
        var insns = new List<string>();
        for (int i = 0; i + 8 <= ops.Length; i += 8)
            insns.Add($"{Endian.U16(ops.AsSpan(i), order)} {ops[i + 2]} {ops[i + 3]} {Endian.U32(ops.AsSpan(i + 4), order)}");
        return $"{insns.Count}," + string.Join(",", insns);
    }

    // ---- actions -----------------------------------------------------------------------------------------------

    /// <summary>RTM_NEWACTION/DELACTION/GETACTION: the actions of TCA_ROOT_TAB.</summary>
    public static string? Action(NetlinkMessage m)
    {
        var entries = m.Attributes["tab"] as NetlinkFields[] ?? Array.Empty<NetlinkFields>();
        var verb = FromKernel(m) ? null : RequestVerb(m);
        if (verb is not null)
        {
            // tc actions flush: a delete naming only the kind.
            if (verb == "del" && entries.Length > 0 && entries.All(e => e["index"] is null && Parameters(e) is null)) verb = "flush";
            bool full = verb is "add" or "replace" or "change";
            var items = entries.Select(e => full ? ActionText(m, e) : Join(e["kind"], e["index"] is uint ix ? $"index {ix}" : null));
            return Join(verb, "action", string.Join("; ", items));
        }
        var listed = string.Join("; ", entries.Select((e, i) => $"action order {Order(m, e, i)}: {ActionText(m, e)}"));
        // print_action's words for notifications: a delete of a whole table is a flush.
        var lead = m.TypeName.StartsWith("RTM_DEL", StringComparison.Ordinal) ? (m.Flags & Nl.NLM_F_ROOT) != 0 ? "flushed" : "deleted"
            : !m.TypeName.StartsWith("RTM_NEW", StringComparison.Ordinal) ? null
            : (m.Flags & Nl.NLM_F_REPLACE) != 0 ? "replaced" : (m.Flags & Nl.NLM_F_CREATE) != 0 ? "added" : null;
        return Join(lead,
            m.Attributes["count"] is uint n ? $"total acts {n}" + (entries.Length > 0 ? ":" : "") : entries.Length == 0 ? "action" : null,
            listed);
    }

    /// <summary>tc_print_action: "action order 1: mirred (Egress Mirror to device 5) pipe index 1 ref 1 bind 1 ..."</summary>
    private static string? Actions(NetlinkMessage m, object? list)
    {
        if (list is not NetlinkFields[] { Length: > 0 } entries) return null;
        return string.Join(" ", entries.Select((e, i) => $"action order {Order(m, e, i)}: {ActionText(m, e)}"));
    }

    /// <summary>
    /// An action list entry's order is its attribute type (1, 2... in filters, from 0 in action dumps). The decoded
    /// array keeps positions only, so read the type from the entry's header, 4 bytes before its first attribute.
    /// </summary>
    private static int Order(NetlinkMessage m, NetlinkFields entry, int index)
    {
        if (entry.Count == 0) return index + 1;
        int typeOffset = entry[0].Offset - 2;
        if (typeOffset < Nl.HeaderLength || typeOffset + 2 > m.Bytes.Length) return index + 1;
        return Endian.U16(m.Bytes.AsSpan(typeOffset), m.ByteOrder) & Nl.NLA_TYPE_MASK;
    }

    private static NetlinkFields? Parameters(NetlinkFields action) =>
        action["options"] is NetlinkFields o ? (o["parms"] ?? o["tbf"] ?? o["act"]) as NetlinkFields : null;

    /// <summary>One action: its kind's own words, then index/ref/bind, cookie and counters.</summary>
    private static string ActionText(NetlinkMessage m, NetlinkFields action)
    {
        var kind = action["kind"] as string;
        var options = action["options"] as NetlinkFields;
        var parms = Parameters(action);
        bool fromKernel = FromKernel(m);
        string? text = kind == "mirred" && options is not null ? Mirred(m, options)
            : kind is not null && options is not null && ActionKinds.TryGetValue(kind, out var print) ? print(options) : null;
        text ??= Join(kind, parms is null ? null : Verdict(parms["action"]));
        // police prints its index up front, in hex.
        var index = kind == "police" ? null : parms?["index"] ?? action["index"];
        return Join(text,
            fromKernel ? Join(index is null ? null : $"index {index}", parms is null ? null : $"ref {parms["refcnt"]} bind {parms["bindcnt"]}")
                : Number(index) is > 0 ? $"index {index}" : null,
            action["cookie"] is byte[] cookie ? $"cookie {Hex(cookie)}" : null,
            fromKernel ? Statistics(action["stats"] as NetlinkFields, null) : null);
    }

    /// <summary>"mirred (Egress Mirror to device d1) pipe": the target device by the name the stream taught, as tc prints it.</summary>
    private static string? Mirred(NetlinkMessage m, NetlinkFields o) => o["parms"] is NetlinkFields p
        ? p["eaction"] is string ea && MirredWords.TryGetValue(ea, out var words)
            ? $"mirred ({words} to {(U(o, "blockid") is { } block ? $"block {block}" : $"device {LinkName(m, p["ifindex"] is uint i ? i : 0)}")}) {Verdict(p["action"])}"
            : "mirred"
        : null;

    private static readonly Dictionary<string, string> MirredWords = new(StringComparer.Ordinal)
    {
        ["egress_redir"] = "Egress Redirect", ["egress_mirror"] = "Egress Mirror",
        ["ingress_redir"] = "Ingress Redirect", ["ingress_mirror"] = "Ingress Mirror",
    };

    /// <summary>Each action kind's print_aopt, up to (not including) "index N ref R bind B".</summary>
    private static readonly Dictionary<string, Func<NetlinkFields, string?>> ActionKinds = new(StringComparer.Ordinal)
    {
        // print_gact shows the random part even without TCA_GACT_PROB ("random type none pass val 0").
        ["gact"] = o => o["parms"] is NetlinkFields p
            ? o["prob"] is NetlinkFields pr
                ? $"gact action {Verdict(p["action"])} random type {pr["ptype"]} {Verdict(pr["paction"])} val {pr["pval"]}"
                : $"gact action {Verdict(p["action"])} random type none pass val 0"
            : null,
        ["police"] = o => Police(o),
        ["skbedit"] = o => Join("skbedit",
            U(o, "queue_mapping") is { } qm ? $"queue_mapping {qm}" : null, U(o, "priority") is { } pr ? $"priority {ClassId((uint)pr)}" : null,
            U(o, "mark") is { } mark ? $"mark {mark}" + (U(o, "mask") is { } mask ? $"/0x{mask:x}" : "") : null,
            o["ptype"] is { } pt ? $"ptype {pt}" : null,
            o["parms"] is NetlinkFields p ? Verdict(p["action"]) : null),
        ["vlan"] = o => o["parms"] is NetlinkFields p
            ? Join("vlan", p["v_action"],
                U(o, "push_vlan_id") is { } id ? $"id {id}" : null,
                o["push_vlan_protocol"] is { } proto ? $"protocol {EtherTypeText(proto)}" : null,
                U(o, "push_vlan_priority") is { } prio ? $"priority {prio}" : null, Verdict(p["action"]))
            : null,
        ["csum"] = o => o["parms"] is NetlinkFields p
            ? $"csum ({string.Join(", ", p["update_flags"] as string[] ?? Array.Empty<string>())}) action {Verdict(p["action"])}"
            : null,
        ["pedit"] = o => (o["parms_ex"] ?? o["parms"]) is NetlinkFields p ? Pedit(p) : null,
        ["nat"] = o => o["parms"] is NetlinkFields p
            ? Join("nat", p["flags"] is string[] f && f.Contains("egress") ? "egress" : "ingress",
                p["mask"] is IPAddress mask ? $"{AddressWithMask((IPAddress)p["old_addr"]!, mask)}" : p["old_addr"], p["new_addr"], Verdict(p["action"]))
            : null,
        ["simple"] = o => o["data"] is string data ? $"Simple <{data}>" : "simple",
        ["bpf"] = o => Join("bpf", o["name"], o["id"] is uint id ? $"id {id}" : null, o["tag"] is byte[] tag ? $"tag {Hex(tag)}" : null,
            o["parms"] is NetlinkFields p ? $"default-action {Verdict(p["action"])}" : null),
        ["sample"] = o => Join("sample", U(o, "rate") is { } r ? $"rate 1/{r}" : null, U(o, "psample_group") is { } g ? $"group {g}" : null,
            U(o, "trunc_size") is { } t ? $"trunc_size {t}" : null, o["parms"] is NetlinkFields p ? Verdict(p["action"]) : null),
        ["connmark"] = o => o["parms"] is NetlinkFields p ? $"connmark zone {p["zone"]} {Verdict(p["action"])}" : null,
        ["tunnel_key"] = o => o["parms"] is NetlinkFields p
            ? Join("tunnel_key", p["t_action"] as string == "release" ? "unset" : p["t_action"],
                (o["enc_ipv4_src"] ?? o["enc_ipv6_src"]) is { } src ? $"src_ip {src}" : null,
                (o["enc_ipv4_dst"] ?? o["enc_ipv6_dst"]) is { } dst ? $"dst_ip {dst}" : null,
                o["enc_key_id"] is { } kid ? $"key_id {kid}" : null, o["enc_dst_port"] is { } port ? $"dst_port {port}" : null,
                Verdict(p["action"]))
            : null,
    };

    /// <summary>print_police: "police 0x2 rate 1Mbit burst 10Kb mtu 2Kb action drop/pipe".</summary>
    private static string? Police(object? value)
    {
        if (value is not NetlinkFields o || o["tbf"] is not NetlinkFields p) return null;
        ulong rate = U(o, "rate64") ?? (p["rate"] is NetlinkFields r ? U(r, "rate") ?? 0 : 0);
        ulong peak = U(o, "peakrate64") ?? (p["peakrate"] is NetlinkFields pr ? U(pr, "rate") ?? 0 : 0);
        return Join($"police 0x{U(p, "index"):x}", rate != 0 ? $"rate {Rate(rate)}" : null,
            $"burst {Size(XmitSize(rate, U(p, "burst") ?? 0))}", $"mtu {Size(U(p, "mtu") ?? 0)}",
            peak != 0 ? $"peakrate {Rate(peak)}" : null, U(o, "avrate") is { } av ? $"avrate {Rate(av)}" : null,
            $"action {Verdict(p["action"])}" + (o.Contains("result") ? "/" + Verdict(o["result"]) : ""),
            p["rate"] is NetlinkFields rs ? $"overhead {Size(U(rs, "overhead") ?? 0)}" : null);
    }

    private static string Pedit(NetlinkFields p)
    {
        var parts = new List<object?> { $"pedit action {Verdict(p["action"])} keys {p["nkeys"]}" };
        for (int i = 0; i < (int)(U(p, "nkeys") ?? 0); i++)
            if (p[$"key{i}"] is NetlinkFields k)
                parts.Add($"key #{i} at {k["off"]}: val {U(k, "val"):x8} mask {U(k, "mask"):x8}");
        return Join(parts.ToArray());
    }

    /// <summary>netem's loss model, as tc prints it: "loss state P13 P31 P32 P23 P14" or "loss gemodel P R 1-H 1-K".</summary>
    private static string? LossModel(NetlinkFields? model)
    {
        string P(NetlinkFields f, string name, bool complement = false) =>
            U(f, name) is { } v ? Percent(complement ? uint.MaxValue - v : v) : "?";
        if (model?["gi"] is NetlinkFields gi)
            return $"loss state {P(gi, "p13")} {P(gi, "p31")} {P(gi, "p32")} {P(gi, "p23")} {P(gi, "p14")}";
        if (model?["ge"] is NetlinkFields ge)
            return $"loss gemodel {P(ge, "p")} {P(ge, "r")} {P(ge, "h", complement: true)} {P(ge, "k1", complement: true)}";
        return null;
    }

    /// <summary>netem's probabilities: a u32 scaled to its whole range, as tc prints it ("0.5%").</summary>
    private static string Percent(ulong scaled) => (100.0 * scaled / uint.MaxValue).ToString("0.###", C) + "%";

    /// <summary>An unsigned field of a decoded set, whatever its width; null when absent or not a number.</summary>
    private static ulong? U(NetlinkFields? fields, string name) => Number(fields?[name]) is { } n ? (ulong)n : null;
}
