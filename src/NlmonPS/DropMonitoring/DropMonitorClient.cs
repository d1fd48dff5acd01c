using System.ComponentModel;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.Wire;

namespace NlmonPS.DropMonitoring;

/// <summary>The drop monitor's configuration (NET_DM_CMD_CONFIG_GET), global to the kernel.</summary>
public sealed class DropMonitorConfiguration
{
    public DropAlertMode AlertMode { get; init; }
    /// <summary>Bytes of each dropped packet sent in packet mode (0: the whole packet).</summary>
    public uint TruncateLength { get; init; }
    /// <summary>Packets each CPU queues for user space in packet mode before it counts them as dropped.</summary>
    public uint QueueLength { get; init; }
    /// <summary>Whether monitoring is on (some session started it); null when that could not be asked (no CAP_NET_ADMIN).</summary>
    public bool? Monitoring { get; init; }

    public override string ToString() =>
        $"{AlertMode} mode, truncate {(TruncateLength == 0 ? "off" : TruncateLength + " bytes")}, queue {QueueLength}";

    public bool SameSettings(DropMonitorConfiguration other) =>
        AlertMode == other.AlertMode && TruncateLength == other.TruncateLength && QueueLength == other.QueueLength;
}

/// <summary>The drop monitor's own losses (NET_DM_CMD_STATS_GET): alerts it dropped because a per-CPU queue was full.</summary>
public sealed class DropMonitorStatistics
{
    /// <summary>NET_DM_ATTR_STATS / NET_DM_ATTR_STATS_DROPPED: software drop alerts lost since drop_monitor loaded.</summary>
    public ulong SoftwareDropped { get; init; }
    /// <summary>NET_DM_ATTR_HW_STATS / NET_DM_ATTR_STATS_DROPPED: hardware drop alerts lost (null when the kernel has no hardware statistics).</summary>
    public ulong? HardwareDropped { get; init; }
    public DateTimeOffset Timestamp { get; init; }

    public override string ToString() => $"software {SoftwareDropped} dropped, hardware {HardwareDropped?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "n/a"}";
}

/// <summary>
/// The NET_DM client: resolves the family (loading drop_monitor when the kernel can), reads and sets the
/// configuration, starts and stops monitoring, reads statistics, and opens the alert listener. Kernel refusals
/// become <see cref="DropMonitorException"/>s that name their cause.
/// </summary>
internal sealed class DropMonitorClient : IDisposable
{
    private const int EPERM = 1, ENOENT = 2, EAGAIN = 11, EACCES = 13, EBUSY = 16, EINVAL = 22, EOPNOTSUPP = 95;
    private readonly GenericNetlinkClient _genl;

    private DropMonitorClient(GenericNetlinkClient genl, GenericNetlinkFamily family)
    {
        _genl = genl;
        Family = family;
    }

    public GenericNetlinkFamily Family { get; }

    /// <summary>Packet mode and NET_DM_ATTR_TRUNC_LEN/QUEUE_LEN arrived together (kernel 5.4).</summary>
    public bool SupportsPacketMode => Family.MaxAttribute >= NetDm.NET_DM_ATTR_QUEUE_LEN;

    /// <summary>The NET_DM_ATTR_SW_DROPS/HW_DROPS flags (kernel 5.4, with hardware drops).</summary>
    public bool SupportsOriginSelection => Family.MaxAttribute >= NetDm.NET_DM_ATTR_HW_DROPS;

    /// <summary>Statistics (CONFIG_GET and STATS_GET arrived with packet mode).</summary>
    public bool SupportsStatistics => Family.Operations.Count == 0 || Family.Operations.ContainsKey(NetDm.NET_DM_CMD_STATS_GET);

