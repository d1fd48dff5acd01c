using NlmonPS.Decoding;
using NlmonPS.Wire;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Route;

/// <summary>NETLINK_ROUTE: message types (linux/rtnetlink.h) and their family headers.</summary>
internal sealed class RouteSchema : TypeTableSchema, IMessageObserver
{
    // Family headers.
    public static readonly StructSpec IfInfoMsg = new("ifinfomsg", 16)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "type", 2, U16, Enums.Arphrd }, { "index", 4, S32 },
        { "flags", 8, U32, null, Enums.InterfaceFlags }, { "change", 12, U32 },
    };
    public static readonly StructSpec IfAddrMsg = new("ifaddrmsg", 8)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "prefixlen", 1, U8 }, { "flags", 2, U8, null, Enums.AddressFlags },
        { "scope", 3, U8, Enums.Scope }, { "index", 4, U32 },
    };
    public static readonly StructSpec RtMsg = new("rtmsg", 12)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "dst_len", 1, U8 }, { "src_len", 2, U8 }, { "tos", 3, U8 },
        { "table", 4, U8, RouteEnums.Table }, { "protocol", 5, U8, RouteEnums.Protocol }, { "scope", 6, U8, Enums.Scope },
        { "type", 7, U8, RouteEnums.RouteType }, { "flags", 8, U32, null, RouteEnums.RouteFlags },
    };
    public static readonly StructSpec NdMsg = new("ndmsg", 12)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "ifindex", 4, S32 }, { "state", 8, U16, null, RouteEnums.NeighState },
        { "flags", 10, U8, null, RouteEnums.NeighFlags }, { "type", 11, U8, RouteEnums.RouteType },
    };
    public static readonly StructSpec FibRuleHdr = new("fib_rule_hdr", 12)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "dst_len", 1, U8 }, { "src_len", 2, U8 }, { "tos", 3, U8 },
        { "table", 4, U8, RouteEnums.Table }, { "action", 7, U8, RouteEnums.RuleAction }, { "flags", 8, U32 },
    };
    public static readonly StructSpec TcMsg = new("tcmsg", 20)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "ifindex", 4, S32 }, { "handle", 8, U32 }, { "parent", 12, U32 },
        { "info", 16, U32 },
    };
    public static readonly StructSpec TcaMsg = new("tcamsg", 4) { { "family", 0, U8, Enums.AddressFamily } };
    public static readonly StructSpec RtGenMsg = new("rtgenmsg", 1) { { "family", 0, U8, Enums.AddressFamily } };
    public static readonly StructSpec NhMsg = new("nhmsg", 8)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "scope", 1, U8, Enums.Scope }, { "protocol", 2, U8, RouteEnums.Protocol },
        { "flags", 4, U32, null, RouteEnums.NextHopFlags },
    };
    public static readonly StructSpec IfStatsMsg = new("if_stats_msg", 12)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "ifindex", 4, U32 }, { "filter_mask", 8, U32 },
    };
    public static readonly StructSpec BrPortMsg = new("br_port_msg", 8) { { "family", 0, U8, Enums.AddressFamily }, { "ifindex", 4, U32 } };
    public static readonly StructSpec IfAddrLblMsg = new("ifaddrlblmsg", 12)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "prefixlen", 2, U8 }, { "flags", 3, U8 }, { "ifindex", 4, U32 }, { "seq", 8, U32 },
    };
    public static readonly StructSpec NdtMsg = new("ndtmsg", 4) { { "family", 0, U8, Enums.AddressFamily } };
    public static readonly StructSpec PrefixMsg = new("prefixmsg", 12)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "ifindex", 4, S32 }, { "type", 8, U8 }, { "len", 9, U8 }, { "flags", 10, U8 },
    };
    public static readonly StructSpec BrVlanMsg = new("br_vlan_msg", 8) { { "family", 0, U8, Enums.AddressFamily }, { "ifindex", 4, U32 } };
    public static readonly StructSpec TunnelMsg = new("tunnel_msg", 8) { { "family", 0, U8, Enums.AddressFamily }, { "flags", 1, U8 }, { "ifindex", 4, U32 } };
    public static readonly StructSpec NdUserOptMsg = new("nduseroptmsg", 16)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "opts_len", 2, U16 }, { "ifindex", 4, S32 }, { "icmp_type", 8, U8 }, { "icmp_code", 9, U8 },
    };
    public static readonly StructSpec DcbMsg = new("dcbmsg", 4) { { "family", 0, U8, Enums.AddressFamily }, { "cmd", 1, U8 } };

    private RouteSchema() : base(NetlinkProtocol.Route)
    {
        // Each object has NEW/DEL/GET(/SET) in a block of four (RTM_BASE = 16).
        Object(16, "LINK", IfInfoMsg, LinkTables.Link, RouteSummaries.Link, set: true);
        Object(20, "ADDR", IfAddrMsg, AddressTables.Address, RouteSummaries.Address);
        Object(24, "ROUTE", RtMsg, RouteTables.Route, RouteSummaries.Route);
        Object(28, "NEIGH", NdMsg, RouteTables.Neigh, RouteSummaries.Neigh);
        Object(32, "RULE", FibRuleHdr, RouteTables.Rule, RouteSummaries.Rule);
        Object(36, "QDISC", TcMsg, TcTables.Tc, TcSummaries.Tc);
        Object(40, "TCLASS", TcMsg, TcTables.Tc, TcSummaries.Tc);
        Object(44, "TFILTER", TcMsg, TcTables.Tc, TcSummaries.Tc);
        Object(48, "ACTION", TcaMsg, TcTables.ActionRoot, TcSummaries.Action);
        Add(52, new MessageSpec("RTM_NEWPREFIX", MessageKind.New) { Header = PrefixMsg, Attributes = RouteTables.Prefix, Summary = RouteSummaries.Generic });
        Add(58, new MessageSpec("RTM_GETMULTICAST", MessageKind.Get) { Header = IfAddrMsg, Attributes = AddressTables.Address, Summary = RouteSummaries.Address });
        Add(62, new MessageSpec("RTM_GETANYCAST", MessageKind.Get) { Header = IfAddrMsg, Attributes = AddressTables.Address, Summary = RouteSummaries.Address });
        Add(64, new MessageSpec("RTM_NEWNEIGHTBL", MessageKind.New) { Header = NdtMsg, Attributes = RouteTables.NeighTable, Summary = RouteSummaries.Generic });
        Add(66, new MessageSpec("RTM_GETNEIGHTBL", MessageKind.Get) { Header = NdtMsg, Attributes = RouteTables.NeighTable, Summary = RouteSummaries.Generic });
        Add(67, new MessageSpec("RTM_SETNEIGHTBL", MessageKind.New) { Header = NdtMsg, Attributes = RouteTables.NeighTable, Summary = RouteSummaries.Generic });
        Add(68, new MessageSpec("RTM_NEWNDUSEROPT", MessageKind.New) { Header = NdUserOptMsg });
        Object(72, "ADDRLABEL", IfAddrLblMsg, RouteTables.AddrLabel, RouteSummaries.Generic);
        Add(78, new MessageSpec("RTM_GETDCB", MessageKind.Get) { Header = DcbMsg });
        Add(79, new MessageSpec("RTM_SETDCB", MessageKind.New) { Header = DcbMsg });
        Object(80, "NETCONF", NetconfMsg, RouteTables.Netconf, RouteSummaries.Netconf);
        Object(84, "MDB", BrPortMsg, RouteTables.Mdb, RouteSummaries.Generic);
        Object(88, "NSID", RtGenMsg, RouteTables.Nsid, RouteSummaries.Nsid);
        Add(92, new MessageSpec("RTM_NEWSTATS", MessageKind.New) { Header = IfStatsMsg, Attributes = RouteTables.Stats, Summary = RouteSummaries.Stats });
        Add(94, new MessageSpec("RTM_GETSTATS", MessageKind.Get) { Header = IfStatsMsg, Attributes = RouteTables.Stats, Summary = RouteSummaries.Stats });
        Add(95, new MessageSpec("RTM_SETSTATS", MessageKind.New) { Header = IfStatsMsg, Attributes = RouteTables.Stats });
        Add(96, new MessageSpec("RTM_NEWCACHEREPORT", MessageKind.New) { Header = RtMsg, Attributes = RouteTables.Route });
        Object(100, "CHAIN", TcMsg, TcTables.Tc, TcSummaries.Tc);
        Object(104, "NEXTHOP", NhMsg, RouteTables.NextHop, RouteSummaries.NextHop);
        Object(108, "LINKPROP", IfInfoMsg, LinkTables.Link, RouteSummaries.Link);
        Object(112, "VLAN", BrVlanMsg, RouteTables.BridgeVlan, RouteSummaries.Generic);
        Object(116, "NEXTHOPBUCKET", NhMsg, RouteTables.NextHopBucket, RouteSummaries.Generic);
        Object(120, "TUNNEL", TunnelMsg, RouteTables.Tunnel, RouteSummaries.Generic);
    }

    public static readonly StructSpec NetconfMsg = new("netconfmsg", 1) { { "family", 0, U8, Enums.AddressFamily } };

    private void Object(ushort baseType, string name, StructSpec header, AttributeTable? attributes, Func<NetlinkMessage, string?> summary, bool set = false)
    {
        Add(baseType, new MessageSpec($"RTM_NEW{name}", MessageKind.New) { Header = header, Attributes = attributes, Summary = summary });
        Add((ushort)(baseType + 1), new MessageSpec($"RTM_DEL{name}", MessageKind.Delete) { Header = header, Attributes = attributes, Summary = summary });
        Add((ushort)(baseType + 2), new MessageSpec($"RTM_GET{name}", MessageKind.Get) { Header = header, Attributes = attributes, Summary = summary });
        if (set) Add((ushort)(baseType + 3), new MessageSpec($"RTM_SET{name}", MessageKind.New) { Header = header, Attributes = attributes, Summary = summary });
    }

    // RTM_NEWLINK, its ifinfomsg's ifi_index, IFLA_IFNAME.
    private const ushort RtmNewLink = 16, IflaIfname = 3;
    private const int IfiIndexOffset = Nl.HeaderLength + 4, LinkAttributesOffset = Nl.HeaderLength + 16;

    /// <summary>
    /// Only link messages teach (interface names, for the summaries of the messages after them), from their bytes
    /// alone: a filter that skips them still teaches the names.
    /// </summary>
    public Learning LearnsFrom(ushort type) => type == RtmNewLink ? Learning.FromBytes : Learning.Nothing;

    /// <summary>
    /// Learns interface names from the kernel's link messages as they stream past (replies to link dumps, notifications),
    /// read straight from the bytes: every link message passes here and its attributes may never be read.
    /// </summary>
    public void Observe(DecodeContext context, NetlinkMessage message) =>
        Learn(context, message.Bytes, message.Type, message.Direction, message.ByteOrder);

    public void ObserveUndecoded(DecodeContext context, in RawMessage raw, NetlinkDirection direction, ByteOrder order) =>
        Learn(context, raw.Bytes.Span, raw.Header.Type, direction, order);

    private static void Learn(DecodeContext context, ReadOnlySpan<byte> bytes, ushort type, NetlinkDirection direction, ByteOrder order)
    {
        // The attributes follow ifinfomsg, as the decoder lays them out (none when nothing follows it).
        if (type != RtmNewLink || direction != NetlinkDirection.FromKernel || bytes.Length <= LinkAttributesOffset) return;
        if (AttributeWalker.TryFind(bytes[LinkAttributesOffset..], IflaIfname, order, out var name))
            context.Links.Learn((int)Endian.U32(bytes[IfiIndexOffset..], order), name);
    }

    // Last: static fields initialise in textual order, and the constructor uses the ones above.
    public static readonly RouteSchema Instance = new();
}
