using System.Net;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.KernelClients;

/// <summary>The two hooks of a clsact qdisc (the ingress qdisc has only the first).</summary>
public enum TcHook
{
    Ingress,
    Egress,
}

/// <summary>A qdisc as RTM_NEWQDISC describes it.</summary>
internal sealed record TcQdisc(int IfIndex, uint Handle, uint Parent, string Kind)
{
    /// <summary>An ingress or clsact qdisc: the one that carries the ingress (and, for clsact, egress) hooks.</summary>
    public bool IsIngressOrClsact => Parent == Tc.TC_H_CLSACT && Kind is "clsact" or "ingress";
}

/// <summary>One action of a filter's action list, with its statistics; mirred parameters when it is mirred.</summary>
internal sealed class TcAction
{
    /// <summary>Position in the action list (1-based, TCA_ACT_MAX_PRIO at most).</summary>
    public int Order { get; init; }
    public string Kind { get; init; } = "";
    public uint Index { get; init; }
    /// <summary>The control action (TC_ACT_PIPE, TC_ACT_UNSPEC "continue"...), for mirred.</summary>
    public int ControlAction { get; init; }
    /// <summary>TCA_EGRESS_MIRROR, TCA_EGRESS_REDIR, TCA_INGRESS_MIRROR, TCA_INGRESS_REDIR (mirred only).</summary>
    public int MirredAction { get; init; }
    /// <summary>Target device of mirred (0 when the device is gone or the target is a block).</summary>
    public int MirredIfIndex { get; init; }
    /// <summary>Target shared block of mirred (kernels from 6.12).</summary>
    public uint? MirredBlockId { get; init; }
    public ulong Bytes { get; init; }
    public ulong Packets { get; init; }
    public byte[]? Cookie { get; init; }

    public bool IsMirror => Kind == "mirred" && MirredAction is Tc.TCA_EGRESS_MIRROR or Tc.TCA_INGRESS_MIRROR;
}

/// <summary>One filter of a dump: where it sits (hook, chain, priority, handle) and its actions.</summary>
internal sealed class TcFilter
{
    public int IfIndex { get; init; }
    public TcHook Hook { get; init; }
    public ushort Priority { get; init; }
    /// <summary>The ethertype it matches, host order (ETH_P_ALL = 3).</summary>
    public ushort Protocol { get; init; }
    public uint Handle { get; init; }
    public uint Chain { get; init; }
    public string Kind { get; init; } = "";
    public IReadOnlyList<TcAction> Actions { get; init; } = Array.Empty<TcAction>();
    /// <summary>A u32 hash table node (a structural entry, not a filter that matches anything itself).</summary>
    public bool IsU32HashTable { get; init; }
    /// <summary>The tcf_proto entry a dump sends first for each priority, before its filters (handle 0, no options).</summary>
    public bool IsProtoHeader { get; init; }
}

/// <summary>
/// A traffic-control client over rtnetlink: clsact qdisc add/delete/dump, filter add/delete/dump with mirred
/// actions. Replies are parsed from the raw attributes (no dependence on the decoder's tc tables).
/// </summary>
internal sealed class TcClient
{
    private readonly NetlinkSocket _socket;

    public TcClient(NetlinkSocket socket) => _socket = socket;

    public static uint HookParent(TcHook hook) =>
        Tc.TC_H_MAKE(Tc.TC_H_CLSACT, hook == TcHook.Ingress ? Tc.TC_H_MIN_INGRESS : Tc.TC_H_MIN_EGRESS);

    /// <summary>tcm_info of a filter: priority in the upper half, protocol in network order in the lower.</summary>
    public static uint FilterInfo(ushort priority, ushort protocol) =>
        ((uint)priority << 16) | (ushort)IPAddress.HostToNetworkOrder((short)protocol);

    internal static byte[] TcMsg(int ifindex, uint handle, uint parent, uint info)
    {
        var b = new byte[Tc.TcMsgLength];
        BitConverter.TryWriteBytes(b.AsSpan(4), ifindex);
        BitConverter.TryWriteBytes(b.AsSpan(8), handle);
        BitConverter.TryWriteBytes(b.AsSpan(12), parent);
        BitConverter.TryWriteBytes(b.AsSpan(16), info);
        return b;
    }

    // ---------------------------------------------------------------------------------------------- qdiscs --

