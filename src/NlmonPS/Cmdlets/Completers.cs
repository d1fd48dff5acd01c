using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.RegularExpressions;
using NlmonPS.DropMonitoring;
using NlmonPS.KernelClients;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>
/// The argument completers: values from the live system where it has the answer (links, nlmon devices, named
/// namespaces, drop reasons), from the module's tables otherwise. Tab must never fail or hang: every completer
/// returns nothing rather than throw, and asks the kernel at most one netlink dump.
/// </summary>
public abstract class CompleterBase : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IEnumerable<string> values;
        try
        {
            values = Values(commandName, fakeBoundParameters ?? new Hashtable()).ToList();
        }
        catch (Exception)
        {
            // Anything the system refuses (no permission, no such namespace, no tracefs...) means no suggestions,
            // never an error on the user's prompt.
            return Array.Empty<CompletionResult>();
        }
        return Complete(values, wordToComplete, IgnoreCase);
    }

    /// <summary>Names compared in any case (protocols, message types), or exactly (device names are case-sensitive).</summary>
    protected virtual bool IgnoreCase => true;

    protected abstract IEnumerable<string> Values(string commandName, IDictionary boundParameters);

    internal static IEnumerable<CompletionResult> Complete(IEnumerable<string> values, string? wordToComplete, bool ignoreCase = true)
    {
        var word = (wordToComplete ?? "").Trim('\'', '"');
        // A word with wildcards of its own (RTM_*ROUTE) is a pattern, as PowerShell's completers read it; else, or when
        // it is no valid pattern yet (an open bracket being typed), a prefix.
        var options = ignoreCase ? WildcardOptions.IgnoreCase : WildcardOptions.None;
        var prefix = new WildcardPattern(WildcardPattern.Escape(word) + "*", options);
        var pattern = WildcardPattern.ContainsWildcardCharacters(word) ? new WildcardPattern(word + "*", options) : prefix;
        bool Matches(string v)
        {
            try { return pattern.IsMatch(v); }
            catch (WildcardPatternException) { pattern = prefix; return prefix.IsMatch(v); }
        }
        return values.Where(Matches).Select(v => new CompletionResult(Quote(v), v, CompletionResultType.ParameterValue, v)).ToList();
    }

    /// <summary>A value as it must be typed: in single quotes when it holds anything PowerShell would read as syntax.</summary>
    internal static string Quote(string value) =>
        PlainWord.IsMatch(value) ? value : "'" + CodeGeneration.EscapeSingleQuotedStringContent(value) + "'";

    private static readonly Regex PlainWord = new(@"^[\w.:@+\-/~]+$", RegexOptions.CultureInvariant);

    /// <summary>A bound parameter's value as text (the first when several are given), or null.</summary>
    internal static string? Bound(IDictionary parameters, string name)
    {
        if (!parameters.Contains(name)) return null;
        var value = parameters[name] is PSObject p ? p.BaseObject : parameters[name];
        return value switch
        {
            null => null,
            string s => s,
            IEnumerable e => e.Cast<object?>().Select(o => o?.ToString()).FirstOrDefault(),
            _ => value.ToString(),
        };
    }

    /// <summary>The links of the namespace -NetNamespace names (this one without it).</summary>
    internal static List<LinkInfo> LinksOf(IDictionary parameters)
    {
        var ns = Bound(parameters, "NetNamespace");
        var path = string.IsNullOrEmpty(ns) ? null : NlmonDeviceClients.ResolveNamespace(ns);
        return NlmonNetns.Run(path, () =>
        {
            using var links = new Links();
            return links.List();
        });
    }
}

/// <summary>Network devices of the namespace (-InterfaceName of Get-PacketDrop, -Source and -Destination of the mirror cmdlets).</summary>
public sealed class LinkNameCompleter : CompleterBase
{
    protected override bool IgnoreCase => false;
    protected override IEnumerable<string> Values(string commandName, IDictionary boundParameters) =>
        LinksOf(boundParameters).OrderBy(l => l.Index).Select(l => l.Name);
}

