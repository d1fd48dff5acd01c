using NlmonPS.Decoding;

namespace NlmonPS.Protocols.Netfilter;

public static class IpsetSummaries
{
    public static string? Ipset(NetlinkMessage m) => null;
}