    /// <summary>The qdiscs of one link (ifindex &gt; 0) or of all links.</summary>
    public List<TcQdisc> DumpQdiscs(int ifindex = 0)
    {
        var request = new MessageBuilder(Rtm.RTM_GETQDISC, Nl.NLM_F_DUMP).AddBytes(TcMsg(ifindex, 0, 0, 0));
        var list = new List<TcQdisc>();
        foreach (var m in _socket.Request(request, "RTM_GETQDISC dump"))
        {
            if (ParseQdisc(m) is not { } q) continue;
            if (ifindex <= 0 || q.IfIndex == ifindex) list.Add(q);
        }
        return list;
    }

    /// <summary>The ingress or clsact qdisc of a link, or null.</summary>
    public TcQdisc? FindClsact(int ifindex) => DumpQdiscs(ifindex).FirstOrDefault(q => q.IsIngressOrClsact);

    public static TcQdisc? ParseQdisc(NetlinkMessage m)
    {
        if (m.Type != Rtm.RTM_NEWQDISC || m.Bytes.Length < Nl.HeaderLength + Tc.TcMsgLength) return null;
        var o = m.ByteOrder;
        var body = m.Bytes.AsMemory(Nl.HeaderLength);
        var s = body.Span;
        var attributes = RtAttributes.Walk(body[Tc.TcMsgLength..], o);
        return new TcQdisc((int)Endian.U32(s[4..], o), Endian.U32(s[8..], o), Endian.U32(s[12..], o),
            RtAttributes.String(attributes, Tc.TCA_KIND) ?? "");
    }

    /// <summary>Adds a clsact qdisc (handle ffff:, parent ffff:fff1); fails with EEXIST when one is there.</summary>
    public void AddClsact(int ifindex)
    {
        var request = new MessageBuilder(Rtm.RTM_NEWQDISC, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL)
            .AddBytes(TcMsg(ifindex, Tc.ClsactHandle, Tc.TC_H_CLSACT, 0))
            .AddString(Tc.TCA_KIND, "clsact");
        _socket.Request(request, $"RTM_NEWQDISC clsact on ifindex {ifindex}");
    }

    /// <summary>Deletes the clsact qdisc (the kernel refuses when the qdisc there is of another kind).</summary>
    public void DeleteClsact(int ifindex)
    {
        var request = new MessageBuilder(Rtm.RTM_DELQDISC, 0)
            .AddBytes(TcMsg(ifindex, Tc.ClsactHandle, Tc.TC_H_CLSACT, 0))
            .AddString(Tc.TCA_KIND, "clsact");
        _socket.Request(request, $"RTM_DELQDISC clsact on ifindex {ifindex}");
    }

    // --------------------------------------------------------------------------------------------- filters --

    /// <summary>Every filter on one hook of a link's clsact or ingress qdisc, all chains.</summary>
    public List<TcFilter> DumpFilters(int ifindex, TcHook hook)
    {
        var request = new MessageBuilder(Rtm.RTM_GETTFILTER, Nl.NLM_F_DUMP).AddBytes(TcMsg(ifindex, 0, HookParent(hook), 0));
        var list = new List<TcFilter>();
        foreach (var m in _socket.Request(request, $"RTM_GETTFILTER dump ifindex {ifindex} {hook}"))
            if (ParseFilter(m, hook) is { } f) list.Add(f);
        return list;
    }

