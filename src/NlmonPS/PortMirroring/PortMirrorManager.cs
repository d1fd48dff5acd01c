using NlmonPS.KernelClients;
using NlmonPS.Wire;

namespace NlmonPS.PortMirroring;

/// <summary>What New-PortMirror is about to do, worked out before anything changes (so -WhatIf can show it).</summary>
internal sealed class PortMirrorPlan
{
    public RtnetlinkLink Source { get; init; } = null!;
    public IReadOnlyList<RtnetlinkLink> Destinations { get; init; } = Array.Empty<RtnetlinkLink>();
    public PortMirrorDirection Direction { get; init; }
    /// <summary>The NlmonPS mirror that already does everything asked (nothing to do), or null.</summary>
    public PortMirror? Existing { get; init; }
    public IReadOnlyList<TcHook> HooksToAdd { get; init; } = Array.Empty<TcHook>();
    public ushort Priority { get; init; }
    public bool CreateClsact { get; init; }
    /// <summary>The cookie flag: NlmonPS created (or will create) the source's clsact qdisc.</summary>
    public bool QdiscOwnedByNlmonPS { get; init; }
    /// <summary>
    /// Other mirrors of the source, on a hook this one adds, that already copy to one of its destinations: that
    /// destination will get every frame twice (said as a warning, not refused: it may be meant).
    /// </summary>
    public IReadOnlyList<string> Overlaps { get; init; } = Array.Empty<string>();

    public bool NothingToDo => HooksToAdd.Count == 0;

    public string Description =>
        $"{Source.Name} -> {string.Join(",", Destinations.Select(d => d.Name))} ({Direction})";
}

/// <summary>What Remove-PortMirror did.</summary>
/// <param name="Replaced">Filters found at the mirror's place that are not the ones it describes (an old object): left alone.</param>
internal sealed record PortMirrorRemoval(int FiltersRemoved, bool QdiscRemoved, string? QdiscKeptBecause, IReadOnlyList<string>? Replaced = null);

/// <summary>
/// Port mirroring with tc: a clsact qdisc on the source, a match-everything filter (matchall, or u32 where the
/// kernel has no matchall) on its ingress and/or egress hook, and one mirred egress-mirror action per
/// destination. Everything goes over rtnetlink on one socket, in the namespace of the thread that made it.
/// </summary>
internal sealed class PortMirrorManager : IDisposable
{
    /// <summary>NlmonPS picks the priorities of its filters from this range (the first free one).</summary>
    public const ushort FirstPriority = 1000;
    public const ushort LastPriority = 1999;

    private const int EPERM = 1, ENOENT = 2, EACCES = 13, EEXIST = 17, ENODEV = 19, EOPNOTSUPP = 95;

    private readonly NetlinkSocket _socket;
    private readonly bool _ownsSocket;
    private readonly TcClient _tc;
    private List<RtnetlinkLink>? _links;
    private bool _noMatchall;

    public PortMirrorManager() : this(new NetlinkSocket(NetlinkProtocol.Route), true) { }

    public PortMirrorManager(NetlinkSocket socket, bool ownsSocket = false)
    {
        _socket = socket;
        _ownsSocket = ownsSocket;
        _tc = new TcClient(socket);
    }

    /// <summary>Where progress messages go (the cmdlets' WriteVerbose).</summary>
    public Action<string>? Verbose { get; set; }

    /// <summary>Don't try matchall; go straight to u32 (tests use it to exercise the fallback anywhere).</summary>
    public bool ForceU32 { get => _noMatchall; set => _noMatchall = value; }

    public TcClient Client => _tc;

    public IReadOnlyList<RtnetlinkLink> Links => _links ??= Kernel(() => RtnetlinkLinks.Dump(_socket), "list network devices", null);

    public void RefreshLinks() => _links = null;

    public string NameOf(int ifindex) =>
        Links.FirstOrDefault(l => l.Index == ifindex)?.Name ?? (ifindex == 0 ? "(none)" : $"if{ifindex}");

    /// <summary>A device by name or index; <see cref="PortMirrorErrorKind.DeviceNotFound"/> when there is none.</summary>
    public RtnetlinkLink ResolveDevice(string nameOrIndex)
    {
        var link = Kernel(() => RtnetlinkLinks.Resolve(_socket, nameOrIndex), $"look up device '{nameOrIndex}'", nameOrIndex);
        return link ?? throw new PortMirrorException(PortMirrorErrorKind.DeviceNotFound,
            $"Cannot find network device '{nameOrIndex}' in this network namespace.", nameOrIndex);
    }

