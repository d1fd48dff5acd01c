using System.Diagnostics;
using System.Management.Automation;
using NlmonPS.Capture;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// The live parameter set of Get-NetlinkMessage (no -Path): captures from an nlmon device and streams each
/// message as it arrives.
/// </summary>
public sealed partial class GetNetlinkMessageCommand
{
    private const string LiveSet = "Live";

    [Parameter(ParameterSetName = LiveSet)]
    [Alias("Interface", "Device")]
    [ArgumentCompleter(typeof(NlmonDeviceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? InterfaceName { get; set; }

    [Parameter(ParameterSetName = LiveSet)]
    [SecondsToTimeSpan]
    public TimeSpan Duration { get; set; }

    [Parameter(ParameterSetName = LiveSet)]
    [ValidateRange(1, 1 << 30)]
    public int BufferSize { get; set; } = LiveCaptureOptions.DefaultBufferSize;

    [Parameter(ParameterSetName = LiveSet)]
    [Alias("Netns")]
    [ArgumentCompleter(typeof(NetNamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? NetNamespace { get; set; }

    private NlmonLiveCapture? _live;
    private volatile bool _stopping;

    protected override void StopProcessing()
    {
        _stopping = true;
        _capture?.Stop();   // a file read skipping frames stops at the next record
    }

    private void CaptureLive()
    {
        if (_protocols is { Length: > 0 } && _protocols.Where(p => !NetlinkProtocols.IsSeenByNlmon(p)).ToArray() is { Length: > 0 } wrong)
            ThrowTerminatingError(ErrorRecords.ProtocolNotCaptured(wrong));
        DurationParameter.Check(this, Duration);

        var target = (object?)InterfaceName ?? NetNamespace;
        try
        {
            var options = new LiveCaptureOptions
            {
                InterfaceName = InterfaceName,
                Protocols = _protocols,
                BufferSize = BufferSize,
                NetNamespacePath = NlmonDeviceClients.ResolveNamespace(NetNamespace),
            };
            _live = NlmonLiveCapture.Start(options, () => _stopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception ex) when (ErrorRecords.IsExpected(ex) || ex is NlmonDeviceNotFoundException or NlmonDeviceDownException)
        {
            ThrowTerminatingError(ErrorRecords.From(ex, target));
        }

        var live = _live!;
        var decoder = new NetlinkDecoder(_options);
        foreach (var (id, name) in live.GenericFamilies) decoder.Context.GenericFamilies.Learn(id, name);
        // As for files: messages -MessageType or -Filter surely reject are not decoded (under a storm, decoding what
        // is dropped anyway is CPU the reader needs to keep up); what they teach is still learned.
        _filter.GenericFamilies = decoder.Context.GenericFamilies;
        var decoded = new List<NetlinkMessage>();
        // In this namespace the kernel can name the interfaces the capture's messages refer to before they say it.
        if (NetNamespace is null) KernelClients.RtnetlinkLinks.Seed(decoder.Context.Links);
        FlushNotes(live);
        WriteVerbose($"Capturing on {live.InterfaceName}{(live.IsTemporaryDevice ? " (temporary, removed at the end)" : "")} " +
            $"in network namespace {live.NetNamespace}" + (Duration > TimeSpan.Zero ? $" for {Duration}" : "") + (Count > 0 ? $", until {Count} messages" : "") + ".");

        var clock = Stopwatch.StartNew();
        bool draining = false;
        try
        {
            while (!_stopping && !_filter.IsComplete)
            {
                int wait = 100;
                if (Duration > TimeSpan.Zero && !draining)
                {
                    var left = Duration - clock.Elapsed;
                    if (left <= TimeSpan.Zero)
                    {
                        // Time is up: stop reading, then write out what was read in time (the reader may lag).
                        live.StopReading();
                        draining = true;
                    }
                    else
                    {
                        wait = (int)Math.Clamp(left.TotalMilliseconds, 1, 100);
                    }
                }
                if (draining) wait = 0;
                if (!live.TryTake(out var record, wait))
                {
                    if (live.IsCompleted || draining) break;
                    continue;
                }
                if (!_filter.WantsProtocol(record.Protocol) && record.Protocol != NetlinkProtocol.Generic) continue;
                decoded.Clear();
                decoder.Decode(record, _filter.TypeTest, decoded, _filter.BytesTest);
                foreach (var message in decoded)
                {
                    _filter.Write(message, this);
                    if (_filter.IsComplete) break;
                }
            }
        }
        finally
        {
            EndLive();
        }
    }

    /// <summary>Stops the capture (removing a temporary device) and reports what the kernel dropped.</summary>
    private void EndLive()
    {
        var live = _live;
        if (live is null) return;
        _live = null;
        var (packets, drops) = live.Stop();
        try
        {
            if (live.Fault is { } fault)
                WriteError(ErrorRecords.From(fault, live.InterfaceName));
            FlushNotes(live);
            if (live.RemoveFailure is { } failure)
                WriteError(ErrorRecords.From(failure, live.InterfaceName));
            WriteVerbose($"Read {live.RecordsRead} frames from {live.InterfaceName}; the kernel filter passed {packets}, dropped {drops}; " +
                $"at most {live.PeakBacklogBytes / 1024} KiB waited for the pipeline.");
            if (drops > 0)
                WriteWarning($"The kernel dropped {drops} of {packets} netlink frames on {live.InterfaceName}: the capture's ring buffer " +
                    $"({live.BufferSize} bytes, -BufferSize {BufferSize}) was full" +
                    (live.PeakBacklogBytes >= NlmonLiveCapture.BacklogLimit ? $" because {NlmonLiveCapture.BacklogLimit >> 20} MiB of messages were waiting for the pipeline" : "") +
                    ". Those messages are missing from the output. " +
                    "Use a larger -BufferSize, capture fewer protocols with -Protocol, or write to a file (| Export-NetlinkPcap) instead of formatting to the screen.");
        }
        catch (PipelineStoppedException)
        {
            // Stopped (Ctrl+C, Select-Object -First): the pipeline takes no more output. The device is gone already.
        }
    }

    private void FlushNotes(NlmonLiveCapture live)
    {
        foreach (var note in live.DrainNotes()) WriteVerbose(note);
    }

    private void DisposeLive()
    {
        // Reached when the pipeline stops between records; EndLive has usually run already.
        _live?.Stop();
        _live?.Dispose();
        _live = null;
    }
}
