using System.Management.Automation;
using NlmonPS.Capture;
using NlmonPS.Decoding;
using NlmonPS.DropMonitoring;
using NlmonPS.Protocols.Generic;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Writes netlink messages to a LINKTYPE_NETLINK capture that Wireshark and tcpdump open: pcap, or pcapng with one
/// named interface per source (host, network namespace, device) and records in time order. Messages that came in one
/// record go out in one record with the record's own header and trailing bytes, so a capture read and written again
/// keeps its records byte for byte. Takes deserialized messages too (Import-Clixml, remoting).
/// </summary>
[Cmdlet(VerbsData.Export, "NetlinkPcap", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(NetlinkMessage))]
public sealed class ExportNetlinkPcapCommand : PSCmdlet, IDisposable
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>A NetlinkMessage, or its deserialized form (Import-Clixml, Invoke-Command).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public PSObject? InputObject { get; set; }

    /// <summary>pcap or pcapng; by default pcapng when the file name ends in .pcapng (or an appended file is pcapng).</summary>
    [Parameter]
    public CaptureFormat Format { get; set; }

    [Parameter]
    public SwitchParameter Append { get; set; }

    [Parameter]
    [Alias("NoOverwrite")]
    public SwitchParameter NoClobber { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private NetlinkPcapWriter? _writer;
    private readonly List<byte[]> _pending = new();
    private NetlinkMessage? _pendingFirst, _pendingLast;
    private CaptureSource _pendingSource;
    private bool _pendingWhole;
    private readonly HashSet<(CaptureSource, ushort)> _announcedFamilies = new();
    private long _withoutBytes;

    protected override void BeginProcessing()
    {
        var target = ParameterSetName == LiteralPathSet ? LiteralPath : Path;
        string file = ErrorRecords.PrepareExportTarget(this, target, Append, NoClobber, Force, "NetlinkPcap");
        if (!MyInvocation.BoundParameters.ContainsKey(nameof(Format)))
            Format = Append && ErrorRecords.IsPcapng(file) || file.EndsWith(".pcapng", StringComparison.OrdinalIgnoreCase)
                ? CaptureFormat.Pcapng : CaptureFormat.Pcap;
        if (!ShouldProcess(file, Append ? $"Append netlink messages to {Format} capture file" : $"Write {Format} netlink capture file")) return;
        try
        {
            _writer = NetlinkPcapWriter.Create(file, Append, LinkTypes.Netlink, Format, replace: !NoClobber || Force);
        }
        catch (CaptureFileException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    private readonly HashSet<byte[]> _summaryAlerts = new(ReferenceEqualityComparer.Instance);

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        if (PassThru) WriteObject(InputObject);
        // The locations of one summary alert share its bytes: the alert is written with the first of them that comes,
        // in whatever order they come (Sort-Object interleaves alerts). The set is bounded; a long stream starts over.
        if (InputObject.BaseObject is DropSummary summary)
        {
            if (_summaryAlerts.Count >= 65536) _summaryAlerts.Clear();
            if (!_summaryAlerts.Add(summary.Bytes)) return;
        }
        if (NetlinkMessageConverter.From(InputObject) is not { } message)
        {
            WriteError(new ErrorRecord(new PSArgumentException($"Export-NetlinkPcap writes netlink messages (from Get-NetlinkMessage, Trace-NetlinkCommand, or their deserialized forms); " +
                $"'{InputObject.BaseObject.GetType().Name}' is not one."), "NetlinkPcapInputNotAMessage", ErrorCategory.InvalidArgument, InputObject));
            return;
        }
        Write(message, InputObject);
    }

    /// <summary>
    /// Whether the cmdlet before it (Get-NetlinkMessage, Trace-NetlinkCommand) may hand it messages directly instead of
    /// writing them to the pipeline: it then does with each message what it does with one from the pipeline, and it
    /// writes nothing per message (no -PassThru), so only PowerShell's binding of each message is spared.
    /// </summary>
    internal bool TakesMessagesDirectly => !PassThru && !MyInvocation.BoundParameters.ContainsKey(nameof(InputObject));

    /// <summary>A message handed over by the cmdlet before it (see <see cref="TakesMessagesDirectly"/>).</summary>
    internal void Take(NetlinkMessage message) => Write(message, null);

    private void Write(NetlinkMessage message, PSObject? input)
    {
        if (_writer is null) return;
        if (message.Bytes.Length == 0) { _withoutBytes++; return; }

        var source = Format == CaptureFormat.Pcapng ? SourceOf(message, input) : default;
        // Keep messages that share a record together; anything else starts a new record.
        if (_pendingFirst is not null && !(SameRecord(_pendingFirst, message) && message.Index > _pendingLast!.Index && source == _pendingSource))
            Flush();
        AnnounceGenericFamily(message, source);
        if (_pendingFirst is null)
        {
            _pendingFirst = message;
            _pendingSource = source;
            _pendingWhole = message.Index == 0;
        }
        else _pendingWhole &= message.Index == _pendingLast!.Index + 1;
        _pendingLast = message;
        _pending.Add(message.Bytes);
    }

    /// <summary>The pcapng interface a message goes on: its host (PSComputerName after remoting), namespace and device (or file).</summary>
    private static CaptureSource SourceOf(NetlinkMessage m, PSObject? input)
    {
        var host = m.ComputerName ?? input?.Properties["PSComputerName"]?.Value as string;
        var device = m.Device ?? (m.Source is { } s && s.StartsWith('/') ? System.IO.Path.GetFileName(s) : m.Source);
        return new CaptureSource(host, m.NetNamespace, device);
    }

    private static bool SameRecord(NetlinkMessage a, NetlinkMessage b) =>
        a.RecordNumber != 0 && a.RecordNumber == b.RecordNumber && a.Protocol == b.Protocol &&
        a.Timestamp == b.Timestamp && string.Equals(a.Source, b.Source, StringComparison.Ordinal) &&
        string.Equals(a.ComputerName, b.ComputerName, StringComparison.Ordinal);

    /// <summary>
    /// Wireshark names generic netlink families only from nlctrl messages in the file; when a family's id was
    /// learned elsewhere, write a CTRL_CMD_NEWFAMILY record first (as the drop-monitor tools do).
    /// </summary>
    private void AnnounceGenericFamily(NetlinkMessage m, CaptureSource source)
    {
        if (m.Protocol != NetlinkProtocol.Generic) return;
        if (m.Type == 16)
        {
            if (m.Attributes["family_id"] is ushort learned) _announcedFamilies.Add((source, learned));
            return;
        }
        if (m.Type < Nl.NLMSG_MIN_TYPE || m.Family is null || m.Family.StartsWith("genl(", StringComparison.Ordinal) || !_announcedFamilies.Add((source, m.Type)))
            return;
        Flush();
        var announce = new MessageBuilder(16, 0).AddBytes(new byte[] { 1, 2, 0, 0 })
            .AddU16(1, m.Type).AddString(2, m.Family).ToArray();
        WriteRecord(() => _writer!.Write(m.Timestamp, NetlinkProtocol.Generic, new[] { announce }, source: source));
    }

    private void Flush()
    {
        if (_pendingFirst is not { } first) return;
        // The record's trailing bytes and snaplen length belong to it only when every message of it is here.
        bool whole = _pendingWhole && _pendingLast!.IsLastInRecord;
        WriteRecord(() => _writer!.Write(first.Timestamp, first.Protocol, _pending,
            whole ? first.RecordLength : 0, first.Record.LinkHeader, whole ? first.RecordOriginalLength : null, _pendingSource));
        _pending.Clear();
        _pendingFirst = _pendingLast = null;
    }

    private void WriteRecord(Action write)
    {
        try
        {
            write();
        }
        catch (CaptureFileException ex) when (!_disposing)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    private bool _disposing;

    protected override void EndProcessing()
    {
        if (_writer is null) return;
        Flush();
        try
        {
            _writer.Complete();
        }
        catch (CaptureFileException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
        if (_withoutBytes > 0) WriteWarning($"{_withoutBytes} message(s) carried no bytes and were not written to {_writer.Path}.");
        WriteVerbose($"Wrote {_writer.RecordsWritten} records to {_writer.Path} ({_writer.Format}" +
            (_writer.Format == CaptureFormat.Pcapng ? $", {_writer.InterfaceCount} interfaces)." : ")."));
        _writer = null;
    }

    public void Dispose()
    {
        // Stopped early (Ctrl+C, an error upstream): keep what was already written. A failed write already
        // removed its file; Dispose then does nothing.
        if (_writer is null) return;
        _disposing = true;
        try { Flush(); } catch (CaptureFileException) { /* the disk failed while stopping: the target stays as it was */ }
        _writer.Dispose();
        _writer = null;
    }
}