    /// <summary>
    /// Opens the client: resolves NET_DM; when it is missing, finds out why, loads drop_monitor with modprobe when
    /// that can work, and asks again. Throws a <see cref="DropMonitorException"/> naming the cause otherwise.
    /// </summary>
    public static DropMonitorClient Open(Action<string>? verbose = null)
    {
        GenericNetlinkClient genl;
        try
        {
            genl = new GenericNetlinkClient();
        }
        catch (Win32Exception e)
        {
            throw new DropMonitorException(DropMonitorErrorKind.KernelError, $"Cannot open a generic netlink socket: {e.Message}", e, e.NativeErrorCode) { Target = NetDm.FamilyName };
        }
        try
        {
            var family = Call(() => genl.GetFamily(NetDm.FamilyName), "look up the NET_DM family");
            if (family is null)
            {
                var facts = DropMonitorAvailability.Gather();
                if (DropMonitorAvailability.Diagnose(facts) is { } why) throw why;
                verbose?.Invoke($"NET_DM is not registered (kernel {facts.KernelRelease}, config {facts.ConfigValue ?? "unknown"}, module {facts.ModuleFile ?? "built in"}); loading drop_monitor.");
                verbose?.Invoke(DropMonitorAvailability.LoadModule());
                for (int attempt = 0; attempt < 20 && family is null; attempt++)
                {
                    if (attempt > 0) Thread.Sleep(50);
                    family = Call(() => genl.GetFamily(NetDm.FamilyName), "look up the NET_DM family");
                }
                if (family is null)
                    throw new DropMonitorException(DropMonitorErrorKind.ModuleLoadFailed,
                        "modprobe loaded drop_monitor, but the generic netlink family NET_DM did not appear.") { Target = NetDm.FamilyName };
            }
            verbose?.Invoke($"NET_DM: {family}, multicast groups {string.Join(", ", family.MulticastGroups.Select(g => $"{g.Key}={g.Value}"))}.");
            return new DropMonitorClient(genl, family);
        }
        catch
        {
            genl.Dispose();
            throw;
        }
    }

    // --------------------------------------------------------------------------------------------- config --

    public DropMonitorConfiguration GetConfiguration(bool probeMonitoring = false)
    {
        var replies = Call(() => _genl.Request(GenericNetlinkClient.NewRequest(Family, NetDm.NET_DM_CMD_CONFIG_GET), "NET_DM_CMD_CONFIG_GET"), "read the configuration");
        foreach (var m in replies)
        {
            if (m.Type != Family.Id || m.Bytes.Length <= Nl.HeaderLength || m.Bytes[Nl.HeaderLength] != NetDm.NET_DM_CMD_CONFIG_NEW) continue;
            var config = ParseConfiguration(m.Bytes, m.ByteOrder, Family.HeaderSize);
            return probeMonitoring ? new DropMonitorConfiguration
            {
                AlertMode = config.AlertMode, TruncateLength = config.TruncateLength, QueueLength = config.QueueLength,
                Monitoring = IsMonitoring(),
            } : config;
        }
        throw new DropMonitorException(DropMonitorErrorKind.KernelError, "The kernel answered NET_DM_CMD_CONFIG_GET without a NET_DM_CMD_CONFIG_NEW message.") { Target = NetDm.FamilyName };
    }

    /// <summary>Reads a NET_DM_CMD_CONFIG_NEW message.</summary>
    public static DropMonitorConfiguration ParseConfiguration(byte[] message, ByteOrder order, uint headerSize = 0)
    {
        var a = GenericNetlinkClient.Attributes(message, order, headerSize);
        return new DropMonitorConfiguration
        {
            AlertMode = GenericNetlinkClient.Find(a, NetDm.NET_DM_ATTR_ALERT_MODE) is { Payload.Length: >= 1 } mode ? (DropAlertMode)mode.Payload.Span[0] : DropAlertMode.Summary,
            TruncateLength = GenericNetlinkClient.U32(a, NetDm.NET_DM_ATTR_TRUNC_LEN, order) ?? 0,
            QueueLength = GenericNetlinkClient.U32(a, NetDm.NET_DM_ATTR_QUEUE_LEN, order) ?? 0,
        };
    }

    /// <summary>The NET_DM_CMD_CONFIG request: only the settings given are sent (the kernel keeps the others).</summary>
    public static MessageBuilder ConfigRequest(GenericNetlinkFamily family, DropAlertMode? mode, uint? truncateLength, uint? queueLength)
    {
        var b = GenericNetlinkClient.NewRequest(family, NetDm.NET_DM_CMD_CONFIG);
        if (mode is { } m) b.AddU8(NetDm.NET_DM_ATTR_ALERT_MODE, (byte)m);
        if (truncateLength is { } t) b.AddU32(NetDm.NET_DM_ATTR_TRUNC_LEN, t);
        if (queueLength is { } q) b.AddU32(NetDm.NET_DM_ATTR_QUEUE_LEN, q);
        return b;
    }

    /// <summary>Changes the configuration. The kernel refuses while monitoring is on (EBUSY): that is <see cref="DropMonitorErrorKind.Busy"/>.</summary>
    public void SetConfiguration(DropAlertMode? mode, uint? truncateLength, uint? queueLength)
    {
        if (mode == DropAlertMode.Packet && !SupportsPacketMode)
            throw new DropMonitorException(DropMonitorErrorKind.FeatureUnsupported,
                $"This kernel's drop monitor has no packet mode (NET_DM maxattr {Family.MaxAttribute}; packet mode came with kernel 5.4). Use -AlertMode Summary.") { Target = NetDm.FamilyName };
        if ((truncateLength is not null || queueLength is not null) && !SupportsPacketMode)
            throw new DropMonitorException(DropMonitorErrorKind.FeatureUnsupported,
                "This kernel's drop monitor has no truncation or queue length settings (they came with packet mode, kernel 5.4).") { Target = NetDm.FamilyName };
        Call(() => _genl.Request(ConfigRequest(Family, mode, truncateLength, queueLength), "NET_DM_CMD_CONFIG"), "change the configuration");
    }

