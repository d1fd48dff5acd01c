using System.Management.Automation;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Filtering;

/// <summary>
/// A -Filter script block, ready to judge messages inside the reader: compiled once when its syntax allows
/// (<see cref="FilterCompiler"/>), else run as the script block with $_ set, as Where-Object runs it. A compiled
/// filter that meets a value it does not model judges that one message with the script block too.
/// A condition pushed down from the Where-Object next in the pipeline (found by Cmdlets.DownstreamWhereObject) is only a
/// pre-filter: that Where-Object still judges what passes, so a message the compiled filter cannot decide, or that
/// makes it fail, simply passes (and Where-Object says what PowerShell says about it).
/// </summary>
internal sealed class MessagePredicate
{
    private readonly ScriptBlock _block;
    private readonly FilterCompiler.Node? _compiled;
    private readonly Action<ErrorRecord> _writeError;

    /// <summary>Why the block runs as a script block (null when compiled).</summary>
    public string? NotCompiledReason { get; }
    /// <summary>Messages judged by the script block (all of them when not compiled).</summary>
    public long Interpreted { get; private set; }
    public long Judged { get; private set; }

    /// <summary>A pre-filter for the Where-Object next in the pipeline: it passes what it cannot decide.</summary>
    public bool IsPushedDown { get; }

    /// <param name="variable">Reads a variable of the caller's scope (the cmdlet's SessionState), for each message.</param>
    /// <param name="pushedDown">The block is the downstream Where-Object's: undecided messages pass, to be judged there.</param>
    public MessagePredicate(ScriptBlock block, Func<string, object?> variable, Action<ErrorRecord> writeError, bool pushedDown = false)
    {
        _block = block;
        _writeError = writeError;
        IsPushedDown = pushedDown;
        try
        {
            _compiled = FilterCompiler.Compile(block, variable);
        }
        catch (FilterCompiler.NotCompilable e)
        {
            NotCompiledReason = e.Message;
        }
        _requirements = PowerShellOperators.Available && !pushedDown ? FilterRequirements.Of(block) : new FilterRequirements();
    }

    private readonly FilterRequirements _requirements;

    /// <summary>False when no message of this protocol and type can pass: the reader then does not decode it.</summary>
    public bool MayMatch(NetlinkProtocol protocol, ushort type) => _requirements.MayMatch(protocol, type);

    /// <summary>Whether the filter has conditions judged on a message's bytes (<see cref="MayMatchBytes"/>).</summary>
    public bool JudgesBytes => _requirements.JudgesBytes;

    /// <summary>The paths (after $_) of the conditions judged on bytes: "Attributes.ifname", "Header.index".</summary>
    public IEnumerable<string> ValuePaths => _requirements.ValuePaths;

    /// <summary>False when a message of a type that may pass cannot, by its bytes (<see cref="FilterRequirements.MayMatchBytes"/>).</summary>
    public bool MayMatchBytes(NetlinkProtocol protocol, in RawMessage raw, ByteOrder order, GenericFamilyRegistry? families = null) =>
        _requirements.MayMatchBytes(protocol, raw, order, families);

    /// <summary>False when no message of this generic netlink family can pass (<see cref="FilterRequirements.MayMatchFamily"/>).</summary>
    public bool MayMatchFamily(string family) => _requirements.MayMatchFamily(family);

    public bool IsCompiled => _compiled is not null;

    /// <summary>Whether the message passes: `$_` is the message, and the block's result is true as Where-Object reads it.</summary>
    public bool Test(NetlinkMessage message)
    {
        Judged++;
        if (_compiled is not null)
        {
            object? result;
            try
            {
                result = _compiled.Eval(message);
            }
            catch (Exception e) when (e is not (OutOfMemoryException or PipelineStoppedException))
            {
                // A comparison PowerShell cannot make (an enum against a number: InvalidOperationException) fails in
                // the block too, with PowerShell's own error for this message.
                result = FilterCompiler.Undecided;   // the script block says what PowerShell says about it
            }
            if (result != FilterCompiler.Undecided) return PowerShellOperators.IsTrue(result);
        }
        Interpreted++;
        return IsPushedDown || RunBlock(message);
    }

    private bool RunBlock(NetlinkMessage message)
    {
        try
        {
            // As Where-Object runs it: the errors the block writes are PowerShell's, at the block's own line, under the
            // caller's $ErrorActionPreference (merging them into the output to write them here costs a second
            // invocation per message: twice the time of this path, measured); what the block outputs decides.
            var output = _block.InvokeWithContext(null, new List<PSVariable> { new("_", message) });
            return output.Count switch
            {
                0 => false,
                1 => PowerShellOperators.IsTrue(output[0]),
                _ => true,
            };
        }
        catch (RuntimeException e)
        {
            // A terminating error (throw, or any error under a Stop preference): reported for this message, which
            // does not pass; the next ones are judged.
            var cause = e is ActionPreferenceStopException { ErrorRecord.Exception: { } inner } ? inner : e;
            _writeError(Failed(message, cause, e.ErrorRecord));
            return false;
        }
    }

    private static ErrorRecord Failed(NetlinkMessage message, Exception cause, ErrorRecord? original) =>
        new(cause, "FilterFailed", original?.CategoryInfo.Category is { } c and not ErrorCategory.NotSpecified ? c : ErrorCategory.InvalidOperation, message)
        {
            ErrorDetails = new ErrorDetails($"-Filter on {message.TypeName} (record {message.RecordNumber}, message {message.Index}): {cause.Message}"),
        };

    /// <summary>The -Verbose line saying how the filter ran.</summary>
    public string Describe() => IsPushedDown
        ? $"The Where-Object condition was judged in the reader first: {Judged} messages judged, {Interpreted} of them left to Where-Object undecided."
        : IsCompiled
        ? $"-Filter compiled; {Judged} messages judged in the reader, {Interpreted} of them by the script block (values it does not model)."
        : $"-Filter not compiled ({NotCompiledReason}): {Judged} messages judged by running the script block, as Where-Object would.";
}
