namespace NlmonPS.KernelClients;

/// <summary>
/// The rtnetlink and traffic-control numbers the kernel clients use (linux/rtnetlink.h, pkt_sched.h, pkt_cls.h,
/// tc_act/tc_mirred.h, gen_stats.h). Names are the uapi ones; <c>UapiConstantTests</c> checks them against the headers.
/// </summary>
internal static class Rtm
{
    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_GETLINK = 18;
    public const ushort RTM_NEWQDISC = 36;
    public const ushort RTM_DELQDISC = 37;
    public const ushort RTM_GETQDISC = 38;
    public const ushort RTM_NEWTFILTER = 44;
    public const ushort RTM_DELTFILTER = 45;
    public const ushort RTM_GETTFILTER = 46;

    // struct ifinfomsg is 16 bytes; IFLA_IFNAME carries the name.
    public const int IfInfoMsgLength = 16;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_LINK = 5;
    public const ushort IFLA_LINK_NETNSID = 37;
    public const ushort IFLA_LINKINFO = 18;
    public const ushort IFLA_INFO_KIND = 1;
    public const ushort IFLA_EXT_MASK = 29;
}

/// <summary>Traffic control: tcmsg, handles, qdisc/filter/action attributes.</summary>
internal static class Tc
{
    // struct tcmsg { u8 family, pad[3]; s32 ifindex; u32 handle; u32 parent; u32 info; }
    public const int TcMsgLength = 20;

    // Handles (pkt_sched.h).
    public const uint TC_H_MAJ_MASK = 0xFFFF0000;
    public const uint TC_H_MIN_MASK = 0x0000FFFF;
    public const uint TC_H_INGRESS = 0xFFFFFFF1;
    public const uint TC_H_CLSACT = TC_H_INGRESS;
    public const uint TC_H_MIN_INGRESS = 0xFFF2;
    public const uint TC_H_MIN_EGRESS = 0xFFF3;
    /// <summary>The handle of an ingress or clsact qdisc: ffff:.</summary>
    public const uint ClsactHandle = 0xFFFF0000;

    public static uint TC_H_MAKE(uint major, uint minor) => (major & TC_H_MAJ_MASK) | (minor & TC_H_MIN_MASK);

    public const ushort ETH_P_ALL = 0x0003;

    // enum TCA_* (rtnetlink.h).
    public const ushort TCA_KIND = 1;
    public const ushort TCA_OPTIONS = 2;
    public const ushort TCA_STATS = 3;
    public const ushort TCA_XSTATS = 4;
    public const ushort TCA_STATS2 = 7;
    public const ushort TCA_CHAIN = 11;
    public const ushort TCA_INGRESS_BLOCK = 13;
    public const ushort TCA_EGRESS_BLOCK = 14;

    // Actions (pkt_cls.h).
    public const ushort TCA_ACT_KIND = 1;
    public const ushort TCA_ACT_OPTIONS = 2;
    public const ushort TCA_ACT_INDEX = 3;
    public const ushort TCA_ACT_STATS = 4;
    public const ushort TCA_ACT_COOKIE = 6;
    public const int TC_COOKIE_MAX_SIZE = 16;
    public const int TCA_ACT_MAX_PRIO = 32;

    public const int TC_ACT_UNSPEC = -1;
    public const int TC_ACT_OK = 0;
    public const int TC_ACT_PIPE = 3;

    // Statistics (gen_stats.h): struct gnet_stats_basic { u64 bytes; u32 packets; }.
    public const ushort TCA_STATS_BASIC = 1;

    // u32 classifier.
    public const ushort TCA_U32_CLASSID = 1;
    public const ushort TCA_U32_DIVISOR = 4;
    public const ushort TCA_U32_SEL = 5;
    public const ushort TCA_U32_ACT = 7;
    public const ushort TCA_U32_FLAGS = 11;
    public const byte TC_U32_TERMINAL = 1;

    // matchall classifier.
    public const ushort TCA_MATCHALL_CLASSID = 1;
    public const ushort TCA_MATCHALL_ACT = 2;
    public const ushort TCA_MATCHALL_FLAGS = 3;

    // mirred action (tc_act/tc_mirred.h).
    public const ushort TCA_MIRRED_TM = 1;
    public const ushort TCA_MIRRED_PARMS = 2;
    /// <summary>Mirror to a shared block instead of a device (kernels from 6.12; not in older headers).</summary>
    public const ushort TCA_MIRRED_BLOCKID = 4;
    public const int TCA_EGRESS_REDIR = 1;
    public const int TCA_EGRESS_MIRROR = 2;
    public const int TCA_INGRESS_REDIR = 3;
    public const int TCA_INGRESS_MIRROR = 4;
    /// <summary>struct tc_mirred { u32 index; u32 capab; s32 action; s32 refcnt; s32 bindcnt; s32 eaction; u32 ifindex; }.</summary>
    public const int TcMirredLength = 28;
}
