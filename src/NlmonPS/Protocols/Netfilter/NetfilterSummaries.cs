using NlmonPS.Decoding;
using static NlmonPS.Decoding.Summaries;

namespace NlmonPS.Protocols.Netfilter;

/// <summary>One line per message of the smaller nfnetlink subsystems.</summary>
public static class NetfilterSummaries
{
    public static string? Batch(NetlinkMessage m) => null;
    public static string? Queue(NetlinkMessage m) => null;
    public static string? Log(NetlinkMessage m) => null;
    public static string? Osf(NetlinkMessage m) => null;
    public static string? Acct(NetlinkMessage m) => null;
    public static string? Timeout(NetlinkMessage m) => null;
    public static string? Helper(NetlinkMessage m) => null;
    public static string? Compat(NetlinkMessage m) => null;
    public static string? Hook(NetlinkMessage m) => null;
    public static string? Unknown(NetlinkMessage m) => Join(RequestVerb(m), m.TypeName);
}
