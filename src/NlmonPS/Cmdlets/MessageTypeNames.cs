using System.Management.Automation;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.Protocols.Generic;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Every name -MessageType can select, by protocol: message types from the tables, generic families and their
/// commands, the control messages. Completion offers them; <see cref="Check"/> turns a value that names none of
/// them into an error naming the nearest ones.
/// </summary>
internal static class MessageTypeNames
{
    private static readonly string[] Control = { "NLMSG_NOOP", "NLMSG_ERROR", "NLMSG_DONE", "NLMSG_OVERRUN" };

    /// <summary>(protocol, name) for every table name; the tables are static, so this is made once.</summary>
    private static readonly Lazy<(NetlinkProtocol Protocol, string Name)[]> Table = new(() =>
        Schemas.All.SelectMany(s => s.KnownTypes.Select(t => (s.Protocol, t.Name)))
            .Concat(GenericSchema.Instance.Families.Values.SelectMany(f =>
                new[] { f.Name }.Concat(CommandsOf(f)).Select(n => (NetlinkProtocol.Generic, n))))
            .Distinct()
            .ToArray());

    private static IEnumerable<string> CommandsOf(GenericFamily f) =>
        f.Commands.Values.Concat(f.ReplyCommands?.Values ?? Enumerable.Empty<string>()).Concat(f.EventCommands?.Values ?? Enumerable.Empty<string>());

    /// <summary>
    /// The names of these protocols (all when none given), sorted: table names, the control messages, and
    /// <paramref name="families"/> (generic families the kernel or -GenericFamily names) when generic is wanted.
    /// </summary>
    public static IEnumerable<string> For(IReadOnlyCollection<NetlinkProtocol>? protocols, IEnumerable<string>? families = null)
    {
        bool all = protocols is not { Count: > 0 };
        var names = Table.Value.Where(t => all || protocols!.Contains(t.Protocol)).Select(t => t.Name).Concat(Control);
        if ((all || protocols!.Contains(NetlinkProtocol.Generic)) && families is not null) names = names.Concat(families);
        return names.Distinct(StringComparer.Ordinal).OrderBy(n => n, StringComparer.Ordinal);
    }

    /// <summary>
    /// The names a generic message's TypeName can have beyond the single names: "family command" for the families
    /// with tables.
    /// </summary>
    private static IEnumerable<string> Pairs() =>
        GenericSchema.Instance.Families.Values.SelectMany(f => CommandsOf(f).Select(c => $"{f.Name} {c}"));

    /// <summary>The generic families the running kernel has registered (nlctrl dump); none when it cannot be asked.</summary>
    public static IReadOnlyCollection<string> KernelFamilies()
    {
        try
        {
            return NlctrlFamilyDump.Query().Values.ToArray();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or NetlinkKernelException or IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return Array.Empty<string>();
        }
    }

    /// <summary>
    /// The error for the first -MessageType value that selects nothing (with -Protocol: nothing of those protocols),
    /// naming the nearest valid names; null when every value can match. Values about names only a stream can give
    /// ("unknown(N)", "genl(N)") always pass. <paramref name="families"/> adds family names from -GenericFamily.
    /// </summary>
    public static ErrorRecord? Check(string[]? patterns, NetlinkProtocol[]? protocols, IEnumerable<string>? families)
    {
        if (patterns is not { Length: > 0 }) return null;
        IReadOnlyCollection<string>? kernel = null;
        foreach (var value in patterns)
        {
            if (value.Contains("unknown", StringComparison.OrdinalIgnoreCase) || value.Contains("genl(", StringComparison.OrdinalIgnoreCase)) continue;
            var pattern = new WildcardPattern(value, WildcardOptions.IgnoreCase);
            var wanted = protocols is { Length: > 0 } ? protocols : null;
            if (Matches(pattern, wanted, families)) continue;
            // Families the running kernel registered may have no tables: asked only now, when the tables did not match.
            kernel ??= KernelFamilies();
            var extra = (families ?? Enumerable.Empty<string>()).Concat(kernel).ToArray();
            if (Matches(pattern, wanted, extra)) continue;
            if (wanted is not null && Table.Value.FirstOrDefault(t => pattern.IsMatch(t.Name)) is { Name: not null } elsewhere)
                return new ErrorRecord(new ArgumentException(
                    $"-MessageType '{value}' names no {string.Join(" or ", wanted.Select(p => p.ToString().ToUpperInvariant()))} message: " +
                    $"{elsewhere.Name} is a {elsewhere.Protocol.ToString().ToUpperInvariant()} message. Add -Protocol {elsewhere.Protocol}, or leave -Protocol out."),
                    "MessageTypeNotInProtocol", ErrorCategory.InvalidArgument, value);
            var closest = NameSuggestions.Closest(value.Replace("*", "").Replace("?", ""), For(wanted, extra));
            return new ErrorRecord(new ArgumentException(
                $"-MessageType '{value}' names no netlink message type, generic family or command" +
                (wanted is null ? "" : $" of {string.Join(", ", wanted)}") + "." + NameSuggestions.DidYouMean(closest) +
                " Press Tab after -MessageType for the names, or see docs/decoders.md."),
                "UnknownMessageType", ErrorCategory.InvalidArgument, value);
        }
        return null;
    }

    private static bool Matches(WildcardPattern pattern, NetlinkProtocol[]? protocols, IEnumerable<string>? families)
    {
        foreach (var t in Table.Value)
            if ((protocols is null || protocols.Contains(t.Protocol)) && pattern.IsMatch(t.Name)) return true;
        foreach (var c in Control) if (pattern.IsMatch(c)) return true;
        if (protocols is not null && !protocols.Contains(NetlinkProtocol.Generic)) return false;
        foreach (var pair in Pairs()) if (pattern.IsMatch(pair)) return true;
        // A family without tables names its messages "family N" (the command number): "myfamily *" selects them.
        return families is not null && families.Any(f => pattern.IsMatch(f) || pattern.IsMatch(f + " 0"));
    }
}
