using System.Text.RegularExpressions;

namespace NlmonPS.DropMonitoring;

/// <summary>
/// The drop reasons a kernel reports (NET_DM_ATTR_REASON: "NO_SOCKET", "NETFILTER_DROP"...), for completion and for
/// naming the nearest reason to a mistyped -Reason. The running kernel's list comes from the kfree_skb tracepoint's
/// format (tracefs, root); without it, the core list of Linux 6.10 (include/net/dropreason-core.h).
/// </summary>
internal static partial class DropReasons
{
    /// <summary>enum skb_drop_reason, core part, in order, as the kernel spells the reason (without SKB_DROP_REASON_).</summary>
    public static readonly IReadOnlyList<string> Core = new[]
    {
        "NOT_SPECIFIED", "NO_SOCKET", "PKT_TOO_SMALL", "TCP_CSUM", "SOCKET_FILTER", "UDP_CSUM", "NETFILTER_DROP", "OTHERHOST",
        "IP_CSUM", "IP_INHDR", "IP_RPFILTER", "UNICAST_IN_L2_MULTICAST", "XFRM_POLICY", "IP_NOPROTO", "SOCKET_RCVBUFF", "PROTO_MEM",
        "TCP_AUTH_HDR", "TCP_MD5NOTFOUND", "TCP_MD5UNEXPECTED", "TCP_MD5FAILURE", "TCP_AONOTFOUND", "TCP_AOUNEXPECTED",
        "TCP_AOKEYNOTFOUND", "TCP_AOFAILURE", "SOCKET_BACKLOG", "TCP_FLAGS", "TCP_ZEROWINDOW", "TCP_OLD_DATA", "TCP_OVERWINDOW",
        "TCP_OFOMERGE", "TCP_RFC7323_PAWS", "TCP_OLD_SEQUENCE", "TCP_INVALID_SEQUENCE", "TCP_RESET", "TCP_INVALID_SYN", "TCP_CLOSE",
        "TCP_FASTOPEN", "TCP_OLD_ACK", "TCP_TOO_OLD_ACK", "TCP_ACK_UNSENT_DATA", "TCP_OFO_QUEUE_PRUNE", "TCP_OFO_DROP",
        "IP_OUTNOROUTES", "BPF_CGROUP_EGRESS", "IPV6DISABLED", "NEIGH_CREATEFAIL", "NEIGH_FAILED", "NEIGH_QUEUEFULL", "NEIGH_DEAD",
        "TC_EGRESS", "QDISC_DROP", "CPU_BACKLOG", "XDP", "TC_INGRESS", "UNHANDLED_PROTO", "SKB_CSUM", "SKB_GSO_SEG",
        "SKB_UCOPY_FAULT", "DEV_HDR", "DEV_READY", "FULL_RING", "NOMEM", "HDR_TRUNC", "TAP_FILTER", "TAP_TXFILTER", "ICMP_CSUM",
        "INVALID_PROTO", "IP_INADDRERRORS", "IP_INNOROUTES", "PKT_TOO_BIG", "DUP_FRAG", "FRAG_REASM_TIMEOUT", "FRAG_TOO_FAR",
        "TCP_MINTTL", "IPV6_BAD_EXTHDR", "IPV6_NDISC_FRAG", "IPV6_NDISC_HOP_LIMIT", "IPV6_NDISC_BAD_CODE", "IPV6_NDISC_BAD_OPTIONS",
        "IPV6_NDISC_NS_OTHERHOST", "QUEUE_PURGE", "TC_COOKIE_ERROR", "PACKET_SOCK_ERROR", "TC_CHAIN_NOTFOUND", "TC_RECLASSIFY_LOOP",
    };

    /// <summary>Where tracefs shows the tracepoint; the first readable one wins.</summary>
    internal static readonly string[] FormatFiles =
    {
        "/sys/kernel/tracing/events/skb/kfree_skb/format",
        "/sys/kernel/debug/tracing/events/skb/kfree_skb/format",
    };

    // __print_symbolic(REC->reason, { 2, "NOT_SPECIFIED" }, { 3, "NO_SOCKET" }, ...)
    [GeneratedRegex("""\{\s*(?:0x)?[0-9a-fA-F]+\s*,\s*"([A-Za-z0-9_]+)"\s*\}""")]
    private static partial Regex SymbolPattern();

    /// <summary>Names that are not drops (kfree_skb also traces consumed packets).</summary>
    private static readonly HashSet<string> NotDrops = new(StringComparer.Ordinal) { "NOT_DROPPED_YET", "CONSUMED", "MAX" };

    /// <summary>The running kernel's reasons, or null when its tracepoint format cannot be read (no tracefs, not root).</summary>
    public static IReadOnlyList<string>? FromKernel()
    {
        foreach (var file in FormatFiles)
        {
            string text;
            try
            {
                // Bounded: the format file is a few KiB; a larger one is not what we think it is.
                using var stream = File.OpenRead(file);
                var buffer = new byte[256 * 1024];
                int n = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                text = System.Text.Encoding.ASCII.GetString(buffer, 0, n);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            var names = Parse(text);
            if (names.Count > 0) return names;
        }
        return null;
    }

    /// <summary>The reason names of a kfree_skb format file, in its order.</summary>
    public static IReadOnlyList<string> Parse(string format) =>
        SymbolPattern().Matches(format).Select(m => m.Groups[1].Value).Where(n => !NotDrops.Contains(n)).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The running kernel's reasons when it tells, else <see cref="Core"/>; <paramref name="fromKernel"/> says which.</summary>
    public static IReadOnlyList<string> Known(out bool fromKernel)
    {
        var kernel = FromKernel();
        fromKernel = kernel is not null;
        return kernel ?? Core;
    }
}
