namespace NlmonPS.Wire;

/// <summary>Numbers from include/uapi/linux/netlink.h.</summary>
internal static class Nl
{
    public const int HeaderLength = 16;
    public const int AttributeHeaderLength = 4;

    // Control message types (below NLMSG_MIN_TYPE = 0x10).
    public const ushort NLMSG_NOOP = 1;
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const ushort NLMSG_OVERRUN = 4;
    public const ushort NLMSG_MIN_TYPE = 0x10;
    /// <summary>genetlink.h: nlctrl's id, the one generic netlink message type fixed at build time.</summary>
    public const ushort GENL_ID_CTRL = 16;

    // Common flags.
    public const ushort NLM_F_REQUEST = 0x01;
    public const ushort NLM_F_MULTI = 0x02;
    public const ushort NLM_F_ACK = 0x04;
    public const ushort NLM_F_ECHO = 0x08;
    public const ushort NLM_F_DUMP_INTR = 0x10;
    public const ushort NLM_F_DUMP_FILTERED = 0x20;
    // GET requests.
    public const ushort NLM_F_ROOT = 0x100;
    public const ushort NLM_F_MATCH = 0x200;
    public const ushort NLM_F_ATOMIC = 0x400;
    public const ushort NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    // NEW requests.
    public const ushort NLM_F_REPLACE = 0x100;
    public const ushort NLM_F_EXCL = 0x200;
    public const ushort NLM_F_CREATE = 0x400;
    public const ushort NLM_F_APPEND = 0x800;
    // DELETE requests.
    public const ushort NLM_F_NONREC = 0x100;
    public const ushort NLM_F_BULK = 0x200;
    // ACK messages.
    public const ushort NLM_F_CAPPED = 0x100;
    public const ushort NLM_F_ACK_TLVS = 0x200;

    // Attribute header flags.
    public const ushort NLA_F_NESTED = 0x8000;
    public const ushort NLA_F_NET_BYTEORDER = 0x4000;
    public const ushort NLA_TYPE_MASK = 0x3fff;

    // Extended ACK attributes (enum nlmsgerr_attrs).
    public const ushort NLMSGERR_ATTR_MSG = 1;
    public const ushort NLMSGERR_ATTR_OFFS = 2;
    public const ushort NLMSGERR_ATTR_COOKIE = 3;
    public const ushort NLMSGERR_ATTR_POLICY = 4;
    public const ushort NLMSGERR_ATTR_MISS_TYPE = 5;
    public const ushort NLMSGERR_ATTR_MISS_NEST = 6;

    public static int Align(int length) => (length + 3) & ~3;
}

/// <summary>Netlink protocol numbers (include/uapi/linux/netlink.h). nlmon passes the first eight listed.</summary>
public enum NetlinkProtocol
{
    Route = 0,
    Usersock = 2,
    SockDiag = 4,
    Nflog = 5,
    Xfrm = 6,
    FibLookup = 10,
    Netfilter = 12,
    Generic = 16,
    Unused = 1,
    Firewall = 3,
    SELinux = 7,
    IscsI = 8,
    Audit = 9,
    Connector = 11,
    Ip6Fw = 13,
    DnrtMsg = 14,
    KobjectUevent = 15,
    ScsiTransport = 18,
    Ecryptfs = 19,
    Rdma = 20,
    Crypto = 21,
    Smc = 22,
}

internal static class NetlinkProtocols
{
    /// <summary>The protocols the netlink tap passes to nlmon (netlink_filter_tap in net/netlink/af_netlink.c).</summary>
    public static readonly IReadOnlyList<NetlinkProtocol> SeenByNlmon = new[]
    {
        NetlinkProtocol.Route, NetlinkProtocol.Usersock, NetlinkProtocol.SockDiag, NetlinkProtocol.Nflog,
        NetlinkProtocol.Xfrm, NetlinkProtocol.FibLookup, NetlinkProtocol.Netfilter, NetlinkProtocol.Generic,
    };

    public static bool IsSeenByNlmon(NetlinkProtocol p) => SeenByNlmon.Contains(p);
}