    // ------------------------------------------------------------------------------------------------- get --

    /// <summary>Every port mirror on the system (or on one source): all clsact/ingress filters with mirror actions.</summary>
    public List<PortMirror> GetMirrors(int? sourceIndex = null)
    {
        var now = DateTimeOffset.Now;
        var qdiscs = Kernel(() => _tc.DumpQdiscs(sourceIndex ?? 0), "list qdiscs", null).Where(q => q.IsIngressOrClsact).ToList();
        var mirrors = new List<PortMirror>();
        foreach (var q in qdiscs.OrderBy(q => NameOf(q.IfIndex), StringComparer.Ordinal))
        {
            var source = NameOf(q.IfIndex);
            var filters = new List<PortMirrorFilter>();
            foreach (var f in Kernel(() => _tc.DumpFilters(q.IfIndex, q.Kind == "clsact"), "list filters", source))
                if (ToMirrorFilter(f) is { } mf) filters.Add(mf);
            mirrors.AddRange(Merge(q, source, filters, now));
        }
        return mirrors;
    }

    private static TcHook[] HooksOf(TcQdisc q) =>
        q.Kind == "clsact" ? new[] { TcHook.Ingress, TcHook.Egress } : new[] { TcHook.Ingress };

    private PortMirrorFilter? ToMirrorFilter(TcFilter f)
    {
        var mirrors = f.Actions.Where(a => a.IsMirror).ToList();
        if (mirrors.Count == 0) return null;
        bool ours = false, ownsQdisc = false;
        byte[]? cookie = null;
        foreach (var a in mirrors)
        {
            if (PortMirrorCookie.TryParse(a.Cookie, out var owns)) { ours = true; ownsQdisc |= owns; cookie ??= a.Cookie; }
        }
        cookie ??= mirrors.Select(a => a.Cookie).FirstOrDefault(c => c is not null);
        return new PortMirrorFilter
        {
            Hook = f.Hook,
            Priority = f.Priority,
            Protocol = f.Protocol,
            Handle = f.Handle,
            Chain = f.Chain,
            Kind = f.Kind,
            Destinations = mirrors.Select(TargetName).ToArray(),
            DestinationIndexes = mirrors.Select(a => a.MirredIfIndex).ToArray(),
            Actions = f.Actions.Select(a => a.Kind).ToArray(),
            OtherActions = f.Actions.Where(a => !a.IsMirror).Select(Describe).ToArray(),
            ActionIndexes = mirrors.Select(a => a.Index).ToArray(),
            Packets = mirrors.Aggregate(0UL, (s, a) => s + a.Packets),
            Bytes = mirrors.Aggregate(0UL, (s, a) => s + a.Bytes),
            CreatedByNlmonPS = ours,
            QdiscCreatedByNlmonPS = ownsQdisc,
            Cookie = cookie,
        };
    }

    /// <summary>
    /// Whether the filter now at an old object's place is the one it describes: the same destinations (devices by
    /// index, shared blocks by number), the same other actions, made by the same hand.
    /// </summary>
    private static bool SameFilter(PortMirrorFilter then, PortMirrorFilter? now) =>
        now is not null && now.CreatedByNlmonPS == then.CreatedByNlmonPS
        && DestinationKeys(now).SequenceEqual(DestinationKeys(then)) && now.OtherActions.SequenceEqual(then.OtherActions);

    // A device by its index (its name may change), a shared block (index 0) by its name, "block N".
    private static IEnumerable<string> DestinationKeys(PortMirrorFilter f) =>
        f.DestinationIndexes.Select((index, i) => index != 0 ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : f.Destinations[i]);

    /// <summary>Where a mirred action sends: its device's name, or "block N" for a shared block (kernels from 6.12).</summary>
    private string TargetName(TcAction a) => a.MirredBlockId is { } block && a.MirredIfIndex == 0 ? $"block {block}" : NameOf(a.MirredIfIndex);

    /// <summary>An action as tc names it, with mirred's direction and target ("mirred egress redirect to eth1").</summary>
    private string Describe(TcAction a)
    {
        if (a.Kind != "mirred") return a.Kind;
        string how = a.MirredAction switch
        {
            Tc.TCA_EGRESS_REDIR => "egress redirect",
            Tc.TCA_INGRESS_REDIR => "ingress redirect",
            Tc.TCA_EGRESS_MIRROR => "egress mirror",
            Tc.TCA_INGRESS_MIRROR => "ingress mirror",
            _ => $"action {a.MirredAction}",
        };
        return $"mirred {how} to {TargetName(a)}";
    }

