using System.Runtime.InteropServices;
using NlmonPS.KernelClients;

namespace NlmonPS.DropMonitoring;

/// <summary>What Get-PacketDrop asks of the kernel.</summary>
internal sealed class DropMonitorSessionOptions
{
    /// <summary>Null: packet mode where the kernel has it, else summary.</summary>
    public DropAlertMode? Mode { get; init; }
    /// <summary>Null: keep the kernel's setting.</summary>
    public uint? TruncateLength { get; init; }
    /// <summary>Null: keep the kernel's setting.</summary>
    public uint? QueueLength { get; init; }
    public DropMonitorOrigin Origin { get; init; } = DropMonitorOrigin.Software;
    /// <summary>SO_RCVBUF(FORCE) of the alert socket: bursts of alerts wait there while the pipeline is busy.</summary>
    public int ReceiveBufferBytes { get; init; } = 32 << 20;
}

/// <summary>What a session lost and how it ended, for the cmdlet's warnings and verbose lines.</summary>
internal sealed class DropMonitorSessionReport
{
    /// <summary>recv() said ENOBUFS this many times: the socket overflowed and the kernel threw alerts away (how many is not known).</summary>
    public long BufferOverruns { get; init; }
    /// <summary>Software drop alerts the kernel dropped during the session (per-CPU queue full): its counter's growth.</summary>
    public ulong? KernelSoftwareDropped { get; init; }
    public ulong? KernelHardwareDropped { get; init; }
    public long AlertsReceived { get; init; }
    /// <summary>The configuration is what it was before the session (or nothing was changed).</summary>
    public bool Restored { get; init; }
    /// <summary>Problems while stopping (the stop or the restore failed): each one line.</summary>
    public IReadOnlyList<string> Problems { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();

    public bool LostAny => BufferOverruns > 0 || KernelSoftwareDropped > 0 || KernelHardwareDropped > 0;
}

/// <summary>
/// One monitoring session: reads the configuration, sets what was asked, joins the "events" group, starts, reads
/// alerts (poll with a timeout, so the caller can stop at any time), then stops, puts the configuration back and
/// works out what was lost (ENOBUFS on the socket, the kernel's own dropped counter).
/// </summary>
internal sealed unsafe class DropMonitorSession : IDisposable
{
    private readonly DropMonitorClient _client;
    private readonly NetlinkSocket _listener;
    private readonly DropMonitorSessionOptions _options;
    private readonly DropMonitorStatistics? _statsBefore;
    private readonly bool _configChanged;
    private byte[] _buffer = new byte[256 * 1024];
    private long _overruns, _alerts, _records;
    private DateTimeOffset _lastSummary;
    private DropMonitorSessionReport? _report;

    private DropMonitorSession(DropMonitorClient client, NetlinkSocket listener, DropMonitorSessionOptions options,
        DropMonitorConfiguration original, DropMonitorConfiguration active, bool configChanged, DropMonitorStatistics? statsBefore)
    {
        _client = client; _listener = listener; _options = options;
        OriginalConfiguration = original; ActiveConfiguration = active; _configChanged = configChanged; _statsBefore = statsBefore;
        StartedAt = _lastSummary = DateTimeOffset.Now;
        // Monitoring stays on, reconfigured, after the process is gone: if pwsh is terminated (SIGTERM), Stop runs from the signal.
        _exitCleanup = ProcessExitCleanup.Register(() => Stop());
    }

    private readonly IDisposable _exitCleanup;
    private readonly object _stopGate = new();

    public DropMonitorConfiguration OriginalConfiguration { get; }
    public DropMonitorConfiguration ActiveConfiguration { get; }
    public DropAlertMode Mode => ActiveConfiguration.AlertMode;
    public DropMonitorOrigin Origin => _options.Origin;
    public DateTimeOffset StartedAt { get; }
    public bool IsStopped => _report is not null;
    public GenericNetlinkFamily Family => _client.Family;
    public long BufferOverruns => Interlocked.Read(ref _overruns);

    /// <summary>Sets the parsing context (names for devices and addresses) used by <see cref="Read"/>.</summary>
    public Func<KernelSymbols?>? Symbols { get; set; }
    public InterfaceTable? Interfaces { get; set; }

