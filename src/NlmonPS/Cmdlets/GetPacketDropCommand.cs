using System.Management.Automation;
using NlmonPS.Decoding;
using NlmonPS.DropMonitoring;
using NlmonPS.KernelClients;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Watches the kernel drop monitor (NET_DM) and writes each dropped packet (packet mode) or each drop location
/// with its count (summary mode) as it arrives. Stops on Ctrl+C, -Count or -Duration, then stops monitoring and
/// puts the drop monitor's configuration back as it was. Lost alerts are reported as warnings.
/// </summary>
[Cmdlet(VerbsCommon.Get, "PacketDrop", DefaultParameterSetName = LiveSet)]
[OutputType(typeof(PacketDrop), typeof(DropSummary))]
public sealed class GetPacketDropCommand : PSCmdlet, IDisposable
{
    private const string LiveSet = "Live", PathSet = "Path", LiteralPathSet = "LiteralPath";

    /// <summary>Saved NET_DM captures to read the drops from instead of the live drop monitor (wildcards).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    /// <summary>Packet (each drop with the packet; the default where the kernel has it) or Summary (locations and counts).</summary>
    [Parameter(ParameterSetName = LiveSet)]
    public DropAlertMode Mode { get; set; }

    /// <summary>Bytes of each packet to copy (0: the whole packet). Default: the kernel's current setting.</summary>
    [Parameter(ParameterSetName = LiveSet)]
    [ValidateRange(0, int.MaxValue)]
    [Alias("TruncLen")]
    public int TruncateLength { get; set; }

    /// <summary>Packets each CPU may queue for user space before the kernel counts them as lost. Default: the kernel's current setting.</summary>
    [Parameter(ParameterSetName = LiveSet)]
    [ValidateRange(1, int.MaxValue)]
    public int QueueLength { get; set; }

    /// <summary>Software drops (the default), hardware drops (devlink traps), or All.</summary>
    [Parameter(ParameterSetName = LiveSet)]
    public DropMonitorOrigin Origin { get; set; } = DropMonitorOrigin.Software;

    /// <summary>Stop after this many objects (after the filters).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    [Alias("First")]
    public int Count { get; set; }

    /// <summary>Stop after this long (a TimeSpan, or a number of seconds).</summary>
    [Parameter(ParameterSetName = LiveSet)]
    [SecondsToTimeSpan]
    public TimeSpan Duration { get; set; }

    /// <summary>Only drops of packets received on these devices (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [Alias("Interface")]
    [ArgumentCompleter(typeof(LinkNameCompleter))]
    public string[]? InterfaceName { get; set; }

    /// <summary>Only drops at these locations: the function ("__udp4_lib_rcv") or the whole location (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [Alias("Location")]
    public string[]? Symbol { get; set; }

    /// <summary>Only drops with these reasons ("NO_SOCKET", "NETFILTER_*"; wildcards, any case).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DropReasonCompleter))]
    public string[]? Reason { get; set; }

    /// <summary>Only packets of these protocols: EtherType names or numbers (IPv4, IPv6, ARP, 0x88cc) or transports (TCP, UDP, ICMP, ICMPv6).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PacketProtocolCompleter))]
    public string[]? Protocol { get; set; }