    /// <summary>
    /// Pairs an ingress filter with an egress filter of the same shape (priority, chain, kind, protocol,
    /// destinations, marker) into one mirror with Direction Both; everything else is a mirror of its own.
    /// </summary>
    internal static IEnumerable<PortMirror> Merge(TcQdisc q, string source, List<PortMirrorFilter> filters, DateTimeOffset now)
    {
        var groups = filters.GroupBy(f => (f.Priority, f.Chain, f.Kind, f.Protocol, Dest: string.Join(",", f.DestinationIndexes.Order()), f.CreatedByNlmonPS));
        var result = new List<PortMirror>();
        foreach (var g in groups)
        {
            var ingress = new Queue<PortMirrorFilter>(g.Where(f => f.Hook == TcHook.Ingress));
            var egress = new Queue<PortMirrorFilter>(g.Where(f => f.Hook == TcHook.Egress));
            while (ingress.Count > 0 || egress.Count > 0)
            {
                var parts = new List<PortMirrorFilter>(2);
                if (ingress.Count > 0) parts.Add(ingress.Dequeue());
                if (egress.Count > 0) parts.Add(egress.Dequeue());
                result.Add(Build(q, source, parts, now));
            }
        }
        return result.OrderBy(m => m.Priority).ThenBy(m => m.Chain).ThenBy(m => m.Direction);
    }

    private static PortMirror Build(TcQdisc q, string source, List<PortMirrorFilter> parts, DateTimeOffset now)
    {
        var first = parts[0];
        // Count each action once: a hand-made action can be bound to several filters by index.
        var seen = new HashSet<uint>();
        ulong packets = 0, bytes = 0;
        foreach (var f in parts)
        {
            bool allSeen = f.ActionIndexes.Length > 0 && f.ActionIndexes.All(i => i != 0 && seen.Contains(i));
            foreach (var i in f.ActionIndexes) seen.Add(i);
            if (allSeen) continue;
            packets += f.Packets;
            bytes += f.Bytes;
        }
        return new PortMirror
        {
            Source = source,
            SourceIndex = q.IfIndex,
            Direction = parts.Count == 2 ? PortMirrorDirection.Both : first.Hook == TcHook.Ingress ? PortMirrorDirection.Ingress : PortMirrorDirection.Egress,
            Destinations = first.Destinations,
            DestinationIndexes = first.DestinationIndexes,
            FilterKind = first.Kind,
            Priority = first.Priority,
            Handle = first.Handle,
            Chain = first.Chain,
            Protocol = first.Protocol,
            Packets = packets,
            Bytes = bytes,
            CreatedByNlmonPS = first.CreatedByNlmonPS,
            QdiscCreatedByNlmonPS = parts.Any(p => p.QdiscCreatedByNlmonPS),
            QdiscKind = q.Kind,
            Filters = parts.ToArray(),
            Timestamp = now,
        };
    }

    // ------------------------------------------------------------------------------------------------- new --

