using System.Management.Automation;
using System.Reflection;

namespace NlmonPS.Cmdlets;

/// <summary>
/// The command a cmdlet writes straight into, in the same pipeline (`Get-NetlinkMessage | Where-Object { … }`,
/// `… | Export-NetlinkPcap`), so the cmdlet can spare PowerShell's per-object cost where the output stays the same.
/// PowerShell has no public way to see a pipeline's next command; the three steps to it (the command runtime's
/// output pipe, the pipe's downstream command processor, its command) are internal, read by reflection, and when any
/// of them is missing (another PowerShell) there is no next command to see, and nothing is changed.
/// </summary>
internal static class NextCommand
{
    private const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
    private static readonly Assembly Engine = typeof(PSObject).Assembly;
    private static readonly PropertyInfo? OutputPipe = Engine.GetType("System.Management.Automation.MshCommandRuntime")?.GetProperty("OutputPipe", Internal);
    private static readonly PropertyInfo? Downstream = Engine.GetType("System.Management.Automation.Internal.Pipe")?.GetProperty("DownstreamCmdlet", Internal);
    private static readonly PropertyInfo? Command = Engine.GetType("System.Management.Automation.CommandProcessorBase")?.GetProperty("Command", Internal);

    /// <summary>Whether this PowerShell lets the next command be seen.</summary>
    public static bool IsVisible => OutputPipe is not null && Downstream is not null && Command is not null;

    /// <summary>The command the cmdlet's output goes straight into, or null (the last command, or not visible).</summary>
    public static object? Of(PSCmdlet cmdlet)
    {
        if (!IsVisible) return null;
        try
        {
            var pipe = cmdlet.CommandRuntime is { } runtime && OutputPipe!.DeclaringType!.IsInstanceOfType(runtime) ? OutputPipe.GetValue(runtime) : null;
            var processor = pipe is null ? null : Downstream!.GetValue(pipe);
            return processor is null ? null : Command!.GetValue(processor);
        }
        catch (TargetInvocationException)
        {
            return null;
        }
    }

    // Common parameters of the writing cmdlet that see every object it writes, not only what the next command is given.
    private static readonly string[] SeeEveryObject = { "OutVariable", "PipelineVariable", "OutBuffer" };

    /// <summary>The cmdlet's common parameter (-OutVariable, -PipelineVariable, -OutBuffer) that sees each object it writes, if given.</summary>
    public static string? SeesEveryObject(PSCmdlet cmdlet) =>
        SeeEveryObject.FirstOrDefault(cmdlet.MyInvocation.BoundParameters.ContainsKey);
}
