using System.Management.Automation;
using System.Management.Automation.Language;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Finds the `Where-Object { … }` a cmdlet writes straight into (`Get-NetlinkMessage | Where-Object { … }`, see
/// <see cref="NextCommand"/>), so its condition can be pushed down into the reader: a message the condition surely
/// rejects is not written to the pipeline at all, and what is written is still judged by Where-Object itself, so the
/// pipeline's output is Where-Object's.
/// </summary>
internal static class DownstreamWhereObject
{
    /// <summary>
    /// The script block of the Where-Object that reads this cmdlet's output, when its condition may be pushed down;
    /// else null, with the reason (for -Verbose; null when there is no Where-Object next). <paramref name="strictMode"/>
    /// tells, for each message, whether strict mode has been turned on since (by a later command of the pipeline).
    /// </summary>
    public static ScriptBlock? Find(PSCmdlet cmdlet, out string? whyNot, out Func<bool>? strictMode)
    {
        whyNot = null;
        strictMode = null;
        if (!NextCommand.IsVisible)
        {
            whyNot = "this PowerShell does not show a pipeline's next command";
            return null;
        }
        if (NextCommand.Of(cmdlet) is not PSCmdlet where || where.GetType().FullName != "Microsoft.PowerShell.Commands.WhereObjectCommand") return null;

        var bound = where.MyInvocation.BoundParameters;
        if (!bound.TryGetValue("FilterScript", out var value) || value is not ScriptBlock block || bound.ContainsKey("InputObject"))
        {
            whyNot = "the Where-Object next is not given a script block";   // its -Property … -EQ … form, or -InputObject
            return null;
        }
        if (NextCommand.SeesEveryObject(cmdlet) is { } common)
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
        if (UsesMatch(block))
        {
            whyNot = "the block uses -match, which sets $Matches for every message it judges";
            return null;
        }
        strictMode = StrictMode.Reader(cmdlet.SessionState);
        if (strictMode is null || strictMode())
        {
            whyNot = strictMode is null ? "this PowerShell does not show whether strict mode is on"
                : "strict mode is on (Set-StrictMode): the block fails on a missing property where the reader reads $null";
            return null;
        }
        return block;
    }

    private static bool UsesMatch(ScriptBlock block) =>
        block.Ast.Find(a => a is BinaryExpressionAst { Operator: TokenKind.Imatch or TokenKind.Cmatch or TokenKind.Inotmatch or TokenKind.Cnotmatch }, true) is not null;
}