    /// <summary>Checks the request and works out what to change. Throws <see cref="PortMirrorException"/>.</summary>
    public PortMirrorPlan Plan(string source, IEnumerable<string> destinations, PortMirrorDirection direction)
    {
        if (direction is not (PortMirrorDirection.Ingress or PortMirrorDirection.Egress or PortMirrorDirection.Both))
            throw new ArgumentOutOfRangeException(nameof(direction));
        var src = ResolveDevice(source);
        var dests = new List<RtnetlinkLink>();
        foreach (var d in destinations)
        {
            var link = ResolveDevice(d);
            if (link.Index == src.Index)
                throw new PortMirrorException(PortMirrorErrorKind.Loop,
                    $"Cannot mirror '{src.Name}' to itself: the destination '{d}' is the source, and its copies would be mirrored again without end.", d);
            if (!dests.Any(x => x.Index == link.Index)) dests.Add(link);
        }
        if (dests.Count == 0) throw new ArgumentException("At least one destination is needed.", nameof(destinations));
        if (dests.Count > Tc.TCA_ACT_MAX_PRIO)
            throw new ArgumentException($"A mirror can have at most {Tc.TCA_ACT_MAX_PRIO} destinations.", nameof(destinations));

        var all = GetMirrors();
        foreach (var d in dests)
        {
            // What leaves a veth arrives at its peer's ingress: to the source's own peer, ingress copies come back in.
            if (d.Kind == "veth" && d.LinkIndex == src.Index && direction != PortMirrorDirection.Egress)
                throw new PortMirrorException(PortMirrorErrorKind.Loop,
                    $"Mirroring '{src.Name}' {direction.ToString().ToLowerInvariant()} to '{d.Name}' would loop: '{d.Name}' is the veth peer of '{src.Name}', so every copy sent out of it arrives on '{src.Name}''s ingress and would be mirrored again without end. Mirror -Direction Egress, or to another device.", d.Name);
            if (PathBack(all, d.Index, src.Index) is { } path)
                throw new PortMirrorException(PortMirrorErrorKind.Loop,
                    $"Mirroring '{src.Name}' to '{d.Name}' would loop: '{d.Name}' is already mirrored back to '{src.Name}' ({string.Join(" -> ", path.Select(NameOf))}). Remove that mirror first.", d.Name);
        }

        var qdisc = Kernel(() => _tc.FindClsact(src.Index), "look up the clsact qdisc", src.Name);
        var hooks = direction == PortMirrorDirection.Both ? new[] { TcHook.Ingress, TcHook.Egress }
            : direction == PortMirrorDirection.Ingress ? new[] { TcHook.Ingress } : new[] { TcHook.Egress };
        if (qdisc is { Kind: "ingress" } && hooks.Contains(TcHook.Egress))
            throw new PortMirrorException(PortMirrorErrorKind.QdiscConflict,
                $"'{src.Name}' has an ingress qdisc, which has no egress hook; mirroring {direction} needs clsact. Mirror -Direction Ingress, or replace the qdisc (tc qdisc del dev {src.Name} ingress).", src.Name);

        var mine = all.Where(m => m.SourceIndex == src.Index && m.CreatedByNlmonPS).ToList();
        var wanted = dests.Select(d => d.Index).Order().ToArray();
        var same = mine.Where(m => m.DestinationIndexes.Order().SequenceEqual(wanted))
            .OrderByDescending(m => m.Filters.Count(f => hooks.Contains(f.Hook))).ThenBy(m => m.Priority).FirstOrDefault();
        var missing = same is null ? hooks.ToList() : hooks.Where(h => !same.Filters.Any(f => f.Hook == h)).ToList();
        bool owned = qdisc is null || mine.Any(m => m.QdiscCreatedByNlmonPS);
        if (missing.Count == 0)
            return new PortMirrorPlan { Source = src, Destinations = dests, Direction = direction, Existing = same, QdiscOwnedByNlmonPS = owned };

        var used = new Dictionary<TcHook, HashSet<ushort>> { [TcHook.Ingress] = new(), [TcHook.Egress] = new() };
        if (qdisc is not null)
            foreach (var hook in HooksOf(qdisc))
                foreach (var f in Kernel(() => _tc.DumpFilters(src.Index, hook), "list filters", src.Name))
                    used[hook].Add(f.Priority);
        ushort priority = 0;
        if (same is not null && missing.All(h => !used[h].Contains(same.Priority))) priority = same.Priority;
        else
        {
            // Prefer a priority free on both hooks, so a later mirror of the other direction can pair with it.
            for (int p = FirstPriority; p <= LastPriority && priority == 0; p++)
                if (!used[TcHook.Ingress].Contains((ushort)p) && !used[TcHook.Egress].Contains((ushort)p)) priority = (ushort)p;
            for (int p = FirstPriority; p <= LastPriority && priority == 0; p++)
                if (missing.All(h => !used[h].Contains((ushort)p))) priority = (ushort)p;
            if (priority == 0)
                throw new PortMirrorException(PortMirrorErrorKind.KernelError,
                    $"Every NlmonPS filter priority ({FirstPriority}-{LastPriority}) on '{src.Name}' is in use.", src.Name);
        }
        var overlaps = all.Where(m => m.SourceIndex == src.Index && m != same)
            .SelectMany(m => m.Filters.Where(f => missing.Contains(f.Hook))
                .SelectMany(f => f.DestinationIndexes.Intersect(wanted)
                    .Select(d => $"{src.Name} {f.Hook.ToString().ToLowerInvariant()} is already mirrored to {NameOf(d)} ({f.Kind} prio {f.Priority}{(m.CreatedByNlmonPS ? "" : ", made by hand")})")))
            .Distinct().ToList();
        return new PortMirrorPlan
        {
            Source = src,
            Destinations = dests,
            Direction = direction,
            HooksToAdd = missing,
            Priority = priority,
            CreateClsact = qdisc is null,
            QdiscOwnedByNlmonPS = owned,
            Overlaps = overlaps,
        };
    }

