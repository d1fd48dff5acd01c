using System.Management.Automation;
using NlmonPS.KernelClients;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Makes sure an nlmon device exists and is up: loads the nlmon module when the kernel does not know the kind
/// yet, creates the device, brings it up. An nlmon device of that name is reused (brought up, MTU applied);
/// a device of another kind with that name is an error.
/// </summary>
[Cmdlet(VerbsCommon.New, "NlmonDevice", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(NlmonDevice))]
public sealed class NewNlmonDeviceCommand : PSCmdlet, IDisposable
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ValidateLength(1, 15)]
    [ValidatePattern(@"^[^/:\s]+$")]
    [ArgumentCompleter(typeof(NlmonDeviceCompleter))]
    public string[] Name { get; set; } = { "nlmon0" };

    [Parameter]
    [ValidateRange(16, int.MaxValue)]
    public int Mtu { get; set; }

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
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                // The kernel takes such a name, but Get/Set/Remove-NlmonDevice read -Name as a pattern: it could never be named alone.
                WriteError(new ErrorRecord(new ArgumentException(
                    $"'{name}' holds wildcard characters (* ? [ ]): Get-, Set- and Remove-NlmonDevice read a name as a pattern, so such a device could never be named alone. Choose a name without them, such as nlmon1."),
                    "NlmonDeviceNameHasWildcards", ErrorCategory.InvalidArgument, name));
                continue;
            }
            try
            {
                Ensure(name);
            }
            catch (NlmonUnavailableException ex)
            {
                // The kernel or our privileges rule out every device, not just this one.
                ThrowTerminatingError(ErrorRecords.From(ex, name));
            }
            catch (NotAnNlmonDeviceException ex)
            {
                WriteError(ErrorRecords.NlmonDeviceNameInUse(ex, name));
            }
            catch (Exception ex) when (ErrorRecords.IsExpected(ex))
            {
                WriteError(ErrorRecords.From(ex, name));
            }
        }
    }

    private void Ensure(string name)
    {
        var devices = _clients.For(NetNamespace);
        uint? mtu = Mtu > 0 ? (uint)Mtu : null;
        var existing = devices.Find(name);
        if (existing is not null)
        {
            bool down = existing.State != NlmonDeviceState.Up;
            bool mtuChange = mtu is uint m && m != existing.Mtu;
            if (down || mtuChange)
            {
                var what = string.Join(" and ", new[] { down ? "bring up" : null, mtuChange ? $"set MTU {mtu}" : null }.Where(s => s is not null));
                if (!ShouldProcess($"{name} (network namespace {devices.NetNamespace})", $"Existing nlmon device: {what}")) return;
                existing = devices.Set(existing, mtuChange ? mtu : null, down ? true : null);
            }
            else
            {
                WriteVerbose($"The nlmon device {name} exists and is up (index {existing.Index}, network namespace {devices.NetNamespace}).");
            }
            if (PassThru) WriteObject(existing);
            return;
        }
        if (!ShouldProcess($"{name} (network namespace {devices.NetNamespace})", "Create nlmon device and bring it up (loading the nlmon module if needed)")) return;
        var created = devices.Create(name, mtu, WriteVerbose);
        WriteVerbose($"Created the nlmon device {name} (index {created.Index}) in network namespace {devices.NetNamespace}.");
        if (PassThru) WriteObject(created);
    }

    public void Dispose() => _clients.Dispose();
}
