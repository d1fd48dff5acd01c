using System.Management.Automation;
using NlmonPS.KernelClients;

namespace NlmonPS.Cmdlets;

/// <summary>Lists the nlmon devices (links of kind nlmon) of a network namespace with their state and counters.</summary>
[Cmdlet(VerbsCommon.Get, "NlmonDevice")]
[OutputType(typeof(NlmonDevice))]
public sealed class GetNlmonDeviceCommand : PSCmdlet, IDisposable
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NlmonDeviceCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Netns")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetNamespaceCompleter))]
    public string? NetNamespace { get; set; }

    private readonly NlmonDeviceClients _clients = new();

    protected override void ProcessRecord()
    {
        NlmonDevices devices;
        List<NlmonDevice> all;
        try
        {
            devices = _clients.For(NetNamespace);
            all = devices.List().ToList();
        }
        catch (Exception ex) when (ErrorRecords.IsExpected(ex))
        {
            ThrowTerminatingError(ErrorRecords.From(ex, NetNamespace));
            return;
        }
        if (Name is null)
        {
            WriteObject(all, enumerateCollection: true);
            return;
        }
        var emitted = new HashSet<int>();
        foreach (var pattern in Name)
        {
            var matches = NamePattern.Select(all, d => d.Name, pattern);
            foreach (var d in matches) if (emitted.Add(d.Index)) WriteObject(d);
            if (matches.Count > 0 || !NamePattern.IsLiteral(pattern)) continue;
            try
            {
                // A literal name that is not an nlmon device: say whether it exists as something else.
                devices.Find(pattern);
                WriteError(ErrorRecords.NlmonDeviceNotFound(pattern, devices.NetNamespace));
            }
            catch (Exception ex) when (ErrorRecords.IsExpected(ex) || ex is NotAnNlmonDeviceException)
            {
                WriteError(ErrorRecords.From(ex, pattern));
            }
        }
    }

    public void Dispose() => _clients.Dispose();
}
