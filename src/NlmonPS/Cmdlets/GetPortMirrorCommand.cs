using System.Management.Automation;
using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Lists every port mirror on the system: each clsact or ingress qdisc filter with a mirred mirror action,
/// whether NlmonPS made it or someone used tc, with the live packet and byte counters of the copies.
/// </summary>
[Cmdlet(VerbsCommon.Get, "PortMirror")]
[OutputType(typeof(PortMirror))]
public sealed class GetPortMirrorCommand : PSCmdlet
{
    /// <summary>Only mirrors of these source devices (wildcards allowed).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(LinkNameCompleter))]
    public string[]? Source { get; set; }

    /// <summary>Only mirrors that copy to one of these devices (wildcards allowed).</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(LinkNameCompleter))]
    public string[]? Destination { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            using var manager = new PortMirrorManager { Verbose = WriteVerbose };
            foreach (var pattern in Source ?? Array.Empty<string>())
                if (NamePattern.IsLiteral(pattern) && !manager.Links.Any(l => l.Name == pattern))
                    WriteError(ErrorRecords.PortMirrorDeviceNotFound(pattern));
            foreach (var mirror in manager.GetMirrors())
            {
                if (Source is not null && !Source.Any(p => NamePattern.Matches(mirror.Source, p))) continue;
                if (Destination is not null && !mirror.Destinations.Any(d => Destination.Any(p => NamePattern.Matches(d, p)))) continue;
                WriteObject(mirror);
            }
        }
        catch (PortMirrorException e)
        {
            WriteError(ErrorRecords.From(e));
        }
        catch (Exception e) when (ErrorRecords.IsSystem(e))
        {
            WriteError(ErrorRecords.From(e, null, ErrorRecords.Area.PortMirror));
        }
    }
}