    /// <summary>
    /// Every filter on the hooks of a link's clsact (both) or ingress qdisc (ingress only), each attributed to
    /// its hook. u32 keeps its hash tables per qdisc, not per hook, and its dump walks every table of the
    /// priority, so a u32 filter at the same priority on both hooks shows up in both dumps (tc shows it twice
    /// too). Such a filter is kept only on the hook whose tcf_proto has the filter's table as its root table
    /// (asked with RTM_GETTFILTER for handle TC_U32_ROOT); ingress when that cannot be told.
    /// </summary>
    public List<TcFilter> DumpFilters(int ifindex, bool clsact)
    {
        var ingress = DumpFilters(ifindex, TcHook.Ingress);
        if (!clsact) return ingress;
        var egress = DumpFilters(ifindex, TcHook.Egress);
        static bool IsU32Entry(TcFilter f) => f.Kind == "u32" && !f.IsProtoHeader;
        var inEgress = egress.Where(IsU32Entry).Select(f => (f.Chain, f.Priority, f.Handle)).ToHashSet();
        var both = ingress.Where(IsU32Entry).Select(f => (f.Chain, f.Priority, f.Handle)).Where(inEgress.Contains).ToHashSet();
        if (both.Count == 0) return ingress.Concat(egress).ToList();

        var roots = new Dictionary<(TcHook, uint, ushort), uint?>();
        uint? Root(TcHook hook, TcFilter f)
        {
            if (!roots.TryGetValue((hook, f.Chain, f.Priority), out var root))
                roots[(hook, f.Chain, f.Priority)] = root = U32RootTable(ifindex, hook, f.Priority, f.Protocol, f.Chain);
            return root;
        }
        TcHook Owner(TcFilter f)
        {
            uint table = f.Handle & U32TableMask;
            if (Root(TcHook.Ingress, f) == table) return TcHook.Ingress;
            if (Root(TcHook.Egress, f) == table) return TcHook.Egress;
            return TcHook.Ingress;
        }
        return ingress.Concat(egress)
            .Where(f => !IsU32Entry(f) || !both.Contains((f.Chain, f.Priority, f.Handle)) || Owner(f) == f.Hook)
            .ToList();
    }

    /// <summary>u32 handles: 12 bits of hash table id, 8 of bucket, 12 of node.</summary>
    public const uint U32TableMask = 0xFFF00000;
    /// <summary>TC_U32_ROOT: the handle that names a u32 tcf_proto's root hash table.</summary>
    public const uint U32Root = 0xFFF00000;

    /// <summary>The handle of the root hash table of the u32 tcf_proto at a hook and priority, or null.</summary>
    public uint? U32RootTable(int ifindex, TcHook hook, ushort priority, ushort protocol, uint chain)
    {
        var b = new MessageBuilder(Rtm.RTM_GETTFILTER, 0)
            .AddBytes(TcMsg(ifindex, U32Root, HookParent(hook), FilterInfo(priority, protocol)))
            .AddString(Tc.TCA_KIND, "u32");
        if (chain != 0) b.AddU32(Tc.TCA_CHAIN, chain);
        try
        {
            foreach (var m in _socket.Request(b, $"RTM_GETTFILTER u32 root on ifindex {ifindex} {hook} prio {priority}"))
                if (ParseFilter(m, hook) is { } f) return f.Handle & U32TableMask;
        }
        catch (NetlinkKernelException e) when (e.Errno is 2 or 22) // ENOENT, EINVAL: no such tcf_proto here
        {
        }
        return null;
    }

    /// <summary>
    /// Adds a match-everything filter (kind "matchall" or "u32") for all protocols on a hook, with one mirred
    /// egress-mirror action per destination. Every action but the last pipes to the next; the last "continues"
    /// (TC_ACT_UNSPEC), so the filter never ends classification and filters after it still see every frame.
    /// </summary>
    public void AddMirrorFilter(int ifindex, TcHook hook, ushort priority, string kind, IReadOnlyList<int> destinations, byte[]? cookie) =>
        _socket.Request(MirrorFilterRequest(ifindex, hook, priority, kind, destinations, cookie), $"RTM_NEWTFILTER {kind} on ifindex {ifindex} {hook} prio {priority}");

