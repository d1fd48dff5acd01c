using NlmonPS.Decoding;
using NlmonPS.Wire;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Other;

/// <summary>
/// NETLINK_FIB_LOOKUP (net/ipv4/fib_frontend.c, nl_fib_input): user space sends a struct fib_result_nl
/// (include/net/ip_fib.h) with the address, mark, tos, scope and table to look up; the kernel answers with the same
/// message, header included (so NLM_F_REQUEST stays set on the answer), the result fields filled in. Any message
/// type is accepted; there are no attributes.
/// </summary>
internal sealed class FibLookupSchema : IProtocolSchema
{
    public static readonly EnumTable Table = new("rt-table") { [0] = "unspec", [252] = "compat", [253] = "default", [254] = "main", [255] = "local" };

    /// <summary>RTN_* route types (linux/rtnetlink.h), as `ip route` prints them.</summary>
    public static readonly EnumTable RouteType = new("rtn-type")
    {
        [0] = "unspec", [1] = "unicast", [2] = "local", [3] = "broadcast", [4] = "anycast", [5] = "multicast", [6] = "blackhole",
        [7] = "unreachable", [8] = "prohibit", [9] = "throw", [10] = "nat", [11] = "xresolve",
    };

    /// <summary>struct fib_result_nl: the query (fl_*, tb_id_in), then the result (tb_id.. err).</summary>
    public static readonly StructSpec FibResultNl = new("fib_result_nl", 20)
    {
        { "fl_addr", 0, IPv4 }, { "fl_mark", 4, U32 }, { "fl_tos", 8, U8 }, { "fl_scope", 9, U8, Enums.Scope },
        { "tb_id_in", 10, U8, Table }, { "tb_id", 11, U8, Table }, { "prefixlen", 12, U8 }, { "nh_sel", 13, U8 },
        { "type", 14, U8, RouteType }, { "scope", 15, U8, Enums.Scope }, { "err", 16, S32 },
    };

    private static readonly ResolvedMessage Lookup = new(new MessageSpec("FIB_LOOKUP", MessageKind.Get) { Header = FibResultNl, Summary = Summary }, 0);

    private FibLookupSchema() { }

    public NetlinkProtocol Protocol => NetlinkProtocol.FibLookup;

    public ResolvedMessage? Resolve(DecodeContext context, NetlinkHeader header, ReadOnlySpan<byte> payload, NetlinkDirection direction) => Lookup;

    public string? TypeName(ushort type) => type >= Nl.NLMSG_MIN_TYPE ? "FIB_LOOKUP" : null;

    public IEnumerable<(ushort Type, string Name)> KnownTypes => new[] { ((ushort)Nl.NLMSG_MIN_TYPE, "FIB_LOOKUP") };

    /// <summary>"lookup 127.0.0.1 table local: local/32 scope host" once the kernel filled in the result.</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var h = m.Header;
        var query = Summaries.Join("lookup", h["fl_addr"], $"table {NetlinkFields.Format(h["tb_id_in"])}",
            h["fl_mark"] is uint mark && mark != 0 ? $"mark 0x{mark:x}" : null, h["fl_tos"] is byte tos && tos != 0 ? $"tos 0x{tos:x}" : null);
        bool answered = h["tb_id"] is not (byte)0 and not "unspec" || h["err"] is int e && e != 0;
        if (!answered) return query;
        if (h["err"] is int err && err != 0) return $"{query}: {Errno.FibLookupText(-err)}";
        var table = Equals(h["tb_id"], h["tb_id_in"]) ? "" : $" table {NetlinkFields.Format(h["tb_id"])}";
        return $"{query}: {NetlinkFields.Format(h["type"])}/{h["prefixlen"]} scope {NetlinkFields.Format(h["scope"])}{table}";
    }

    // Last: static fields initialise in textual order, and the constructor uses the ones above.
    public static readonly FibLookupSchema Instance = new();
}