    /// <summary>
    /// Whether monitoring is on, asked without changing anything: an empty NET_DM_CMD_CONFIG is refused with
    /// EBUSY while monitoring is on and changes nothing otherwise. Null without CAP_NET_ADMIN.
    /// </summary>
    public bool? IsMonitoring()
    {
        try
        {
            _genl.Request(ConfigRequest(Family, null, null, null), "NET_DM_CMD_CONFIG (probe)");
            return false;
        }
        catch (NetlinkKernelException e) when (e.Errno == EBUSY)
        {
            return true;
        }
        catch (NetlinkKernelException e) when (e.Errno is EPERM or EACCES)
        {
            return null;
        }
    }

    // --------------------------------------------------------------------------------------- start, stop --

    /// <summary>NET_DM_CMD_START or STOP with the origin flags (the kernel takes no flag as software only).</summary>
    public static MessageBuilder TraceRequest(GenericNetlinkFamily family, byte command, DropMonitorOrigin origin)
    {
        var b = GenericNetlinkClient.NewRequest(family, command);
        if (origin is DropMonitorOrigin.Software or DropMonitorOrigin.All) b.AddFlag(NetDm.NET_DM_ATTR_SW_DROPS);
        if (origin is DropMonitorOrigin.Hardware or DropMonitorOrigin.All) b.AddFlag(NetDm.NET_DM_ATTR_HW_DROPS);
        return b;
    }

    /// <summary>NET_DM_CMD_START. When monitoring is already on, the kernel answers EAGAIN: <see cref="DropMonitorErrorKind.Busy"/>.</summary>
    public void Start(DropMonitorOrigin origin)
    {
        if (origin != DropMonitorOrigin.Software && !SupportsOriginSelection)
            throw new DropMonitorException(DropMonitorErrorKind.FeatureUnsupported,
                "This kernel's drop monitor reports software drops only (no NET_DM_ATTR_HW_DROPS, kernel 5.4+): use -Origin Software.") { Target = NetDm.FamilyName };
        var request = SupportsOriginSelection ? TraceRequest(Family, NetDm.NET_DM_CMD_START, origin) : GenericNetlinkClient.NewRequest(Family, NetDm.NET_DM_CMD_START);
        Call(() => _genl.Request(request, "NET_DM_CMD_START"), "start monitoring");
    }

    public void Stop(DropMonitorOrigin origin)
    {
        var request = SupportsOriginSelection ? TraceRequest(Family, NetDm.NET_DM_CMD_STOP, origin) : GenericNetlinkClient.NewRequest(Family, NetDm.NET_DM_CMD_STOP);
        Call(() => _genl.Request(request, "NET_DM_CMD_STOP"), "stop monitoring");
    }

    // ---------------------------------------------------------------------------------------------- stats --

    public DropMonitorStatistics GetStatistics()
    {
        if (!SupportsStatistics)
            throw new DropMonitorException(DropMonitorErrorKind.FeatureUnsupported, "This kernel's drop monitor keeps no statistics (NET_DM_CMD_STATS_GET came with kernel 5.4).") { Target = NetDm.FamilyName };
        var replies = Call(() => _genl.Request(GenericNetlinkClient.NewRequest(Family, NetDm.NET_DM_CMD_STATS_GET), "NET_DM_CMD_STATS_GET"), "read the statistics");
        foreach (var m in replies)
            if (m.Type == Family.Id && m.Bytes.Length > Nl.HeaderLength && m.Bytes[Nl.HeaderLength] == NetDm.NET_DM_CMD_STATS_NEW)
                return ParseStatistics(m.Bytes, m.ByteOrder, Family.HeaderSize);
        throw new DropMonitorException(DropMonitorErrorKind.KernelError, "The kernel answered NET_DM_CMD_STATS_GET without a NET_DM_CMD_STATS_NEW message.") { Target = NetDm.FamilyName };
    }