/// <summary>
/// nlmon devices of the namespace (-Name of Get/Set/Remove-NlmonDevice, -InterfaceName of Get-NetlinkMessage);
/// for New-NlmonDevice, the first free name nlmonN.
/// </summary>
public sealed class NlmonDeviceCompleter : CompleterBase
{
    protected override bool IgnoreCase => false;
    protected override IEnumerable<string> Values(string commandName, IDictionary boundParameters)
    {
        var links = LinksOf(boundParameters);
        if (string.Equals(commandName, "New-NlmonDevice", StringComparison.OrdinalIgnoreCase))
        {
            var taken = links.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
            return new[] { Enumerable.Range(0, 1024).Select(i => $"nlmon{i}").First(n => !taken.Contains(n)) };
        }
        return links.Where(l => l.Kind == NlmonDevices.Kind).OrderBy(l => l.Index).Select(l => l.Name);
    }
}

/// <summary>Named network namespaces (/run/netns, as `ip netns list` shows them).</summary>
public sealed class NetNamespaceCompleter : CompleterBase
{
    protected override bool IgnoreCase => false;
    protected override IEnumerable<string> Values(string commandName, IDictionary boundParameters) =>
        NlmonNetns.Named().Select(n => n.Name).OrderBy(n => n, StringComparer.Ordinal);
}

/// <summary>Drop reasons of the running kernel (kfree_skb tracepoint), else the module's list.</summary>
public sealed class DropReasonCompleter : CompleterBase
{
    protected override IEnumerable<string> Values(string commandName, IDictionary boundParameters) =>
        DropReasons.Known(out _).OrderBy(n => n, StringComparer.Ordinal);
}

/// <summary>Get-PacketDrop -Protocol: transports, then EtherType names.</summary>
public sealed class PacketProtocolCompleter : CompleterBase
{
    protected override IEnumerable<string> Values(string commandName, IDictionary boundParameters) =>
        PacketDropFilter.TransportNames.Concat(EtherTypeNames.KnownNames).Distinct(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// -Protocol of the message cmdlets: where it filters a live nlmon capture (Get-NetlinkMessage without -Path),
/// only the eight protocols nlmon passes; for files and traces, which can hold any protocol, all of them.
/// </summary>
public sealed class NetlinkProtocolCompleter : CompleterBase
{
    protected override IEnumerable<string> Values(string commandName, IDictionary boundParameters)
    {
        bool capture = string.Equals(commandName, "Get-NetlinkMessage", StringComparison.OrdinalIgnoreCase)
            && !boundParameters.Contains("Path") && !boundParameters.Contains("LiteralPath") && !boundParameters.Contains("PSPath");
        return (capture ? NetlinkProtocols.SeenByNlmon : Enum.GetValues<NetlinkProtocol>()).Select(p => p.ToString()).Distinct();
    }
}

/// <summary>
/// -GenericFamily: the running kernel's generic families as the map the parameter takes, for a capture recorded on
/// this host without the CTRL_CMD_GETFAMILY answers that name its ids. First the whole map, then one per family;
/// the word typed picks families by name or id ("eth" -> @{ 20 = 'ethtool' }).
/// </summary>
public sealed class GenericFamilyCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        Dictionary<int, string> families;
        try
        {
            families = NlctrlFamilyDump.Query(1000);
        }
        catch (Exception)
        {
            return Array.Empty<CompletionResult>();   // tab never fails on the prompt
        }
        // nlctrl's id is fixed (16), the decoder knows it; names are the kernel's own, quoted as PowerShell reads them.
        var known = families.Where(f => f.Key != Nl.GENL_ID_CTRL && f.Value.Length > 0).OrderBy(f => f.Key).ToList();
        var word = (wordToComplete ?? "").TrimStart('@', '{', ' ').Trim('\'', '"', ' ');
        var picked = known.Where(f => word.Length == 0
            || f.Value.StartsWith(word, StringComparison.OrdinalIgnoreCase)
            || f.Key.ToString(System.Globalization.CultureInfo.InvariantCulture).StartsWith(word, StringComparison.Ordinal)).ToList();
        var results = new List<CompletionResult>();
        if (picked.Count > 1)
            results.Add(new CompletionResult(Map(picked), $"every family of this kernel ({picked.Count})", CompletionResultType.ParameterValue,
                "The running kernel's generic netlink families, id = name"));
        foreach (var f in picked)
            results.Add(new CompletionResult(Map(new[] { f }), $"{f.Value} ({f.Key})", CompletionResultType.ParameterValue,
                $"Generic netlink family {f.Value}: id {f.Key} on this kernel"));
        return results;
    }

