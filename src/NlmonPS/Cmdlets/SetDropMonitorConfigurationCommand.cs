using System.Management.Automation;
using NlmonPS.DropMonitoring;
using NlmonPS.KernelClients;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Changes the drop monitor's configuration (NET_DM_CMD_CONFIG). The kernel refuses while monitoring is on
/// (EBUSY): that is the error DropMonitorBusy. -StopMonitoring stops a session left running.
/// </summary>
[Cmdlet(VerbsCommon.Set, "DropMonitorConfiguration", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ConfigureSet)]
[OutputType(typeof(DropMonitorConfiguration))]
public sealed class SetDropMonitorConfigurationCommand : PSCmdlet
{
    private const string ConfigureSet = "Configure";
    private const string StopSet = "Stop";

    /// <summary>Summary or Packet.</summary>
    [Parameter(ParameterSetName = ConfigureSet, ValueFromPipelineByPropertyName = true)]
    public DropAlertMode AlertMode { get; set; }

    /// <summary>Bytes of each dropped packet sent in packet mode (0: the whole packet).</summary>
    [Parameter(ParameterSetName = ConfigureSet, ValueFromPipelineByPropertyName = true)]
    // The kernel's field is a u32; the limits are longs, as the parameter (a mismatch is PowerShell's own type error).
    [ValidateRange(0L, (long)uint.MaxValue)]
    public long TruncateLength { get; set; }

    /// <summary>Packets each CPU queues for user space in packet mode.</summary>
    [Parameter(ParameterSetName = ConfigureSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1L, (long)uint.MaxValue)]
    public long QueueLength { get; set; }

    /// <summary>Stops monitoring (software and hardware), whoever started it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = StopSet)]
    public SwitchParameter StopMonitoring { get; set; }

    /// <summary>Writes the configuration as it is afterwards.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            using var client = DropMonitorClient.Open(WriteVerbose);
            if (StopMonitoring)
            {
                if (ShouldProcess("drop monitor (NET_DM)", "Stop monitoring software and hardware drops"))
                {
                    client.Stop(DropMonitorOrigin.All);
                    WriteVerbose("Sent NET_DM_CMD_STOP for software and hardware drops.");
                }
            }
            else
            {
                DropAlertMode? mode = Bound(nameof(AlertMode)) ? AlertMode : null;
                uint? trunc = Bound(nameof(TruncateLength)) ? (uint)TruncateLength : null;
                uint? queue = Bound(nameof(QueueLength)) ? (uint)QueueLength : null;
                if (mode is null && trunc is null && queue is null)
                {
                    WriteWarning("Nothing to change: give -AlertMode, -TruncateLength or -QueueLength.");
                }
                else
                {
                    var what = string.Join(", ", new[]
                    {
                        mode is null ? null : $"alert mode {mode}",
                        trunc is null ? null : $"truncation length {trunc}",
                        queue is null ? null : $"queue length {queue}",
                    }.Where(s => s is not null));
                    if (ShouldProcess("drop monitor (NET_DM)", $"Set {what}"))
                        client.SetConfiguration(mode, trunc, queue);
                }
            }
            if (PassThru) WriteObject(client.SupportsPacketMode ? client.GetConfiguration(probeMonitoring: true) : null);
        }
        catch (DropMonitorException e)
        {
            WriteError(ErrorRecords.From(e));
        }
        catch (Exception e) when (ErrorRecords.IsSystem(e))
        {
            WriteError(ErrorRecords.From(e, null, ErrorRecords.Area.DropMonitor));
        }
    }

    private bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);
}
