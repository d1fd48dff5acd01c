using System.Management.Automation;
using NlmonPS.Capture;
using NlmonPS.Decoding;
using NlmonPS.Protocols.Generic;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Writes netlink messages to a LINKTYPE_NETLINK pcap file that Wireshark and tcpdump open. Messages that came
/// in one record go out in one record, so a capture read and written again keeps its records byte for byte.
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

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public NetlinkMessage? InputObject { get; set; }

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
    private NetlinkMessage? _pendingFirst;
    private int _pendingLastIndex;
    private readonly HashSet<ushort> _announcedFamilies = new();

    protected override void BeginProcessing()
    {
        var target = ParameterSetName == LiteralPathSet ? LiteralPath : Path;
        string file = ErrorRecords.PrepareExportTarget(this, target, Append, NoClobber, Force, "NetlinkPcap");
        if (!ShouldProcess(file, Append ? "Append netlink messages to capture file" : "Write netlink capture file")) return;
        try
        {
            _writer = NetlinkPcapWriter.Create(file, Append);
        }
        catch (CaptureFileException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    protected override void ProcessRecord()
    {
        if (InputObject is not { } message) return;
        if (PassThru) WriteObject(message);
        if (_writer is null) return;
        if (message.Bytes.Length == 0) return;

        // Keep messages that share a record together; anything else starts a new record.
        if (_pendingFirst is not null && !(SameRecord(_pendingFirst, message) && message.Index > _pendingLastIndex))
            Flush();
        AnnounceGenericFamily(message);
        _pendingFirst ??= message;
        _pendingLastIndex = message.Index;
        _pending.Add(message.Bytes);
    }

    private static bool SameRecord(NetlinkMessage a, NetlinkMessage b) =>
        a.RecordNumber != 0 && a.RecordNumber == b.RecordNumber && a.Protocol == b.Protocol &&
        a.Timestamp == b.Timestamp && string.Equals(a.Source, b.Source, StringComparison.Ordinal);

    /// <summary>
    /// Wireshark names generic netlink families only from nlctrl messages in the file; when a family's id was
    /// learned elsewhere, write a CTRL_CMD_NEWFAMILY record first (as the drop-monitor tools do).
    /// </summary>
    private void AnnounceGenericFamily(NetlinkMessage m)
    {
        if (m.Protocol != NetlinkProtocol.Generic) return;
        if (m.Type == 16)
        {
            if (m.Attributes["family_id"] is ushort learned) _announcedFamilies.Add(learned);
            return;
        }
        if (m.Type < Nl.NLMSG_MIN_TYPE || m.Family is null || m.Family.StartsWith("genl(", StringComparison.Ordinal) || !_announcedFamilies.Add(m.Type))
            return;
        Flush();
        var announce = new MessageBuilder(16, 0).AddBytes(new byte[] { 1, 2, 0, 0 })
            .AddU16(1, m.Type).AddString(2, m.Family).ToArray();
        WriteRecord(m.Timestamp, NetlinkProtocol.Generic, new[] { announce });
    }

    private void Flush()
    {
        if (_pendingFirst is null) return;
        WriteRecord(_pendingFirst.Timestamp, _pendingFirst.Protocol, _pending);
        _pending.Clear();
        _pendingFirst = null;
    }

    private void WriteRecord(DateTimeOffset time, NetlinkProtocol protocol, IReadOnlyList<byte[]> messages)
    {
        try
        {
            _writer!.Write(time, protocol, messages);
        }
        catch (CaptureFileException ex) when (!_disposing)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    private bool _disposing;

    protected override void EndProcessing()
    {
        Flush();
        if (_writer is not null) WriteVerbose($"Wrote {_writer.RecordsWritten} records to {_writer.Path}.");
        _writer?.Dispose();
        _writer = null;
    }

    public void Dispose()
    {
        // Stopped early (Ctrl+C, an error): keep what was already written.
        if (_writer is null) return;
        _disposing = true;
        try { Flush(); } catch (CaptureFileException) { /* the disk failed while stopping: keep what is there */ }
        _writer.Dispose();
        _writer = null;
    }
}