    /// <summary>The network namespace whose device names are used (ip netns name or a path).</summary>
    [Parameter(ParameterSetName = LiveSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetNamespaceCompleter))]
    public string? NetNamespace { get; set; }

    private volatile bool _stopping;
    private DropMonitorClient? _client;
    private DropMonitorSession? _session;
    private InterfaceTable? _interfaces;
    private bool _kallsymsWarned;

    protected override void ProcessRecord()
    {
        DurationParameter.Check(this, Duration);
        CheckReasons();
        var filter = BuildFilter();
        if (ParameterSetName != LiveSet)
        {
            ReadSaved(filter);
            return;
        }
        var mode = MyInvocation.BoundParameters.ContainsKey(nameof(Mode)) ? Mode : (DropAlertMode?)null;
        if (mode == DropAlertMode.Summary) RefuseSummaryFilters(filter);
        try
        {
            _client = DropMonitorClient.Open(WriteVerbose);
            mode ??= _client.SupportsPacketMode ? DropAlertMode.Packet : DropAlertMode.Summary;
            if (mode == DropAlertMode.Summary) RefuseSummaryFilters(filter);
            _interfaces = InterfaceTable.Open(NetNamespace);
            CheckInterfaceNames();
            _session = DropMonitorSession.Start(_client, new DropMonitorSessionOptions
            {
                Mode = mode,
                TruncateLength = MyInvocation.BoundParameters.ContainsKey(nameof(TruncateLength)) ? (uint)TruncateLength : null,
                QueueLength = MyInvocation.BoundParameters.ContainsKey(nameof(QueueLength)) ? (uint)QueueLength : null,
                Origin = Origin,
            }, WriteVerbose);
            _session.Interfaces = _interfaces;
            _session.Symbols = Symbols;
        }
        catch (DropMonitorException e)
        {
            Cleanup();
            ThrowTerminatingError(ErrorRecords.From(e));
        }
        catch (Exception e) when (ErrorRecords.IsSystem(e))
        {
            Cleanup();
            ThrowTerminatingError(ErrorRecords.From(e, null, ErrorRecords.Area.DropMonitor));
        }

        try
        {
            Monitor(_session!, filter);
        }
        finally
        {
            Finish();
        }
    }

    /// <summary>
    /// A -Reason that matches no reason the kernel knows would filter out every drop: an error naming the nearest
    /// reasons. Where the running kernel's list cannot be read (no tracefs), the module's list may be older than the
    /// kernel, so only a warning.
    /// </summary>
    private void CheckReasons()
    {
        if (Reason is null) return;
        var known = DropReasons.Known(out bool fromKernel);
        foreach (var reason in Reason)
        {
            var pattern = WildcardPattern.Get(reason, WildcardOptions.IgnoreCase);
            if (known.Any(pattern.IsMatch)) continue;
            var text = $"-Reason '{reason}' matches no drop reason {(fromKernel ? "this kernel reports" : "NlmonPS knows (this kernel's own list is in tracefs, readable by root)")}." +
                NameSuggestions.DidYouMean(NameSuggestions.Closest(reason.Replace("*", "").Replace("?", ""), known)) + " Press Tab after -Reason for the list.";
            // A saved capture may come from another kernel, whose reasons this one does not know.
            if (!fromKernel || ParameterSetName != LiveSet)
            {
                WriteWarning(text);
                continue;
            }
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(text), "DropMonitorUnknownReason", ErrorCategory.InvalidArgument, reason));
        }
    }

    /// <summary>
    /// Drops from saved captures of NET_DM traffic, through the same filters: one decoder across the files, so a
    /// family id learned from one file's nlctrl lookup holds in the next.
    /// </summary>
    private void ReadSaved(PacketDropFilter filter)
    {
        // Values of a generic family the file never names (dwdump writes no nlctrl lookup) are zeroed as possible key
        // material unless revealed; the drops are all this reads, and they carry their packets, as live.
        var decoder = new NetlinkDecoder(new DecodeOptions { RevealSecrets = true });
        bool literal = ParameterSetName == LiteralPathSet;
        bool counted = MyInvocation.BoundParameters.ContainsKey(nameof(Count));
        int written = 0;
        long messages = 0;
        // Functions are learned per file: captures of other boots place the kernel elsewhere (KASLR).
        var seen = new Dictionary<string, CaptureSymbols>();
        foreach (var message in CapturePaths.Messages(this, literal ? LiteralPath : Path, literal, decoder, NoAlertsIn))
        {
            if (_stopping) return;
            messages++;
            // A malformed alert gives no drop: told, not lost (the file's other traffic is not this cmdlet's to judge).
            if (message.IsMalformed && SavedDropAlerts.IsAlert(message)) WriteError(ErrorRecords.Malformed(message));
            var symbols = message.Source is { } source ? seen.TryGetValue(source, out var known) ? known : seen[source] = new CaptureSymbols() : null;
            foreach (var alert in SavedDropAlerts.From(message, symbols))
            {
                // Summary alerts carry no packet: a filter on packet fields cannot be met by them.
                if (!filter.Matches(alert) || alert is DropSummary && filter.FiltersPacketFields) continue;
                WriteObject(alert);
                if (++written >= Count && counted) return;
            }
        }
        WriteVerbose($"Read {messages} netlink messages; {written} drops passed the filters.");
    }

    /// <summary>Export-PacketDropPcap's frames (LINUX_SLL2) are the packets alone: the location and reason are not in them.</summary>
    private void NoAlertsIn(string file, long messages)
    {
        if (messages > 0) return;
        WriteError(new ErrorRecord(new InvalidDataException(
            $"'{file}' holds no netlink messages, so no NET_DM alerts to read drops from. A file of Export-PacketDropPcap holds the dropped packets as " +
            "LINUX_SLL2 frames, without the drop location and reason: open it with tcpdump or Wireshark. To keep drops readable, save the NET_DM " +
            "messages themselves (Get-NetlinkMessage on an nlmon device while the drop monitor runs, piped to Export-NetlinkPcap, or dwdump)."),
            "PacketDropFileWithoutAlerts", ErrorCategory.InvalidData, file));
    }

    private void RefuseSummaryFilters(PacketDropFilter filter)
    {
        if (!filter.FiltersPacketFields) return;
        Cleanup();
        ThrowTerminatingError(ErrorRecords.FilterNeedsPacketMode());
    }

    private PacketDropFilter BuildFilter()
    {
        try
        {
            return new PacketDropFilter(InterfaceName, Symbol, Reason, Protocol);
        }
        catch (DropMonitorException e)
        {
            ThrowTerminatingError(ErrorRecords.UnknownProtocol(e));
            throw;
        }
    }

    /// <summary>A device name without wildcards must exist (in the namespace used), or nothing could ever match.</summary>
    private void CheckInterfaceNames()
    {
        if (InterfaceName is null) return;
        foreach (var name in InterfaceName.Where(NamePattern.IsLiteral))
            if (_interfaces!.Find(name) is null)
                throw new DropMonitorException(DropMonitorErrorKind.NotFound,
                    $"There is no network device '{name}' in {(NetNamespace is null ? "this network namespace" : $"the network namespace '{NetNamespace}'")}.") { Target = name };
    }

    private KernelSymbols? Symbols()
    {
        var symbols = KernelSymbols.Shared(TimeSpan.FromMinutes(5));
        if (symbols.Unavailable is { } why && !_kallsymsWarned)
        {
            _kallsymsWarned = true;
            WriteWarning($"Drop locations stay as addresses: {why}.");
        }
        return symbols.Unavailable is null ? symbols : null;
    }

    private void Monitor(DropMonitorSession session, PacketDropFilter filter)
    {
        long deadline = MyInvocation.BoundParameters.ContainsKey(nameof(Duration)) ? Environment.TickCount64 + (long)Duration.TotalMilliseconds : long.MaxValue;
        bool counted = MyInvocation.BoundParameters.ContainsKey(nameof(Count));
        int written = 0;
        long overrunsSeen = 0;
        while (!_stopping)
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0) break;
            foreach (var alert in session.Read((int)Math.Min(250, left)))
            {
                if (!filter.Matches(alert)) continue;
                WriteObject(alert);
                if (counted && ++written >= Count) return;
            }
            if (session.BufferOverruns > overrunsSeen)
            {
                WriteWarning($"The NET_DM socket overflowed (ENOBUFS): the kernel threw alerts away because they came faster than the pipeline took them ({session.BufferOverruns} time(s) so far). Filter less downstream, or use -Mode Summary.");
                overrunsSeen = session.BufferOverruns;
            }
        }
        if (_stopping) return;
        // -Duration: stop first, then hand over what was already on its way (for a second at most: a flood can
        // leave more in the socket than is worth waiting for; the socket's backlog is not a loss).
        session.Stop();
        long drainUntil = Environment.TickCount64 + 1000;
        while (!_stopping && Environment.TickCount64 < drainUntil)
        {
            var rest = session.Read(0);
            if (rest.Count == 0) break;
            foreach (var alert in rest)
            {
                if (!filter.Matches(alert)) continue;
                WriteObject(alert);
                if (counted && ++written >= Count) return;
            }
        }
        if (!_stopping && session.DiscardPending() is var unread and > 0)
            WriteWarning($"{unread} alert(s) (before the filters) of drops before the end of -Duration were still waiting in the NET_DM socket and were not written: " +
                "they came faster than the pipeline took them. Filter less downstream, narrow the drops with -TruncateLength, or use -Mode Summary.");
    }

    /// <summary>Stops, restores, and reports losses: as warnings, or straight to the host when the pipeline is stopping.</summary>
    private void Finish()
    {
        if (_session is null) { Cleanup(); return; }
        var report = _session.Stop();
        foreach (var note in report.Notes) Say(note, warning: false);
        foreach (var problem in report.Problems) Say(problem, warning: true);
        if (report.BufferOverruns > 0)
            Say($"Alerts were lost: the NET_DM socket overflowed {report.BufferOverruns} time(s) (ENOBUFS); the kernel does not say how many alerts each time.", warning: true);
        if (report.KernelSoftwareDropped > 0)
            Say($"The drop monitor lost {report.KernelSoftwareDropped} software drop alert(s): its per-CPU queue ({_session.ActiveConfiguration.QueueLength} packets) was full (NET_DM_ATTR_STATS_DROPPED). Raise -QueueLength or lower -TruncateLength.", warning: true);
        if (report.KernelHardwareDropped > 0)
            Say($"The drop monitor lost {report.KernelHardwareDropped} hardware drop alert(s): its queue was full (NET_DM_ATTR_HW_STATS). Raise -QueueLength.", warning: true);
        if (!report.LostAny && report.KernelSoftwareDropped is not null)
            Say($"No alerts lost ({report.AlertsReceived} received; the kernel's dropped counter did not move).", warning: false);
        Cleanup();
    }

    private void Say(string text, bool warning)
    {
        try
        {
            if (warning) WriteWarning(text); else WriteVerbose(text);
        }
        catch (Exception e) when (e is PipelineStoppedException or InvalidOperationException)
        {
            // The pipeline is stopping (Ctrl+C, Select-Object -First): warnings still reach the user through the host.
            if (warning) Host?.UI?.WriteWarningLine(text);
        }
    }

    private void Cleanup()
    {
        _session?.Dispose();
        _session = null;
        _client?.Dispose();
        _client = null;
        _interfaces?.Dispose();
        _interfaces = null;
    }

    protected override void StopProcessing() => _stopping = true;

    public void Dispose() => Cleanup();
}
