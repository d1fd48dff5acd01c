using System.Management.Automation;
using System.Reflection;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Finds the `Where-Object { … }` a cmdlet writes straight into (`Get-NetlinkMessage | Where-Object { … }`), so its
/// condition can be pushed down into the reader: a message the condition surely rejects is not written to the
/// pipeline at all, and what is written is still judged by Where-Object itself, so the pipeline's output is
/// Where-Object's. PowerShell has no public way to see the next command of a pipeline; the three steps to it
/// (the command runtime's output pipe, the pipe's downstream command processor, its command) are internal, read
/// by reflection, and when any of them is missing (another PowerShell) nothing is pushed down.
/// </summary>
internal static class DownstreamWhereObject
{
    private const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
    private static readonly Assembly Engine = typeof(PSObject).Assembly;
    private static readonly PropertyInfo? OutputPipe = Engine.GetType("System.Management.Automation.MshCommandRuntime")?.GetProperty("OutputPipe", Internal);
    private static readonly PropertyInfo? Downstream = Engine.GetType("System.Management.Automation.Internal.Pipe")?.GetProperty("DownstreamCmdlet", Internal);
    private static readonly PropertyInfo? Command = Engine.GetType("System.Management.Automation.CommandProcessorBase")?.GetProperty("Command", Internal);

    // Common parameters of the writing cmdlet that see every object it writes, not only what Where-Object passes.
    private static readonly string[] SeesEveryObject = { "OutVariable", "PipelineVariable", "OutBuffer" };

    /// <summary>
    /// The script block of the Where-Object that reads this cmdlet's output, when its condition may be pushed down;
    /// else null, with the reason (for -Verbose; null when there is no Where-Object next).
    /// </summary>
    public static ScriptBlock? Find(PSCmdlet cmdlet, out string? whyNot)
    {
        whyNot = null;
        if (OutputPipe is null || Downstream is null || Command is null)
        {
            whyNot = "this PowerShell does not show a pipeline's next command";
            return null;
        }
        object? next;
        try
        {
            var pipe = cmdlet.CommandRuntime is { } runtime && OutputPipe.DeclaringType!.IsInstanceOfType(runtime) ? OutputPipe.GetValue(runtime) : null;
            var processor = pipe is null ? null : Downstream.GetValue(pipe);
            next = processor is null ? null : Command.GetValue(processor);
        }
        catch (TargetInvocationException)
        {
            return null;
        }
        if (next is not PSCmdlet where || where.GetType().FullName != "Microsoft.PowerShell.Commands.WhereObjectCommand") return null;

        var bound = where.MyInvocation.BoundParameters;
        if (!bound.TryGetValue("FilterScript", out var value) || value is not ScriptBlock block || bound.ContainsKey("InputObject"))
        {
            whyNot = "the Where-Object next is not given a script block";   // its -Property … -EQ … form, or -InputObject
            return null;
        }
        if (SeesEveryObject.FirstOrDefault(cmdlet.MyInvocation.BoundParameters.ContainsKey) is { } common)
        {
            whyNot = $"-{common} sees every message written, not only those Where-Object passes";
            return null;
        }
        // The block reads variables, and fails on missing members, as the session state it is bound to does: push it
        // down only where the reader resolves them the same way (the caller's own script or module).
        if (block.Module != cmdlet.SessionState.Module)
        {
            whyNot = "the Where-Object block belongs to another module's scope than this command";
            return null;
        }
        if (InStrictMode(cmdlet))
        {
            whyNot = "strict mode is on (Set-StrictMode): the block fails on a missing property where the reader reads $null";
            return null;
        }
        return block;
    }

    /// <summary>Whether Set-StrictMode is on in the caller's scope (any version: an unset variable fails from 1.0 on).</summary>
    private static bool InStrictMode(PSCmdlet cmdlet)
    {
        var probe = cmdlet.SessionState.InvokeCommand.InvokeScript(cmdlet.SessionState,
            ScriptBlock.Create("try { $null = $__NlmonPSStrictModeProbe; $false } catch { $true }"));
        return probe.Count == 1 && probe[0]?.BaseObject is true;
    }
}
