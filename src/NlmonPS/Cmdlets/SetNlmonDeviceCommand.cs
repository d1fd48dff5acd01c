using System.Management.Automation;
using NlmonPS.KernelClients;

namespace NlmonPS.Cmdlets;

/// <summary>Changes the MTU or the administrative state of nlmon devices.</summary>
[Cmdlet(VerbsCommon.Set, "NlmonDevice", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(NlmonDevice))]
public sealed class SetNlmonDeviceCommand : PSCmdlet, IDisposable
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NlmonDeviceCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateRange(16, int.MaxValue)]
    public int Mtu { get; set; }

    [Parameter]
    public NlmonDeviceState? State { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Netns")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetNamespaceCompleter))]
    public string? NetNamespace { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private readonly NlmonDeviceClients _clients = new();

    protected override void ProcessRecord()
    {
        foreach (var name in Name)
        {
            try
            {
                var devices = _clients.For(NetNamespace);
                var device = devices.Find(name);
                if (device is null)
                {
                    WriteError(ErrorRecords.NlmonDeviceNotFound(name, devices.NetNamespace));
                    continue;
                }
                uint? mtu = Mtu > 0 && (uint)Mtu != device.Mtu ? (uint)Mtu : null;
                bool? up = State is { } s && s != device.State ? s == NlmonDeviceState.Up : null;
                if (mtu is not null || up is not null)
                {
                    var what = string.Join(" and ", new[] { mtu is null ? null : $"set MTU {mtu}", up is null ? null : up.Value ? "bring up" : "bring down" }.Where(x => x is not null));
                    if (!ShouldProcess($"{name} (index {device.Index}, network namespace {device.NetNamespace})", $"nlmon device: {what}")) continue;
                    device = devices.Set(device, mtu, up);
                }
                else
                {
                    WriteVerbose($"The nlmon device {name} already has the requested settings.");
                }
                if (PassThru) WriteObject(device);
            }
            catch (NlmonUnavailableException ex)
            {
                ThrowTerminatingError(ErrorRecords.From(ex, name));
            }
            catch (Exception ex) when (ErrorRecords.IsExpected(ex))
            {
                WriteError(ErrorRecords.From(ex, name));
            }
        }
    }

    public void Dispose() => _clients.Dispose();
}
