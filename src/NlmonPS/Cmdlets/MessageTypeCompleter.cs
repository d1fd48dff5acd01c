using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using NlmonPS.Decoding;
using NlmonPS.Protocols.Generic;

namespace NlmonPS.Cmdlets;

/// <summary>Tab completion of -MessageType: every message and command name the decoder knows.</summary>
public sealed class MessageTypeCompleter : IArgumentCompleter
{
    public static IEnumerable<string> AllNames() =>
        Schemas.All.SelectMany(s => s.KnownTypes.Select(t => t.Name))
            .Concat(GenericSchema.Instance.Families.Values.SelectMany(f => f.Commands.Values))
            .Concat(new[] { "NLMSG_NOOP", "NLMSG_ERROR", "NLMSG_DONE", "NLMSG_OVERRUN" })
            .Distinct(StringComparer.Ordinal)
            .OrderBy(n => n, StringComparer.Ordinal);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return AllNames().Where(n => pattern.IsMatch(n)).Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
    }
}