    /// <summary>The RTM_NEWTFILTER request <see cref="AddMirrorFilter"/> sends.</summary>
    public static MessageBuilder MirrorFilterRequest(int ifindex, TcHook hook, ushort priority, string kind, IReadOnlyList<int> destinations, byte[]? cookie)
    {
        if (destinations.Count is 0 or > Tc.TCA_ACT_MAX_PRIO) throw new ArgumentOutOfRangeException(nameof(destinations));
        if (cookie is { Length: > Tc.TC_COOKIE_MAX_SIZE }) throw new ArgumentOutOfRangeException(nameof(cookie));
        var b = new MessageBuilder(Rtm.RTM_NEWTFILTER, Nl.NLM_F_CREATE | Nl.NLM_F_EXCL)
            .AddBytes(TcMsg(ifindex, 0, HookParent(hook), FilterInfo(priority, Tc.ETH_P_ALL)))
            .AddString(Tc.TCA_KIND, kind)
            .BeginNest(Tc.TCA_OPTIONS);
        ushort actType;
        switch (kind)
        {
            case "matchall":
                actType = Tc.TCA_MATCHALL_ACT;
                break;
            case "u32":
                actType = Tc.TCA_U32_ACT;
                b.AddAttribute(Tc.TCA_U32_SEL, U32MatchEverything());
                break;
            default:
                throw new ArgumentException($"Unsupported filter kind '{kind}'.", nameof(kind));
        }
        b.BeginNest(actType);
        for (int i = 0; i < destinations.Count; i++)
        {
            bool last = i == destinations.Count - 1;
            b.BeginNest((ushort)(i + 1))
                .AddString(Tc.TCA_ACT_KIND, "mirred")
                .BeginNest(Tc.TCA_ACT_OPTIONS)
                .AddAttribute(Tc.TCA_MIRRED_PARMS, MirredParms(last ? Tc.TC_ACT_UNSPEC : Tc.TC_ACT_PIPE, Tc.TCA_EGRESS_MIRROR, destinations[i]))
                .EndNest();
            if (cookie is not null) b.AddAttribute(Tc.TCA_ACT_COOKIE, cookie);
            b.EndNest();
        }
        return b.EndNest().EndNest();
    }

    /// <summary>
    /// Deletes filters: with <paramref name="handle"/> null the whole priority (the tcf_proto and everything in
    /// it), otherwise the one filter with that handle.
    /// </summary>
    public void DeleteFilter(int ifindex, TcHook hook, ushort priority, ushort protocol, uint chain, string kind, uint? handle)
    {
        var b = new MessageBuilder(Rtm.RTM_DELTFILTER, 0)
            .AddBytes(TcMsg(ifindex, handle ?? 0, HookParent(hook), FilterInfo(priority, protocol)))
            .AddString(Tc.TCA_KIND, kind);
        if (chain != 0) b.AddU32(Tc.TCA_CHAIN, chain);
        var what = handle is null ? $"prio {priority}" : $"prio {priority} handle 0x{handle:x}";
        _socket.Request(b, $"RTM_DELTFILTER {kind} on ifindex {ifindex} {hook} {what}");
    }

    /// <summary>struct tc_u32_sel with one key 0/0 at offset 0 and TC_U32_TERMINAL: matches every frame.</summary>
    internal static byte[] U32MatchEverything()
    {
        // tc_u32_sel: flags u8, offshift u8, nkeys u8, pad u8, offmask be16, off u16, offoff s16, hoff s16, hmask be32
        // followed by nkeys tc_u32_key { be32 mask; be32 val; int off; int offmask; }.
        var sel = new byte[16 + 16];
        sel[0] = Tc.TC_U32_TERMINAL;
        sel[2] = 1;
        return sel;
    }

    internal static byte[] MirredParms(int controlAction, int mirredAction, int ifindex)
    {
        var p = new byte[Tc.TcMirredLength];
        BitConverter.TryWriteBytes(p.AsSpan(8), controlAction);
        BitConverter.TryWriteBytes(p.AsSpan(20), mirredAction);
        BitConverter.TryWriteBytes(p.AsSpan(24), ifindex);
        return p;
    }

    /// <summary>Reads an RTM_NEWTFILTER message (a dump entry or an echo).</summary>
    public static TcFilter? ParseFilter(NetlinkMessage m, TcHook hook)
    {
        if (m.Type != Rtm.RTM_NEWTFILTER || m.Bytes.Length < Nl.HeaderLength + Tc.TcMsgLength) return null;
        var o = m.ByteOrder;
        var body = m.Bytes.AsMemory(Nl.HeaderLength);
        var s = body.Span;
        uint info = Endian.U32(s[16..], o);
        var attributes = RtAttributes.Walk(body[Tc.TcMsgLength..], o);
        var kind = RtAttributes.String(attributes, Tc.TCA_KIND) ?? "";
        var options = RtAttributes.Find(attributes, Tc.TCA_OPTIONS);
        var optionList = options is { } opt ? RtAttributes.Walk(opt.Payload, o) : new List<RawAttribute>();
        var actions = new List<TcAction>();
        if (ActionList(kind, optionList, o) is { } list) actions.AddRange(ParseActions(list, o));
        uint handle = Endian.U32(s[8..], o);
        return new TcFilter
        {
            IfIndex = (int)Endian.U32(s[4..], o),
            Hook = hook,
            Handle = handle,
            Priority = (ushort)(info >> 16),
            Protocol = (ushort)IPAddress.NetworkToHostOrder((short)(ushort)(info & 0xFFFF)),
            Chain = RtAttributes.U32(attributes, Tc.TCA_CHAIN, o) ?? 0,
            Kind = kind,
            Actions = actions,
            IsU32HashTable = kind == "u32" && RtAttributes.Find(optionList, Tc.TCA_U32_DIVISOR) is not null,
            IsProtoHeader = options is null && handle == 0,
        };
    }