    /// <summary>A chain of existing mirrors from <paramref name="from"/> to <paramref name="to"/>, or null.</summary>
    private static List<int>? PathBack(List<PortMirror> mirrors, int from, int to)
    {
        var edges = mirrors.GroupBy(m => m.SourceIndex).ToDictionary(g => g.Key, g => g.SelectMany(m => m.DestinationIndexes).Distinct().ToList());
        var previous = new Dictionary<int, int> { [from] = from };
        var queue = new Queue<int>();
        queue.Enqueue(from);
        while (queue.Count > 0)
        {
            int at = queue.Dequeue();
            if (at == to)
            {
                var path = new List<int> { to };
                while (path[^1] != from) path.Add(previous[path[^1]]);
                path.Reverse();
                return path;
            }
            if (!edges.TryGetValue(at, out var next)) continue;
            foreach (var n in next)
                if (n != 0 && previous.TryAdd(n, at)) queue.Enqueue(n);
        }
        return null;
    }

    /// <summary>
    /// Carries out a plan; on failure undoes what it had done and throws <see cref="PortMirrorException"/>. Several
    /// New-PortMirror at once on one source all plan the same free priority: the tc changes are made under a lock
    /// that NlmonPS processes share, the priority is checked again under it, and a filter someone else (tc by hand)
    /// put at that priority meanwhile moves the mirror to the next free one.
    /// </summary>
    public PortMirror Apply(PortMirrorPlan plan)
    {
        if (plan.NothingToDo) return plan.Existing!;
        using var tcLock = PortMirrorLock.Take(Verbose);
        var src = plan.Source;
        var added = new List<(TcHook Hook, string Kind)>();
        bool createdQdisc = false;
        ushort priority = plan.Priority;
        try
        {
            if (plan.CreateClsact)
            {
                try
                {
                    Kernel(() => _tc.AddClsact(src.Index), "add a clsact qdisc", src.Name, Operation.AddQdisc);
                    createdQdisc = true;
                    Verbose?.Invoke($"Added a clsact qdisc to {src.Name} (handle ffff:, parent ffff:fff1).");
                }
                catch (PortMirrorException e) when (e.KernelError?.Errno == EEXIST
                    && Kernel(() => _tc.FindClsact(src.Index), "look up the clsact qdisc", src.Name) is { Kind: "clsact" })
                {
                    Verbose?.Invoke($"A clsact qdisc appeared on {src.Name} meanwhile (another mirror, made at the same time); using it.");
                }
            }
            var cookie = PortMirrorCookie.Create(plan.QdiscOwnedByNlmonPS);
            var targets = plan.Destinations.Select(d => d.Index).ToList();
            priority = FreePriority(src, plan.HooksToAdd, priority);
            foreach (var hook in plan.HooksToAdd)
            {
                for (int attempt = 0; ; attempt++)
                {
                    try
                    {
                        var kind = AddFilter(src, hook, priority, targets, cookie);
                        added.Add((hook, kind));
                        break;
                    }
                    catch (PortMirrorException e) when (attempt < 8 && added.Count == 0 && IsPriorityTaken(e))
                    {
                        // Someone else's filter took the priority between the check and the add: the next free one.
                        var taken = priority;
                        priority = FreePriority(src, plan.HooksToAdd, (ushort)(priority + 1));
                        Verbose?.Invoke($"Priority {taken} on {src.Name} was taken meanwhile ({e.KernelError?.ExtendedMessage ?? e.Message}); using {priority}.");
                    }
                }
                Verbose?.Invoke($"Added a {added[^1].Kind} filter on {src.Name} {hook.ToString().ToLowerInvariant()} (prio {priority}) with mirred egress mirror to {string.Join(", ", plan.Destinations.Select(d => d.Name))}; cookie {PortMirrorCookie.ToHex(cookie)}.");
            }
        }
        catch
        {
            foreach (var (hook, kind) in added)
                try { _tc.DeleteFilter(src.Index, hook, priority, Tc.ETH_P_ALL, 0, kind, null); } catch (NetlinkKernelException) { }
            if (createdQdisc)
                try { _tc.DeleteClsact(src.Index); } catch (NetlinkKernelException) { }
            throw;
        }
        var wanted = plan.Destinations.Select(d => d.Index).Order().ToArray();
        return GetMirrors(src.Index).FirstOrDefault(m => m.CreatedByNlmonPS && m.Priority == priority && m.DestinationIndexes.Order().SequenceEqual(wanted))
            ?? throw new PortMirrorException(PortMirrorErrorKind.KernelError, $"The mirror on '{src.Name}' was added but does not show in the filter dump.", src.Name);
    }

