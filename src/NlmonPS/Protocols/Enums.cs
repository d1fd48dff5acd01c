using NlmonPS.Decoding;

namespace NlmonPS.Protocols;

/// <summary>Enumerations shared by several families.</summary>
internal static class Enums
{
    /// <summary>AF_* (linux/socket.h).</summary>
    public static readonly EnumTable AddressFamily = new("address-family")
    {
        [0] = "unspec", [1] = "unix", [2] = "inet", [3] = "ax25", [4] = "ipx", [5] = "appletalk", [7] = "bridge",
        [10] = "inet6", [16] = "netlink", [17] = "packet", [28] = "mpls", [29] = "can", [40] = "vsock", [44] = "xdp",
        [128] = "ipmr", [129] = "ip6mr",
    };

    /// <summary>ARPHRD_* (linux/if_arp.h).</summary>
    public static readonly EnumTable Arphrd = new("arphrd")
    {
        [0] = "netrom", [1] = "ether", [2] = "eether", [3] = "ax25", [4] = "pronet", [5] = "chaos", [6] = "ieee802",
        [7] = "arcnet", [8] = "appletlk", [15] = "dlci", [19] = "atm", [23] = "metricom", [24] = "ieee1394", [27] = "eui64",
        [32] = "infiniband", [256] = "slip", [257] = "cslip", [258] = "slip6", [259] = "cslip6", [260] = "rsrvd",
        [264] = "adapt", [270] = "rose", [271] = "x25", [272] = "hwx25", [280] = "can", [281] = "mctp", [512] = "ppp",
        [513] = "cisco", [516] = "lapb", [517] = "ddcmp", [518] = "rawhdlc", [519] = "rawip", [768] = "tunnel",
        [769] = "tunnel6", [770] = "frad", [771] = "skip", [772] = "loopback", [773] = "localtlk", [774] = "fddi",
        [775] = "bif", [776] = "sit", [777] = "ipddp", [778] = "ipgre", [779] = "pimreg", [780] = "hippi", [781] = "ash",
        [782] = "econet", [783] = "irda", [784] = "fcpp", [785] = "fcal", [786] = "fcpl", [787] = "fcfabric",
        [800] = "ieee802_tr", [801] = "ieee80211", [802] = "ieee80211_prism", [803] = "ieee80211_radiotap",
        [804] = "ieee802154", [805] = "ieee802154_monitor", [820] = "phonet", [821] = "phonet_pipe", [822] = "caif",
        [823] = "ip6gre", [824] = "netlink", [825] = "6lowpan", [826] = "vsockmon", [0xfffe] = "none", [0xffff] = "void",
    };

    /// <summary>IFF_* device flags (linux/if.h), in the order `ip link` prints them.</summary>
    public static readonly FlagTable InterfaceFlags = new("iff")
    {
        { 0x1, "UP" }, { 0x2, "BROADCAST" }, { 0x4, "DEBUG" }, { 0x8, "LOOPBACK" }, { 0x10, "POINTOPOINT" },
        { 0x20, "NOTRAILERS" }, { 0x40, "RUNNING" }, { 0x80, "NOARP" }, { 0x100, "PROMISC" }, { 0x200, "ALLMULTI" },
        { 0x400, "MASTER" }, { 0x800, "SLAVE" }, { 0x1000, "MULTICAST" }, { 0x2000, "PORTSEL" }, { 0x4000, "AUTOMEDIA" },
        { 0x8000, "DYNAMIC" }, { 0x10000, "LOWER_UP" }, { 0x20000, "DORMANT" }, { 0x40000, "ECHO" },
    };

    /// <summary>IF_OPER_* (linux/if.h, RFC 2863).</summary>
    public static readonly EnumTable OperState = new("operstate")
    {
        [0] = "UNKNOWN", [1] = "NOTPRESENT", [2] = "DOWN", [3] = "LOWERLAYERDOWN", [4] = "TESTING", [5] = "DORMANT", [6] = "UP",
    };

    public static readonly EnumTable LinkMode = new("linkmode") { [0] = "DEFAULT", [1] = "DORMANT", [2] = "TESTING" };

    /// <summary>RT_SCOPE_* (linux/rtnetlink.h).</summary>
    public static readonly EnumTable Scope = new("rt-scope")
    {
        [0] = "global", [200] = "site", [253] = "link", [254] = "host", [255] = "nowhere",
    };

    /// <summary>IFA_F_* (linux/if_addr.h), as `ip addr` prints them.</summary>
    public static readonly FlagTable AddressFlags = new("ifa-flags")
    {
        { 0x01, "secondary" }, { 0x02, "nodad" }, { 0x04, "optimistic" }, { 0x08, "dadfailed" }, { 0x10, "home" },
        { 0x20, "deprecated" }, { 0x40, "tentative" }, { 0x80, "permanent" }, { 0x100, "managetempaddr" },
        { 0x200, "noprefixroute" }, { 0x400, "mcautojoin" }, { 0x800, "stable-privacy" },
    };


    /// <summary>A struct of consecutive fields of one kind (statistics blocks).</summary>
    public static StructSpec Sequential(string name, ValueKind kind, params string[] fields)
    {
        int size = kind switch { ValueKind.U64 => 8, ValueKind.U32 => 4, ValueKind.U16 => 2, _ => 1 };
        var spec = new StructSpec(name, size * fields.Length);
        for (int i = 0; i < fields.Length; i++) spec.Add(fields[i], i * size, kind);
        return spec;
    }
}
