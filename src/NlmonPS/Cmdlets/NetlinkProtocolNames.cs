using System.Globalization;
using System.Management.Automation;
using NlmonPS.Wire;

namespace NlmonPS.Cmdlets;

/// <summary>-Protocol given as text: the enum names in any case, the uapi spellings (SOCK_DIAG, NETLINK_ROUTE), or numbers.</summary>
internal static class NetlinkProtocolNames
{
    /// <summary>The protocols named; null when none given. A name that is no protocol sets <paramref name="error"/>.</summary>
    public static NetlinkProtocol[]? Parse(string[]? names, out ErrorRecord? error)
    {
        error = null;
        if (names is not { Length: > 0 }) return null;
        var result = new List<NetlinkProtocol>();
        foreach (var name in names)
        {
            if (TryParse(name, out var protocol))
            {
                if (!result.Contains(protocol)) result.Add(protocol);
                continue;
            }
            var closest = NameSuggestions.Closest(name, Enum.GetNames<NetlinkProtocol>().Concat(NetlinkProtocols.SeenByNlmon.Select(Uapi)));
            error = new ErrorRecord(new ArgumentException(
                $"-Protocol '{name}' names no netlink protocol.{NameSuggestions.DidYouMean(closest)} nlmon passes {string.Join(", ", NetlinkProtocols.SeenByNlmon)}; " +
                "files and traces may hold any of " + string.Join(", ", Enum.GetNames<NetlinkProtocol>()) + " (or a number 0-31)."),
                "UnknownNetlinkProtocol", ErrorCategory.InvalidArgument, name);
            return null;
        }
        return result.ToArray();
    }

    /// <summary>"Route", "ROUTE", "NETLINK_ROUTE", "sock_diag", "4".</summary>
    public static bool TryParse(string? text, out NetlinkProtocol protocol)
    {
        protocol = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var word = text.Trim();
        if (int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            protocol = (NetlinkProtocol)number;
            return Enum.IsDefined(protocol);
        }
        if (word.StartsWith("NETLINK_", StringComparison.OrdinalIgnoreCase)) word = word[8..];
        word = word.Replace("_", "");
        foreach (var p in Enum.GetValues<NetlinkProtocol>())
            if (string.Equals(p.ToString(), word, StringComparison.OrdinalIgnoreCase)) { protocol = p; return true; }
        return false;
    }

    /// <summary>The uapi spelling without NETLINK_: SockDiag -> SOCK_DIAG.</summary>
    private static string Uapi(NetlinkProtocol p) => p switch
    {
        NetlinkProtocol.SockDiag => "SOCK_DIAG",
        NetlinkProtocol.FibLookup => "FIB_LOOKUP",
        _ => p.ToString().ToUpperInvariant(),
    };
}
