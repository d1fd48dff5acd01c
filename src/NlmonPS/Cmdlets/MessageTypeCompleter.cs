using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Tab completion of -MessageType: every message type, generic family and command name the decoder knows, plus the
/// generic families the running kernel has registered; only those of -Protocol when it is given.
/// </summary>
public sealed class MessageTypeCompleter : IArgumentCompleter
{
    public static IEnumerable<string> AllNames() => MessageTypeNames.For(null);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var protocols = BoundProtocols(fakeBoundParameters);
            var wantsGeneric = protocols is null || protocols.Contains(NetlinkProtocol.Generic);
            var names = MessageTypeNames.For(protocols, wantsGeneric ? MessageTypeNames.KernelFamilies() : null);
            return CompleterBase.Complete(names, wordToComplete);
        }
        catch (Exception)
        {
            // Tab must never fail on the user's prompt.
            return Array.Empty<CompletionResult>();
        }
    }

    /// <summary>-Protocol as typed so far (names or numbers, one or several); null when absent or not yet valid.</summary>
    internal static NetlinkProtocol[]? BoundProtocols(IDictionary? parameters)
    {
        if (parameters is null || !parameters.Contains("Protocol")) return null;
        var value = parameters["Protocol"] is PSObject p ? p.BaseObject : parameters["Protocol"];
        var items = value is System.Collections.IEnumerable e and not string ? e.Cast<object?>() : new[] { value };
        var protocols = new List<NetlinkProtocol>();
        foreach (var item in items)
            if (NetlinkProtocolNames.TryParse((item is PSObject ip ? ip.BaseObject : item)?.ToString(), out var protocol)) protocols.Add(protocol);
        return protocols.Count > 0 ? protocols.ToArray() : null;
    }
}