    /// <summary>The first priority from <paramref name="from"/> free on every hook to add to, as the kernel has them now.</summary>
    private ushort FreePriority(RtnetlinkLink src, IReadOnlyList<TcHook> hooks, ushort from)
    {
        var used = new HashSet<ushort>();
        foreach (var hook in hooks)
            foreach (var f in Kernel(() => _tc.DumpFilters(src.Index, hook), "list filters", src.Name))
                used.Add(f.Priority);
        for (int p = from; p <= LastPriority; p++)
            if (!used.Contains((ushort)p)) return (ushort)p;
        throw new PortMirrorException(PortMirrorErrorKind.KernelError,
            $"Every NlmonPS filter priority ({FirstPriority}-{LastPriority}) on '{src.Name}' is in use.", src.Name);
    }

    /// <summary>
    /// A filter of another kind (or the same handle) already at the priority: EINVAL "Specified filter kind does not
    /// match existing one", or EEXIST. Not a missing classifier, whatever kind was being tried.
    /// </summary>
    internal static bool IsPriorityTaken(PortMirrorException e) =>
        e.KernelError is { } k && (k.Errno == EEXIST
            || k.Errno == EINVAL && (k.ExtendedMessage?.Contains("does not match", StringComparison.OrdinalIgnoreCase) ?? false));

    private string AddFilter(RtnetlinkLink src, TcHook hook, ushort priority, List<int> targets, byte[] cookie)
    {
        var where = $"{hook.ToString().ToLowerInvariant()} filter";
        if (!_noMatchall)
        {
            try
            {
                Kernel(() => _tc.AddMirrorFilter(src.Index, hook, priority, "matchall", targets, cookie), $"add an {where} at priority {priority}", src.Name, Operation.AddFilter, rethrowUnknownClassifier: true);
                return "matchall";
            }
            catch (NetlinkKernelException e) when (IsUnknownClassifier(e))
            {
                _noMatchall = true;
                Verbose?.Invoke($"The kernel has no matchall classifier (CONFIG_NET_CLS_MATCHALL; it said: {e.Error}); using a u32 filter that matches every frame instead.");
            }
        }
        try
        {
            Kernel(() => _tc.AddMirrorFilter(src.Index, hook, priority, "u32", targets, cookie), $"add an {where} at priority {priority}", src.Name, Operation.AddFilter, rethrowUnknownClassifier: true);
            return "u32";
        }
        catch (NetlinkKernelException e) when (IsUnknownClassifier(e))
        {
            throw new PortMirrorException(PortMirrorErrorKind.KernelMissingFeature,
                $"Cannot add a mirror filter on '{src.Name}': the kernel has neither the matchall classifier (CONFIG_NET_CLS_MATCHALL) nor u32 (CONFIG_NET_CLS_U32). Kernel: {e.Error}", src.Name, e);
        }
    }

    /// <summary>ENOENT/EOPNOTSUPP for the classifier kind itself ("TC classifier not found", "unknown filter kind").</summary>
    internal static bool IsUnknownClassifier(NetlinkKernelException e)
    {
        if (e.Errno is not (ENOENT or EOPNOTSUPP)) return false;
        var text = e.Error.ExtendedMessage;
        if (text is null) return e.Errno == ENOENT;
        return text.Contains("classifier", StringComparison.OrdinalIgnoreCase)
            || text.Contains("filter kind", StringComparison.OrdinalIgnoreCase)
            || text.Contains("unknown", StringComparison.OrdinalIgnoreCase) && !text.Contains("action", StringComparison.OrdinalIgnoreCase);
    }

    // ---------------------------------------------------------------------------------------------- remove --

