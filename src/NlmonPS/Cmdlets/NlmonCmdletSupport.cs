using System.Globalization;
using System.Management.Automation;
using NlmonPS.KernelClients;

namespace NlmonPS.Cmdlets;

/// <summary>What the nlmon device cmdlets share: one device client per network namespace, and -NetNamespace.</summary>
internal sealed class NlmonDeviceClients : IDisposable
{
    private readonly Dictionary<string, NlmonDevices> _clients = new(StringComparer.Ordinal);

    /// <summary>
    /// The client for a namespace (null or the caller's own: this thread's), created on a thread inside it.
    /// Throws NetNamespaceException or NlmonUnavailableException (PermissionDenied).
    /// </summary>
    public NlmonDevices For(string? netNamespace)
    {
        var path = ResolveNamespace(netNamespace);
        var key = path ?? "";
        if (_clients.TryGetValue(key, out var client)) return client;
        client = NlmonNetns.Run(path, () => new NlmonDevices());
        _clients[key] = client;
        return client;
    }

    /// <summary>The namespace file to enter, or null for the caller's own namespace.</summary>
    public static string? ResolveNamespace(string? netNamespace)
    {
        if (string.IsNullOrEmpty(netNamespace)) return null;
        var path = NlmonNetns.ResolvePath(netNamespace);
        return NlmonNetns.InodeOf(path) is ulong inode && inode == NlmonNetns.CurrentInode() ? null : path;
    }

    public void Dispose()
    {
        foreach (var c in _clients.Values) c.Dispose();
        _clients.Clear();
    }
}

/// <summary>Converts -Duration 10 (seconds) as well as -Duration 00:00:10 or a [TimeSpan] to a TimeSpan.</summary>
public sealed class SecondsToTimeSpanAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        return value switch
        {
            TimeSpan => value,
            int or long or short or byte or uint or ulong or ushort or sbyte or double or float or decimal =>
                TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) => TimeSpan.FromSeconds(seconds),
            string s when TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var span) => span,
            _ => inputData,
        };
    }
}

/// <summary>-Duration of the cmdlets that stop after a while (with <see cref="SecondsToTimeSpanAttribute"/>).</summary>
internal static class DurationParameter
{
    /// <summary>Stops the cmdlet with InvalidDuration (InvalidArgument) when -Duration was given and is not longer than zero.</summary>
    public static void Check(PSCmdlet cmdlet, TimeSpan duration)
    {
        if (cmdlet.MyInvocation.BoundParameters.ContainsKey("Duration") && duration <= TimeSpan.Zero)
            cmdlet.ThrowTerminatingError(ErrorRecords.InvalidDuration(duration));
    }
}

/// <summary>-Timeout of the transaction cmdlets: how long (stream time) a request waits for its next answer.</summary>
internal static class TransactionTimeoutParameter
{
    /// <summary>Stops the cmdlet with TransactionInvalidTimeout (InvalidArgument) when -Timeout is not longer than zero.</summary>
    public static void Check(PSCmdlet cmdlet, TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentOutOfRangeException("Timeout", timeout, "-Timeout must be longer than zero."),
                "TransactionInvalidTimeout", ErrorCategory.InvalidArgument, timeout));
    }
}

/// <summary>Names given to -Name or -Source: one with wildcards selects what matches it; one without must exist.</summary>
internal static class NamePattern
{
    public static bool IsLiteral(string pattern) => !WildcardPattern.ContainsWildcardCharacters(pattern);

    /// <summary>A name with wildcards matches by pattern, otherwise exactly (case-sensitive: Linux device names are).</summary>
    public static bool Matches(string value, string pattern) =>
        IsLiteral(pattern) ? string.Equals(value, pattern, StringComparison.Ordinal) : new WildcardPattern(pattern, WildcardOptions.None).IsMatch(value);

    /// <summary>The items whose name the pattern matches.</summary>
    public static List<T> Select<T>(IEnumerable<T> items, Func<T, string> name, string pattern) =>
        items.Where(item => Matches(name(item), pattern)).ToList();
}
