using System.Management.Automation;
using NlmonPS.DropMonitoring;
using NlmonPS.KernelClients;

namespace NlmonPS.Cmdlets;

/// <summary>Reads the drop monitor's configuration (NET_DM_CMD_CONFIG_GET): alert mode, truncation length, queue length, and whether monitoring is on.</summary>
[Cmdlet(VerbsCommon.Get, "DropMonitorConfiguration")]
[OutputType(typeof(DropMonitorConfiguration))]
public sealed class GetDropMonitorConfigurationCommand : PSCmdlet
{
    protected override void EndProcessing()
    {
        try
        {
            using var client = DropMonitorClient.Open(WriteVerbose);
            if (!client.SupportsPacketMode)
                throw new DropMonitorException(DropMonitorErrorKind.FeatureUnsupported,
                    "This kernel's drop monitor has no configuration to read (NET_DM_CMD_CONFIG_GET came with packet mode, kernel 5.4); it always works in summary mode.") { Target = NetDm.FamilyName };
            WriteObject(client.GetConfiguration(probeMonitoring: true));
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