    /// <summary>
    /// Removes a mirror's filters (the whole priority when nothing else shares it, else filter by filter), then
    /// the clsact qdisc when NlmonPS created it (per the cookie) and no filter is left on either hook.
    /// </summary>
    public PortMirrorRemoval Remove(PortMirror mirror)
    {
        var source = mirror.Source;
        if (Kernel(() => RtnetlinkLinks.Get(_socket, mirror.SourceIndex), $"look up device {source}", source) is null)
        {
            Verbose?.Invoke($"{source} (index {mirror.SourceIndex}) is gone, and its filters with it.");
            return new PortMirrorRemoval(0, false, null);
        }
        int removed = 0;
        bool ownsQdisc = false;   // by the cookies of the filters removed now, not by what an old object says
        var replaced = new List<string>();
        var qdiscNow = Kernel(() => _tc.FindClsact(mirror.SourceIndex), "look up the clsact qdisc", source);
        foreach (var f in mirror.Filters)
        {
            var current = qdiscNow is null ? new List<TcFilter>()
                : Kernel(() => _tc.DumpFilters(mirror.SourceIndex, qdiscNow.Kind == "clsact"), "list filters", source).Where(c => c.Hook == f.Hook).ToList();
            var target = current.FirstOrDefault(c => !c.IsProtoHeader && c.Chain == f.Chain && c.Priority == f.Priority && c.Handle == f.Handle && c.Kind == f.Kind);
            if (target is null)
            {
                Verbose?.Invoke($"The {f} filter on {source} is already gone.");
                continue;
            }
            // A PortMirror object may be old: what sits at its place now must be the filter it describes
            // (SameFilter), or it is someone else's and stays.
            var now = ToMirrorFilter(target);
            if (!SameFilter(f, now))
            {
                string what = now is null ? "runs " + string.Join(", ", target.Actions.Select(a => a.Kind))
                    : $"mirrors to {string.Join(",", now.Destinations)}{(now.CreatedByNlmonPS ? "" : " (made by hand)")}";
                replaced.Add($"the {f} filter on {source} now {what}");
                continue;
            }
            bool alone = !current.Any(c => c != target && !c.IsProtoHeader && !c.IsU32HashTable && c.Chain == f.Chain && c.Priority == f.Priority);
            try
            {
                Kernel(() => _tc.DeleteFilter(mirror.SourceIndex, f.Hook, f.Priority, f.Protocol, f.Chain, f.Kind, alone ? null : f.Handle),
                    $"delete the {f.Hook.ToString().ToLowerInvariant()} filter prio {f.Priority}", source, Operation.DeleteFilter);
                removed++;
                ownsQdisc |= now!.QdiscCreatedByNlmonPS;
                Verbose?.Invoke(alone
                    ? $"Deleted the {f.Kind} filters at prio {f.Priority} on {source} {f.Hook.ToString().ToLowerInvariant()}."
                    : $"Deleted {f.Kind} filter handle 0x{f.Handle:x} at prio {f.Priority} on {source} {f.Hook.ToString().ToLowerInvariant()}; other filters share that priority.");
            }
            catch (PortMirrorException e) when (e.KernelError?.Errno == ENOENT)
            {
                Verbose?.Invoke($"The {f} filter on {source} is already gone.");
            }
        }

        if (replaced.Count > 0) return new PortMirrorRemoval(removed, false, "other filters took this mirror's place", replaced);
        if (!ownsQdisc) return new PortMirrorRemoval(removed, false, removed == 0 ? "no filter of this mirror was there to tell who created it" : "NlmonPS did not create it");
        var qdisc = Kernel(() => _tc.FindClsact(mirror.SourceIndex), "look up the clsact qdisc", source);
        if (qdisc is not { Kind: "clsact" }) return new PortMirrorRemoval(removed, false, qdisc is null ? null : $"it is an {qdisc.Kind} qdisc");
        var left = HooksOf(qdisc).SelectMany(h => Kernel(() => _tc.DumpFilters(mirror.SourceIndex, h), "list filters", source)).Where(f => !f.IsProtoHeader).ToList();
        if (left.Count > 0)
        {
            // A u32 filter comes with its hash table's entries: the filters are what to count.
            int filters = left.Count(f => !f.IsU32HashTable);
            string why = filters > 0 ? $"{filters} other filter(s) still use it" : $"{left.Count} u32 hash table(s) are still on it";
            Verbose?.Invoke($"Kept the clsact qdisc NlmonPS added to {source}: {why}.");
            return new PortMirrorRemoval(removed, false, why);
        }
        try
        {
            Kernel(() => _tc.DeleteClsact(mirror.SourceIndex), "delete the clsact qdisc", source, Operation.DeleteQdisc);
            Verbose?.Invoke($"Deleted the clsact qdisc NlmonPS had added to {source}.");
            return new PortMirrorRemoval(removed, true, null);
        }
        catch (PortMirrorException e) when (e.KernelError?.Errno is ENOENT or EINVAL)
        {
            return new PortMirrorRemoval(removed, false, e.Message);
        }
    }

