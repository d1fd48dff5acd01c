using System.Management.Automation;
using NlmonPS.DropMonitoring;
using NlmonPS.KernelClients;

namespace NlmonPS.Cmdlets;

/// <summary>Reads the drop monitor's own losses (NET_DM_CMD_STATS_GET): alerts dropped because a per-CPU queue was full.</summary>
[Cmdlet(VerbsCommon.Get, "DropMonitorStatistics")]
[OutputType(typeof(DropMonitorStatistics))]
public sealed class GetDropMonitorStatisticsCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
        try
        {
            using var client = DropMonitorClient.Open(WriteVerbose);
            WriteObject(client.GetStatistics());
        }
        catch (DropMonitorException e)
        {
            ThrowTerminatingError(ErrorRecords.From(e));
        }
        catch (Exception e) when (ErrorRecords.IsSystem(e))
        {
            ThrowTerminatingError(ErrorRecords.From(e, null, ErrorRecords.Area.DropMonitor));
        }
    }
}
