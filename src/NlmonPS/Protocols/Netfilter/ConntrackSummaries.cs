using NlmonPS.Decoding;

namespace NlmonPS.Protocols.Netfilter;

public static class ConntrackSummaries
{
    public static string? Conntrack(NetlinkMessage m) => null;
    public static string? Expect(NetlinkMessage m) => null;
}