    private static string Map(IEnumerable<KeyValuePair<int, string>> families) =>
        "@{ " + string.Join("; ", families.Select(f => $"{f.Key} = '{CodeGeneration.EscapeSingleQuotedStringContent(f.Value)}'")) + " }";
}

/// <summary>
/// Trace-NetlinkCommand -FilePath: the programs of PATH, as a shell completes a command name; a word with a slash is a
/// path, completed with the directories and executable files it may go on with.
/// </summary>
public sealed class ProgramInPathCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = (wordToComplete ?? "").Trim('\'', '"');
        if (word.Contains('/')) return PathsOf(word);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            try
            {
                foreach (var file in new DirectoryInfo(dir).EnumerateFiles(word + "*"))
                    if (NlmonPS.Tracing.Spawner.IsExecutableFile(file.FullName)) names.Add(file.Name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.Security.SecurityException)
            {
                // A PATH entry that is missing or unreadable offers nothing; tab never fails.
            }
        }
        return names.Select(n => new CompletionResult(CompleterBase.Quote(n), n, CompletionResultType.Command, n)).ToList();
    }

    /// <summary>The session's file-system location (pwsh does not move the process's working directory).</summary>
    private static string? SessionLocation()
    {
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        var location = ps.AddCommand("Microsoft.PowerShell.Management\\Get-Location").AddParameter("PSProvider", "FileSystem").Invoke<PathInfo>();
        return location.Count > 0 ? location[0].ProviderPath : null;
    }

    /// <summary>A path being typed: the directories and executable files it may go on with.</summary>
    private static List<CompletionResult> PathsOf(string word)
    {
        var results = new List<CompletionResult>();
        try
        {
            int slash = word.LastIndexOf('/');
            string dirPart = word[..(slash + 1)], prefix = word[(slash + 1)..];
            // Relative to the session's location, as the cmdlet resolves it; ~ is the home directory, as pwsh reads it.
            var here = SessionLocation() ?? Environment.CurrentDirectory;
            var lookIn = dirPart.StartsWith("~/", StringComparison.Ordinal)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), dirPart[2..]) : dirPart;
            var dir = new DirectoryInfo(Path.GetFullPath(lookIn.Length == 0 ? "." : lookIn, here));
            foreach (var entry in dir.EnumerateFileSystemInfos(prefix + "*").OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                bool isDir = entry is DirectoryInfo;
                if (!isDir && !NlmonPS.Tracing.Spawner.IsExecutableFile(entry.FullName)) continue;   // through links, as execve
                var text = dirPart + entry.Name + (isDir ? "/" : "");
                results.Add(new CompletionResult(CompleterBase.Quote(text), entry.Name + (isDir ? "/" : ""),
                    isDir ? CompletionResultType.ProviderContainer : CompletionResultType.Command, text));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or System.Security.SecurityException or RuntimeException or PSInvalidOperationException)
        {
            // An unreadable or impossible directory offers nothing.
        }
        return results;
    }
}
