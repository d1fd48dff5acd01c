using System.Management.Automation;
using NlmonPS.KernelClients;

namespace NlmonPS.Cmdlets;

/// <summary>Deletes nlmon devices. Devices of any other kind are never touched.</summary>
[Cmdlet(VerbsCommon.Remove, "NlmonDevice", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveNlmonDeviceCommand : PSCmdlet, IDisposable
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NlmonDeviceCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Netns")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetNamespaceCompleter))]
    public string? NetNamespace { get; set; }

    private readonly NlmonDeviceClients _clients = new();

    protected override void ProcessRecord()
    {
        NlmonDevices devices;
        try
        {
            devices = _clients.For(NetNamespace);
        }
        catch (Exception ex) when (ErrorRecords.IsExpected(ex))
        {
            ThrowTerminatingError(ErrorRecords.From(ex, NetNamespace));
            return;
        }
        foreach (var pattern in Name)
        {
            try
            {
                List<NlmonDevice> targets;
                if (!NamePattern.IsLiteral(pattern))
                {
                    targets = NamePattern.Select(devices.List(), d => d.Name, pattern);
                }
                else
                {
                    var device = devices.Find(pattern);
                    if (device is null)
                    {
                        WriteError(ErrorRecords.NlmonDeviceNotFound(pattern, devices.NetNamespace));
                        continue;
                    }
                    targets = new List<NlmonDevice> { device };
                }
                foreach (var d in targets)
                {
                    if (!ShouldProcess($"{d.Name} (index {d.Index}, network namespace {d.NetNamespace})", "Remove nlmon device")) continue;
                    devices.Remove(d);
                    WriteVerbose($"Removed the nlmon device {d.Name}.");
                }
            }
            catch (NlmonUnavailableException ex)
            {
                ThrowTerminatingError(ErrorRecords.From(ex, pattern));
            }
            catch (Exception ex) when (ErrorRecords.IsExpected(ex))
            {
                WriteError(ErrorRecords.From(ex, pattern));
            }
        }
    }

    public void Dispose() => _clients.Dispose();
}
