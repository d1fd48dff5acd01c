using System.Management.Automation;
using NlmonPS.Capture;
using NlmonPS.DropMonitoring;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Writes dropped packets as ordinary frames to a LINKTYPE_LINUX_SLL2 pcap (protocol, input device, device
/// type, packet type per frame), which tcpdump and Wireshark read like any capture. For the NET_DM alert
/// messages themselves (metadata and packet, for Wireshark's net_dm dissector) use Export-NetlinkPcap.
/// </summary>
[Cmdlet(VerbsData.Export, "PacketDropPcap", SupportsShouldProcess = true, DefaultParameterSetName = PathSet)]
[OutputType(typeof(PacketDrop))]
public sealed class ExportPacketDropPcapCommand : PSCmdlet, IDisposable
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>The capture file to write.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The capture file to write, taken literally (no wildcards).</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>The drops to write (from Get-PacketDrop in packet mode); anything else is an error per object.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public PSObject? InputObject { get; set; }

    /// <summary>Adds to an existing LINUX_SLL2 capture instead of replacing it.</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>Refuses to replace an existing file.</summary>
    [Parameter]
    [Alias("NoOverwrite")]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Replaces a read-only file, and overrides -NoClobber.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes each drop on down the pipeline after writing it to the file.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private PacketDropPcapWriter? _writer;
    private long _withoutPacket;

    protected override void BeginProcessing()
    {
        var target = ParameterSetName == LiteralPathSet ? LiteralPath : Path;
        string file = ErrorRecords.PrepareExportTarget(this, target, Append, NoClobber, Force, "PacketDropPcap");
        if (!ShouldProcess(file, Append ? "Append dropped packets to capture file" : "Write dropped packets to capture file")) return;
        try
        {
            _writer = PacketDropPcapWriter.Create(file, Append);
        }
        catch (CaptureFileException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        // -InputObject $drops: each drop, as from the pipeline.
        if (InputObject.BaseObject is System.Collections.IEnumerable items and not string)
        {
            foreach (var item in items) if (item is not null) Write(PSObject.AsPSObject(item));
            return;
        }
        Write(InputObject);
    }

    private void Write(PSObject input)
    {
        // A drop that came back through remoting (a property bag) is parsed again from its alert.
        bool deserialized = PacketDropConverter.IsDeserializedDrop(input);
        var drop = input.BaseObject as PacketDrop ?? (deserialized ? PacketDropConverter.FromDeserialized(input) : null);
        if (drop is null)
        {
            // Summary alerts (DropSummary: counts per location, no packet) come from the same Get-PacketDrop.
            string why = input.BaseObject is DropSummary
                ? "a DropSummary is a summary alert (drop counts by location) and carries no packet: run Get-PacketDrop -Mode Packet for the packets"
                : deserialized ? "this deserialized drop carries no NET_DM packet alert (Bytes) to rebuild it from"
                : $"'{input.BaseObject.GetType().Name}' is not a dropped packet";
            WriteError(new ErrorRecord(new PSArgumentException($"Export-PacketDropPcap writes dropped packets from Get-PacketDrop; {why}."),
                "PacketDropPcapInputNotADrop", ErrorCategory.InvalidArgument, input));
            return;
        }
        if (PassThru) WriteObject(drop);
        if (_writer is null) return;
        if (drop.Packet.Length == 0) { _withoutPacket++; return; }
        try
        {
            _writer.Write(drop);
        }
        catch (CaptureFileException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
    }

    protected override void EndProcessing()
    {
        if (_withoutPacket > 0) WriteWarning($"{_withoutPacket} drop(s) carried no packet bytes and were not written.");
        if (_writer is null) return;
        try
        {
            _writer.Complete();
        }
        catch (CaptureFileException ex)
        {
            ThrowTerminatingError(ErrorRecords.From(ex));
        }
        WriteVerbose($"Wrote {_writer.FramesWritten} frames (LINKTYPE_LINUX_SLL2) to {_writer.Path}.");
        _writer = null;
    }

    public void Dispose()
    {
        // Stopped early: keep what was written. A failed write already removed its file.
        _writer?.Dispose();
        _writer = null;
    }
}
