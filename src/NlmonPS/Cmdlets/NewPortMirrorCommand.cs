using System.Management.Automation;
using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Mirrors every frame received and/or sent on a device to one or more other devices: a clsact qdisc, a
/// match-everything filter (matchall, or u32 when the kernel lacks matchall) and mirred egress mirror actions.
/// </summary>
[Cmdlet(VerbsCommon.New, "PortMirror", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PortMirror))]
public sealed class NewPortMirrorCommand : PSCmdlet, IDisposable
{
    private PortMirrorManager? _manager;

    /// <summary>The device whose frames are copied.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(LinkNameCompleter))]
    public string Source { get; set; } = "";

    /// <summary>The devices the copies are sent out of.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ValidateCount(1, Tc.TCA_ACT_MAX_PRIO)]   // one mirred action per destination, 32 actions at most
    [Alias("Destinations")]
    [ArgumentCompleter(typeof(LinkNameCompleter))]
    public string[] Destination { get; set; } = Array.Empty<string>();

    /// <summary>Frames received (Ingress), sent (Egress) or both (the default).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public PortMirrorDirection Direction { get; set; } = PortMirrorDirection.Both;

    /// <summary>Write the mirror (new or already there) to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

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
            var plan = manager.Plan(Source, Destination, Direction);
            if (plan.NothingToDo)
            {
                WriteVerbose($"The mirror {plan.Existing} already exists; nothing to change.");
                if (PassThru) WriteObject(plan.Existing);
                return;
            }
            var steps = new List<string>();
            if (plan.CreateClsact) steps.Add($"add a clsact qdisc to {plan.Source.Name}");
            steps.Add($"add filters at prio {plan.Priority} on {string.Join(" and ", plan.HooksToAdd.Select(h => h.ToString().ToLowerInvariant()))}");
            foreach (var overlap in plan.Overlaps)
                WriteWarning($"{overlap}: with {plan.Description} that device gets every such frame twice. Remove-PortMirror the other mirror first if that is not meant.");
            if (!ShouldProcess($"{plan.Description}: {string.Join(", ", steps)}", "New port mirror")) return;
            var mirror = manager.Apply(plan);
            if (PassThru) WriteObject(mirror);
        }
        catch (PortMirrorException e)
        {
            WriteError(ErrorRecords.From(e));
        }
        catch (Exception e) when (ErrorRecords.IsSystem(e))
        {
            WriteError(ErrorRecords.From(e, Source, ErrorRecords.Area.PortMirror));
        }
    }

    /// <summary>PowerShell disposes the cmdlet when the pipeline ends, stopped or not: the socket closes here.</summary>
    public void Dispose()
    {
        _manager?.Dispose();
        _manager = null;
    }
}
