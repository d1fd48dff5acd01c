using System.Management.Automation;
using NlmonPS.Kernel;

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
        switch (value)
        {
            case TimeSpan:
                return value;
            case int or long or short or byte or uint or ulong or ushort or sbyte:
                return TimeSpan.FromSeconds(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
            case double d:
                return TimeSpan.FromSeconds(d);
            case float f:
                return TimeSpan.FromSeconds(f);
            case decimal m:
                return TimeSpan.FromSeconds((double)m);
            case string s when double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds):
                return TimeSpan.FromSeconds(seconds);
            case string s when TimeSpan.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var span):
                return span;
            default:
                return inputData;
        }
    }
}
