using System.Management.Automation;
using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Removes port mirrors: only their filters, and the clsact qdisc too when NlmonPS added it and nothing else
/// uses it any more.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "PortMirror", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(PortMirror))]
public sealed class RemovePortMirrorCommand : PSCmdlet, IDisposable
{
    private const string InputObjectSet = "InputObject";
    private const string SourceSet = "Source";
    private PortMirrorManager? _manager;

    /// <summary>Mirrors from Get-PortMirror or New-PortMirror -PassThru.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public PortMirror[] InputObject { get; set; } = Array.Empty<PortMirror>();

    /// <summary>
    /// Remove the mirrors of these source devices (wildcards allowed). A mirror that came back through Import-Clixml or
    /// remoting (a property bag, which the InputObject set does not take) binds here by its Source and Destinations.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = SourceSet, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(LinkNameCompleter))]
    public string[] Source { get; set; } = Array.Empty<string>();

    /// <summary>With -Source: only the mirrors that copy to one of these devices (wildcards allowed).</summary>
    [Parameter(Position = 1, ParameterSetName = SourceSet, ValueFromPipelineByPropertyName = true)]
    [Alias("Destinations")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(LinkNameCompleter))]
    public string[]? Destination { get; set; }

    /// <summary>Write each removed mirror to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Remove mirrors NlmonPS did not make (set up by hand or with tc) without asking.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private bool _yesToAll, _noToAll;

    protected override void BeginProcessing()
    {
        try
        {
            _manager = new PortMirrorManager { Verbose = WriteVerbose };
        }
        catch (Exception e) when (ErrorRecords.IsSystem(e))
        {
            ThrowTerminatingError(ErrorRecords.From(e, null, ErrorRecords.Area.PortMirror));
        }
    }

    protected override void ProcessRecord()
    {
        var manager = _manager!;
        manager.RefreshLinks();
        try
        {
            if (ParameterSetName == InputObjectSet)
            {
                foreach (var mirror in InputObject) RemoveOne(manager, mirror);
                return;
            }
            var all = manager.GetMirrors();
            foreach (var pattern in Source)
            {
                if (NamePattern.IsLiteral(pattern) && !manager.Links.Any(l => l.Name == pattern))
                {
                    WriteError(ErrorRecords.PortMirrorDeviceNotFound(pattern));
                    continue;
                }
                var matches = all.Where(m => NamePattern.Matches(m.Source, pattern)
                    && (Destination is null || m.Destinations.Any(d => Destination.Any(p => NamePattern.Matches(d, p))))).ToList();
                if (matches.Count == 0 && NamePattern.IsLiteral(pattern))
                    WriteError(ErrorRecords.PortMirrorNotFound(pattern, Destination));
                foreach (var mirror in matches) RemoveOne(manager, mirror);
            }
        }
        catch (Exception e) when (ErrorRecords.IsSystem(e))
        {
            WriteError(ErrorRecords.From(e, null, ErrorRecords.Area.PortMirror));
        }
    }

    private void RemoveOne(PortMirrorManager manager, PortMirror mirror)
    {
        var target = mirror.ToString();
        if (!mirror.CreatedByNlmonPS) target += " [made by hand]";
        var others = mirror.Filters.SelectMany(f => f.OtherActions).Distinct().ToList();
        if (others.Count > 0) target += $" [its filters also run: {string.Join(", ", others)}]";
        // -Destination picks mirrors by one of their destinations; a mirror is removed whole (its filter is one).
        var kept = Destination is null ? new List<string>()
            : mirror.Destinations.Where(d => !Destination.Any(p => NamePattern.Matches(d, p))).ToList();
        if (kept.Count > 0) target += $" [removed whole: it also copies to {string.Join(", ", kept)}]";
        if (!ShouldProcess(target, "Remove port mirror")) return;
        if (!mirror.CreatedByNlmonPS && !Force && !ConfirmMadeByHand(mirror)) return;
        try
        {
            var result = manager.Remove(mirror);
            foreach (var replaced in result.Replaced ?? Array.Empty<string>())
                WriteWarning($"Left {replaced}: it is not the filter of {mirror}, which this object describes (the object is older than what is there now). Get-PortMirror lists the mirrors as they are.");
            if (result.Replaced is { Count: > 0 } && result.FiltersRemoved == 0) return;
            WriteVerbose($"Removed {mirror}: {result.FiltersRemoved} filter(s){(result.QdiscRemoved ? " and the clsact qdisc" : "")}.");
            if (PassThru) WriteObject(mirror);
        }
        catch (PortMirrorException e)
        {
            WriteError(ErrorRecords.From(e));
        }
    }

    /// <summary>
    /// A mirror someone made by hand is theirs: removing it is asked every time (even through Get-PortMirror |
    /// Remove-PortMirror, even with -Confirm:$false), unless -Force. A host that cannot ask gets an error saying so.
    /// </summary>
    private bool ConfirmMadeByHand(PortMirror mirror)
    {
        try
        {
            // hasSecurityImpact: the prompt's default answer is No, as for anything that undoes someone else's work.
            return ShouldContinue($"The port mirror {mirror} was not made by NlmonPS (it was set up by hand or with tc). Remove it anyway?",
                "Remove a port mirror made by hand", hasSecurityImpact: true, ref _yesToAll, ref _noToAll);
        }
        // The console host throws NullReferenceException when its input has ended (a script run with < /dev/null).
        catch (Exception e) when (e is System.Management.Automation.Host.HostException or PSInvalidOperationException or NotImplementedException or NullReferenceException)
        {
            WriteError(new ErrorRecord(
                new InvalidOperationException($"The port mirror {mirror} was not made by NlmonPS: removing it needs a confirmation this host cannot ask for. Add -Force to remove it.", e),
                "PortMirrorMadeByHand", ErrorCategory.InvalidOperation, mirror));
            return false;
        }
    }

    /// <summary>PowerShell disposes the cmdlet when the pipeline ends, stopped or not: the socket closes here.</summary>
    public void Dispose()
    {
        _manager?.Dispose();
        _manager = null;
    }
}