    public static DropMonitorSession Start(DropMonitorClient client, DropMonitorSessionOptions options, Action<string>? verbose = null)
    {
        var mode = options.Mode ?? (client.SupportsPacketMode ? DropAlertMode.Packet : DropAlertMode.Summary);
        if (mode == DropAlertMode.Packet && !client.SupportsPacketMode)
            throw new DropMonitorException(DropMonitorErrorKind.FeatureUnsupported,
                $"This kernel's drop monitor has no packet mode (NET_DM maxattr {client.Family.MaxAttribute}; packet mode came with kernel 5.4): use -Mode Summary.") { Target = NetDm.FamilyName };

        var original = client.SupportsPacketMode ? client.GetConfiguration() : new DropMonitorConfiguration { AlertMode = DropAlertMode.Summary };
        verbose?.Invoke($"Drop monitor configuration before: {original}.");
        var statsBefore = client.SupportsStatistics && client.SupportsPacketMode ? client.GetStatistics() : null;

        // Join the group before starting, so the first alerts are not missed.
        var listener = client.OpenAlertListener(options.ReceiveBufferBytes);
        bool changed = false;
        try
        {
            DropAlertMode? setMode = mode != original.AlertMode ? mode : null;
            uint? setTrunc = options.TruncateLength is { } t && t != original.TruncateLength ? t : null;
            uint? setQueue = options.QueueLength is { } q && q != original.QueueLength ? q : null;
            if (setMode is not null || setTrunc is not null || setQueue is not null)
            {
                if (setMode == DropAlertMode.Summary && !client.SupportsPacketMode) setMode = null;
                if (setMode is not null || setTrunc is not null || setQueue is not null)
                {
                    client.SetConfiguration(setMode, setTrunc, setQueue);
                    changed = true;
                }
            }
            var active = new DropMonitorConfiguration
            {
                AlertMode = mode,
                TruncateLength = options.TruncateLength ?? original.TruncateLength,
                QueueLength = options.QueueLength ?? original.QueueLength,
                Monitoring = true,
            };
            if (changed) verbose?.Invoke($"Set the drop monitor to {active}.");
            try
            {
                client.Start(options.Origin);
            }
            catch (DropMonitorException)
            {
                if (changed) TryRestore(client, original, out _);
                throw;
            }
            verbose?.Invoke($"Monitoring {options.Origin.ToString().ToLowerInvariant()} drops in {mode.ToString().ToLowerInvariant()} mode (NET_DM_CMD_START).");
            return new DropMonitorSession(client, listener, options, original, active, changed, statsBefore);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for one datagram of alerts and returns what it held
    /// (<see cref="PacketDrop"/>s or <see cref="DropSummary"/>s); empty when the time passed first.
    /// ENOBUFS (the socket overflowed) is counted, not thrown.
    /// </summary>
    public List<object> Read(int timeoutMs)
    {
        var pfd = new Libc.PollFd { Fd = _listener.Handle, Events = Libc.POLLIN };
        int ready = Libc.poll(&pfd, 1, timeoutMs);
        if (ready < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR) return new List<object>();
            throw new DropMonitorException(DropMonitorErrorKind.KernelError, $"poll on the NET_DM socket failed: errno {errno}", null, errno);
        }
        if (ready == 0) return new List<object>();
        while (true)
        {
            nint n;
            fixed (byte* p = _buffer) n = Libc.recv(_listener.Handle, p, _buffer.Length, Libc.MSG_DONTWAIT | MSG_TRUNC);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.ENOBUFS) { Interlocked.Increment(ref _overruns); continue; }
                if (errno is Libc.EAGAIN or Libc.EINTR) return new List<object>();
                throw new DropMonitorException(DropMonitorErrorKind.KernelError, $"recv on the NET_DM socket failed: errno {errno}", null, errno);
            }
            if (n > _buffer.Length)
            {
                // MSG_TRUNC tells the real size: grow and read the next one whole (this one is lost, and counted).
                _buffer = new byte[(int)n + 4096];
                Interlocked.Increment(ref _overruns);
                continue;
            }
            var now = DateTimeOffset.Now;
            var interval = now - _lastSummary;
            var context = new DropAlertContext
            {
                Symbols = Symbols,
                Interfaces = Interfaces is { } table ? table.Get : null,
                NetNamespace = Interfaces?.NetNamespace,
                ReceivedAt = now,
                RecordNumber = ++_records,
                Interval = interval,
            };
            var alerts = DropAlertParser.ParseDatagram(_buffer.AsMemory(0, (int)n).ToArray(), _client.Family, context);
            if (alerts.Any(a => a is DropSummary)) _lastSummary = now;
            _alerts += alerts.Count;
            return alerts;
        }
    }