    private const int EINVAL = 22;

    // -------------------------------------------------------------------------------------------- errors --

    internal enum Operation { Read, AddQdisc, AddFilter, DeleteFilter, DeleteQdisc }

    private T Kernel<T>(Func<T> call, string what, string? device, Operation op = Operation.Read)
    {
        try { return call(); }
        catch (NetlinkKernelException e) { throw Classify(e, what, device, op); }
    }

    private void Kernel(Action call, string what, string? device, Operation op, bool rethrowUnknownClassifier = false)
    {
        try { call(); }
        catch (NetlinkKernelException e) when (!(rethrowUnknownClassifier && IsUnknownClassifier(e)))
        {
            throw Classify(e, what, device, op);
        }
    }

    /// <summary>Turns a kernel error into a port-mirror error that names its cause (and keeps the extended ACK).</summary>
    internal static PortMirrorException Classify(NetlinkKernelException e, string what, string? device, Operation op)
    {
        var on = device is null ? "" : $" on '{device}'";
        var text = e.Error.ExtendedMessage ?? "";
        switch (e.Errno)
        {
            case EPERM or EACCES:
                return new PortMirrorException(PortMirrorErrorKind.PermissionDenied,
                    $"Cannot {what}{on}: permission denied. Changing traffic control needs CAP_NET_ADMIN in the device's network namespace (run as root). Kernel: {e.Error}", device, e);
            case ENODEV when op != Operation.Read:
                return new PortMirrorException(PortMirrorErrorKind.DeviceNotFound,
                    $"Cannot {what}{on}: the device is gone. Kernel: {e.Error}", device, e);
            case ENOENT or EOPNOTSUPP when op == Operation.AddQdisc && (text.Length == 0 || text.Contains("kind", StringComparison.OrdinalIgnoreCase) || e.Errno == EOPNOTSUPP):
                return new PortMirrorException(PortMirrorErrorKind.KernelMissingFeature,
                    $"Cannot {what}{on}: the kernel has no clsact qdisc (CONFIG_NET_SCH_INGRESS, which needs CONFIG_NET_CLS_ACT). Kernel: {e.Error}", device, e);
            case ENOENT when op == Operation.AddFilter && text.Contains("action", StringComparison.OrdinalIgnoreCase):
                return new PortMirrorException(PortMirrorErrorKind.KernelMissingFeature,
                    $"Cannot {what}{on}: the kernel has no mirred action (CONFIG_NET_ACT_MIRRED). Kernel: {e.Error}", device, e);
            case EOPNOTSUPP when op == Operation.AddFilter:
                return new PortMirrorException(PortMirrorErrorKind.KernelNotImplemented,
                    $"Cannot {what}{on}: the kernel does not support it; filter actions need CONFIG_NET_CLS_ACT and mirroring CONFIG_NET_ACT_MIRRED. Kernel: {e.Error}", device, e);
            case EINVAL when op == Operation.AddFilter && text.Contains("does not match", StringComparison.OrdinalIgnoreCase):
            case EEXIST when op == Operation.AddFilter:
                return new PortMirrorException(PortMirrorErrorKind.KernelError,
                    $"Cannot {what}{on}: a filter of another kind holds that priority (tc filter show dev {device}). Kernel: {e.Error}", device, e);
            case EEXIST when op == Operation.AddQdisc:
                return new PortMirrorException(PortMirrorErrorKind.QdiscConflict,
                    $"Cannot {what}{on}: another qdisc already holds the ingress slot. Kernel: {e.Error}", device, e);
            default:
                return new PortMirrorException(PortMirrorErrorKind.KernelError, $"Cannot {what}{on}: {e.Error}", device, e);
        }
    }

    public void Dispose()
    {
        if (_ownsSocket) _socket.Dispose();
    }
}
