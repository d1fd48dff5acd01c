using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Route;

/// <summary>Address attributes (linux/if_addr.h).</summary>
internal static class AddressTables
{
    public static readonly StructSpec CacheInfo = Enums.Sequential("ifa_cacheinfo", U32, "preferred", "valid", "cstamp", "tstamp");

    public static readonly AttributeTable Address = new("addr", "IFA_")
    {
        [1] = new("address", IpAddress),
        [2] = new("local", IpAddress),
        [3] = new("label", ValueKind.String),
        [4] = new("broadcast", IpAddress),
        [5] = new("anycast", IpAddress),
        [6] = new("cacheinfo", Struct) { Struct = CacheInfo },
        [7] = new("multicast", IpAddress),
        [8] = new("flags", U32) { Flags = Enums.AddressFlags },
        [9] = new("rt_priority", U32),
        [10] = new("target_netnsid", S32),
        [11] = new("proto", U8) { Enum = new EnumTable("ifa-proto") { [0] = "unspec", [1] = "kernel_lo", [2] = "kernel_ra", [3] = "kernel_ll" } },
    };
}
