using NlmonPS.Decoding;

namespace NlmonPS.Protocols.Route;

/// <summary>One line per traffic-control message, in the words `tc` prints.</summary>
public static class TcSummaries
{
    public static string? Tc(NetlinkMessage m) => RouteSummaries.Generic(m);

    public static string? Action(NetlinkMessage m) => RouteSummaries.Generic(m);
}