    /// <summary>The attribute holding the action list: known for matchall and u32, recognised by shape otherwise.</summary>
    private static RawAttribute? ActionList(string kind, List<RawAttribute> options, ByteOrder o)
    {
        switch (kind)
        {
            case "matchall": return RtAttributes.Find(options, Tc.TCA_MATCHALL_ACT);
            case "u32": return RtAttributes.Find(options, Tc.TCA_U32_ACT);
        }
        // flower, bpf, basic, fw, route, cgroup, flow...: the one nest whose entries are all actions (each with a
        // printable TCA_ACT_KIND).
        foreach (var a in options)
        {
            if (!AttributeWalker.LooksLikeAttributes(a.Payload.Span, o)) continue;
            var entries = RtAttributes.Walk(a.Payload, o);
            if (entries.Count == 0 || entries.Count > Tc.TCA_ACT_MAX_PRIO) continue;
            bool all = true;
            foreach (var e in entries)
            {
                if (e.Type is 0 or > Tc.TCA_ACT_MAX_PRIO || !AttributeWalker.LooksLikeAttributes(e.Payload.Span, o)) { all = false; break; }
                var kindName = RtAttributes.String(RtAttributes.Walk(e.Payload, o), Tc.TCA_ACT_KIND);
                if (string.IsNullOrEmpty(kindName) || !kindName.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_')) { all = false; break; }
            }
            if (all) return a;
        }
        return null;
    }

    private static IEnumerable<TcAction> ParseActions(RawAttribute list, ByteOrder o)
    {
        foreach (var entry in RtAttributes.Walk(list.Payload, o))
        {
            var a = RtAttributes.Walk(entry.Payload, o);
            var kind = RtAttributes.String(a, Tc.TCA_ACT_KIND) ?? "";
            ulong bytes = 0, packets = 0;
            if (RtAttributes.Find(a, Tc.TCA_ACT_STATS) is { } stats
                && RtAttributes.Find(RtAttributes.Walk(stats.Payload, o), Tc.TCA_STATS_BASIC) is { Payload.Length: >= 12 } basic)
            {
                bytes = Endian.U64(basic.Payload.Span, o);
                packets = Endian.U32(basic.Payload.Span[8..], o);
            }
            uint index = RtAttributes.U32(a, Tc.TCA_ACT_INDEX, o) ?? 0;
            int control = 0, eaction = 0, ifindex = 0;
            uint? block = null;
            if (kind == "mirred" && RtAttributes.Find(a, Tc.TCA_ACT_OPTIONS) is { } options)
            {
                var opts = RtAttributes.Walk(options.Payload, o);
                if (RtAttributes.Find(opts, Tc.TCA_MIRRED_PARMS) is { Payload.Length: >= Tc.TcMirredLength } parms)
                {
                    var p = parms.Payload.Span;
                    if (index == 0) index = Endian.U32(p, o);
                    control = (int)Endian.U32(p[8..], o);
                    eaction = (int)Endian.U32(p[20..], o);
                    ifindex = (int)Endian.U32(p[24..], o);
                }
                block = RtAttributes.U32(opts, Tc.TCA_MIRRED_BLOCKID, o);
                if (block == 0) block = null;
            }
            yield return new TcAction
            {
                Order = entry.Type,
                Kind = kind,
                Index = index,
                ControlAction = control,
                MirredAction = eaction,
                MirredIfIndex = ifindex,
                MirredBlockId = block,
                Bytes = bytes,
                Packets = packets,
                Cookie = RtAttributes.Find(a, Tc.TCA_ACT_COOKIE)?.Payload.ToArray(),
            };
        }
    }
}