    private const int MSG_TRUNC = 0x20;

    /// <summary>
    /// Empties the socket without parsing: the number of alert messages (packet alerts, or drop locations of
    /// summary alerts) that had arrived but were not read.
    /// </summary>
    public long DiscardPending()
    {
        long count = 0;
        while (true)
        {
            nint n;
            fixed (byte* p = _buffer) n = Libc.recv(_listener.Handle, p, _buffer.Length, Libc.MSG_DONTWAIT);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.ENOBUFS) { Interlocked.Increment(ref _overruns); continue; }
                if (errno == Libc.EINTR) continue;
                return count;
            }
            if (n == 0) return count;
            foreach (var raw in NlmonPS.Wire.NetlinkMessageSplitter.Split(_buffer.AsMemory(0, (int)n), NlmonPS.Wire.Endian.Host))
            {
                if (raw.IsMalformed || raw.Header.Type != _client.Family.Id || raw.Bytes.Length <= NlmonPS.Wire.Nl.HeaderLength) continue;
                var command = raw.Bytes.Span[NlmonPS.Wire.Nl.HeaderLength];
                if (command == NetDm.NET_DM_CMD_PACKET_ALERT) count++;
                else if (command == NetDm.NET_DM_CMD_ALERT) count += Math.Max(1, DropAlertParser.ParseSummaryAlert(raw.Bytes.ToArray(), NlmonPS.Wire.Endian.Host, _client.Family.Id, new DropAlertContext(), _client.Family.HeaderSize).Count);
            }
        }
    }

    /// <summary>
    /// Stops monitoring, puts the configuration back and reads the kernel's dropped counter. Safe to call more
    /// than once (the first report is returned again); never throws: problems are in the report.
    /// </summary>
    public DropMonitorSessionReport Stop()
    {
        lock (_stopGate) return StopOnce();
    }

    private DropMonitorSessionReport StopOnce()
    {
        if (_report is not null) return _report;
        _exitCleanup.Dispose();
        var problems = new List<string>();
        var notes = new List<string>();
        try
        {
            _client.Stop(_options.Origin);
            notes.Add("Stopped monitoring (NET_DM_CMD_STOP).");
        }
        catch (DropMonitorException e)
        {
            problems.Add($"Stopping the drop monitor failed: {e.Message}");
        }
        bool restored = !_configChanged;
        if (_configChanged)
        {
            restored = TryRestore(_client, OriginalConfiguration, out var problem);
            if (problem is not null) problems.Add(problem);
            else notes.Add($"Restored the drop monitor configuration: {OriginalConfiguration}.");
        }
        ulong? sw = null, hw = null;
        if (_statsBefore is not null)
        {
            try
            {
                var after = _client.GetStatistics();
                sw = after.SoftwareDropped >= _statsBefore.SoftwareDropped ? after.SoftwareDropped - _statsBefore.SoftwareDropped : after.SoftwareDropped;
                if (after.HardwareDropped is { } h) hw = h >= (_statsBefore.HardwareDropped ?? 0) ? h - (_statsBefore.HardwareDropped ?? 0) : h;
            }
            catch (DropMonitorException e)
            {
                problems.Add($"Reading the drop monitor's statistics failed, so its own losses are unknown: {e.Message}");
            }
        }
        return _report = new DropMonitorSessionReport
        {
            BufferOverruns = BufferOverruns, KernelSoftwareDropped = sw, KernelHardwareDropped = hw, AlertsReceived = _alerts,
            Restored = restored, Problems = problems, Notes = notes,
        };
    }

    private static bool TryRestore(DropMonitorClient client, DropMonitorConfiguration original, out string? problem)
    {
        problem = null;
        try
        {
            client.SetConfiguration(client.SupportsPacketMode ? original.AlertMode : null,
                client.SupportsPacketMode ? original.TruncateLength : null, client.SupportsPacketMode ? original.QueueLength : null);
            return true;
        }
        catch (DropMonitorException e)
        {
            problem = $"Restoring the drop monitor configuration ({original}) failed: {e.Message}";
            return false;
        }
    }

    public void Dispose()
    {
        Stop();
        _listener.Dispose();
    }
}