    /// <summary>Reads a NET_DM_CMD_STATS_NEW message.</summary>
    public static DropMonitorStatistics ParseStatistics(byte[] message, ByteOrder order, uint headerSize = 0)
    {
        var a = GenericNetlinkClient.Attributes(message, order, headerSize);
        static ulong? Dropped(RawAttribute? nest, ByteOrder order)
        {
            if (nest is not { } n) return null;
            var inner = GenericNetlinkClient.Walk(n.Payload, order);
            return GenericNetlinkClient.Find(inner, NetDm.NET_DM_ATTR_STATS_DROPPED) is { Payload.Length: >= 8 } d ? Endian.U64(d.Payload.Span, order) : 0;
        }
        return new DropMonitorStatistics
        {
            SoftwareDropped = Dropped(GenericNetlinkClient.Find(a, NetDm.NET_DM_ATTR_STATS), order) ?? 0,
            HardwareDropped = Dropped(GenericNetlinkClient.Find(a, NetDm.NET_DM_ATTR_HW_STATS), order),
            Timestamp = DateTimeOffset.Now,
        };
    }

    // ------------------------------------------------------------------------------------------- listener --

    /// <summary>A socket joined to NET_DM's "events" group: every alert the kernel multicasts arrives there.</summary>
    public NetlinkSocket OpenAlertListener(int receiveBufferBytes)
    {
        try
        {
            return GenericNetlinkClient.OpenListener(Family, NetDm.AlertGroup, receiveBufferBytes);
        }
        catch (Win32Exception e)
        {
            throw new DropMonitorException(e.NativeErrorCode is EPERM or EACCES ? DropMonitorErrorKind.PermissionDenied : DropMonitorErrorKind.KernelError,
                $"Cannot join the NET_DM \"{NetDm.AlertGroup}\" group: {e.Message}", e, e.NativeErrorCode) { Target = NetDm.FamilyName };
        }
    }

    // ------------------------------------------------------------------------------------------ errors --

    /// <summary>Runs a kernel call and turns its failures into <see cref="DropMonitorException"/>s that name the cause.</summary>
    internal static T Call<T>(Func<T> call, string what)
    {
        try
        {
            return call();
        }
        catch (NetlinkKernelException e)
        {
            throw FromKernel(e, what);
        }
        catch (TimeoutException e)
        {
            throw new DropMonitorException(DropMonitorErrorKind.KernelError, $"Cannot {what}: {e.Message}", e) { Target = NetDm.FamilyName };
        }
        catch (Win32Exception e)
        {
            throw new DropMonitorException(e.NativeErrorCode is EPERM or EACCES ? DropMonitorErrorKind.PermissionDenied : DropMonitorErrorKind.KernelError,
                $"Cannot {what}: {e.Message}", e, e.NativeErrorCode) { Target = NetDm.FamilyName };
        }
    }

    internal static DropMonitorException FromKernel(NetlinkKernelException e, string what)
    {
        var ext = e.Error.ExtendedMessage is { Length: > 0 } m ? $" (kernel: \"{m}\")" : "";
        var (kind, text) = e.Errno switch
        {
            EPERM or EACCES => (DropMonitorErrorKind.PermissionDenied,
                $"Cannot {what}: the kernel answered {e.Error.ErrorName}{ext}. Configuring, starting and stopping the drop monitor need CAP_NET_ADMIN: run as root."),
            EBUSY => (DropMonitorErrorKind.Busy,
                $"Cannot {what}: drop monitoring is on (started by another session: dropwatch, another Get-PacketDrop), and the kernel refuses configuration changes while it is on (EBUSY){ext}. " +
                "Wait for that session to end; if none is running (one ended without stopping), stop it with Set-DropMonitorConfiguration -StopMonitoring."),
            EAGAIN => (DropMonitorErrorKind.Busy,
                $"Cannot {what}: drop monitoring is already on (started by another session: dropwatch, another Get-PacketDrop; the kernel answered EAGAIN){ext}. " +
                "Wait for that session to end; if none is running (one ended without stopping), stop it with Set-DropMonitorConfiguration -StopMonitoring."),
            EOPNOTSUPP => (DropMonitorErrorKind.FeatureUnsupported, $"Cannot {what}: the kernel does not support it (EOPNOTSUPP){ext}."),
            EINVAL => (DropMonitorErrorKind.KernelError, $"Cannot {what}: the kernel answered EINVAL{ext}."),
            ENOENT => (DropMonitorErrorKind.KernelError, $"Cannot {what}: the kernel answered ENOENT{ext} (was drop_monitor unloaded?)."),
            _ => (DropMonitorErrorKind.KernelError, $"Cannot {what}: {e.Error}"),
        };
        return new DropMonitorException(kind, text, e, e.Errno) { Target = NetDm.FamilyName };
    }

    public void Dispose() => _genl.Dispose();
}
