using NlmonPS.KernelClients;

namespace NlmonPS.DropMonitoring;

/// <summary>
/// Numbers from include/uapi/linux/net_dropmon.h: the NET_DM commands and attributes the drop-monitor client
/// sends and reads (UapiConstant tests check them against the headers).
/// </summary>
internal static class NetDm
{
    public const string FamilyName = "NET_DM";
    public const string AlertGroup = "events";

    public const byte NET_DM_CMD_ALERT = 1;
    public const byte NET_DM_CMD_CONFIG = 2;
    public const byte NET_DM_CMD_START = 3;
    public const byte NET_DM_CMD_STOP = 4;
    public const byte NET_DM_CMD_PACKET_ALERT = 5;
    public const byte NET_DM_CMD_CONFIG_GET = 6;
    public const byte NET_DM_CMD_CONFIG_NEW = 7;
    public const byte NET_DM_CMD_STATS_GET = 8;
    public const byte NET_DM_CMD_STATS_NEW = 9;

    public const int NET_DM_GRP_ALERT = 1;

    public const ushort NET_DM_ATTR_UNSPEC = 0;
    public const ushort NET_DM_ATTR_ALERT_MODE = 1;
    public const ushort NET_DM_ATTR_PC = 2;
    public const ushort NET_DM_ATTR_SYMBOL = 3;
    public const ushort NET_DM_ATTR_IN_PORT = 4;
    public const ushort NET_DM_ATTR_TIMESTAMP = 5;
    public const ushort NET_DM_ATTR_PROTO = 6;
    public const ushort NET_DM_ATTR_PAYLOAD = 7;
    public const ushort NET_DM_ATTR_PAD = 8;
    public const ushort NET_DM_ATTR_TRUNC_LEN = 9;
    public const ushort NET_DM_ATTR_ORIG_LEN = 10;
    public const ushort NET_DM_ATTR_QUEUE_LEN = 11;
    public const ushort NET_DM_ATTR_STATS = 12;
    public const ushort NET_DM_ATTR_HW_STATS = 13;
    public const ushort NET_DM_ATTR_ORIGIN = 14;
    public const ushort NET_DM_ATTR_HW_TRAP_GROUP_NAME = 15;
    public const ushort NET_DM_ATTR_HW_TRAP_NAME = 16;
    public const ushort NET_DM_ATTR_HW_ENTRIES = 17;
    public const ushort NET_DM_ATTR_HW_ENTRY = 18;
    public const ushort NET_DM_ATTR_HW_TRAP_COUNT = 19;
    public const ushort NET_DM_ATTR_SW_DROPS = 20;
    public const ushort NET_DM_ATTR_HW_DROPS = 21;
    public const ushort NET_DM_ATTR_FLOW_ACTION_COOKIE = 22;
    public const ushort NET_DM_ATTR_REASON = 23;

    public const byte NET_DM_ALERT_MODE_SUMMARY = 0;
    public const byte NET_DM_ALERT_MODE_PACKET = 1;

    public const ushort NET_DM_ATTR_PORT_NETDEV_IFINDEX = 0;
    public const ushort NET_DM_ATTR_PORT_NETDEV_NAME = 1;

    public const ushort NET_DM_ATTR_STATS_DROPPED = 0;

    public const ushort NET_DM_ORIGIN_SW = 0;
    public const ushort NET_DM_ORIGIN_HW = 1;

    /// <summary>sizeof(struct net_dm_drop_point): u8 pc[8], u32 count.</summary>
    public const int DropPointSize = 12;

    /// <summary>The kernel's defaults when drop_monitor loads: summary mode, no truncation, 1000 packets per CPU.</summary>
    public const uint DefaultQueueLength = 1000;
}

/// <summary>NET_DM_ATTR_ALERT_MODE: what the kernel sends for each drop.</summary>
public enum DropAlertMode : byte
{
    /// <summary>NET_DM_ALERT_MODE_SUMMARY: once a second, the drop locations with their counts.</summary>
    Summary = NetDm.NET_DM_ALERT_MODE_SUMMARY,
    /// <summary>NET_DM_ALERT_MODE_PACKET (kernel 5.4+): every dropped packet, with its metadata.</summary>
    Packet = NetDm.NET_DM_ALERT_MODE_PACKET,
}

/// <summary>NET_DM_ATTR_ORIGIN: where a drop happened.</summary>
public enum DropOrigin
{
    /// <summary>The kernel freed the packet as dropped (kfree_skb).</summary>
    Software = NetDm.NET_DM_ORIGIN_SW,
    /// <summary>A device dropped it and reported it through a devlink trap.</summary>
    Hardware = NetDm.NET_DM_ORIGIN_HW,
}

/// <summary>Which drops to monitor: the NET_DM_ATTR_SW_DROPS and NET_DM_ATTR_HW_DROPS flags of START and STOP.</summary>
public enum DropMonitorOrigin
{
    Software,
    Hardware,
    All,
}
