using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>devlink (linux/devlink.h): commands and the common attributes. Nests reuse the top-level set.</summary>
internal static class Devlink
{
    public static readonly EnumTable Commands = new("devlink-cmd")
    {
        [1] = "DEVLINK_CMD_GET", [2] = "DEVLINK_CMD_SET", [3] = "DEVLINK_CMD_NEW", [4] = "DEVLINK_CMD_DEL",
        [5] = "DEVLINK_CMD_PORT_GET", [6] = "DEVLINK_CMD_PORT_SET", [7] = "DEVLINK_CMD_PORT_NEW", [8] = "DEVLINK_CMD_PORT_DEL",
        [9] = "DEVLINK_CMD_PORT_SPLIT", [10] = "DEVLINK_CMD_PORT_UNSPLIT", [11] = "DEVLINK_CMD_SB_GET",
        [12] = "DEVLINK_CMD_SB_SET", [13] = "DEVLINK_CMD_SB_NEW", [14] = "DEVLINK_CMD_SB_DEL",
        [15] = "DEVLINK_CMD_SB_POOL_GET", [16] = "DEVLINK_CMD_SB_POOL_SET", [17] = "DEVLINK_CMD_SB_POOL_NEW",
        [18] = "DEVLINK_CMD_SB_POOL_DEL", [19] = "DEVLINK_CMD_SB_PORT_POOL_GET", [20] = "DEVLINK_CMD_SB_PORT_POOL_SET",
        [21] = "DEVLINK_CMD_SB_PORT_POOL_NEW", [22] = "DEVLINK_CMD_SB_PORT_POOL_DEL", [23] = "DEVLINK_CMD_SB_TC_POOL_BIND_GET",
        [24] = "DEVLINK_CMD_SB_TC_POOL_BIND_SET", [25] = "DEVLINK_CMD_SB_TC_POOL_BIND_NEW",
        [26] = "DEVLINK_CMD_SB_TC_POOL_BIND_DEL", [27] = "DEVLINK_CMD_SB_OCC_SNAPSHOT", [28] = "DEVLINK_CMD_SB_OCC_MAX_CLEAR",
        [29] = "DEVLINK_CMD_ESWITCH_GET", [30] = "DEVLINK_CMD_ESWITCH_SET", [31] = "DEVLINK_CMD_DPIPE_TABLE_GET",
        [32] = "DEVLINK_CMD_DPIPE_ENTRIES_GET", [33] = "DEVLINK_CMD_DPIPE_HEADERS_GET",
        [34] = "DEVLINK_CMD_DPIPE_TABLE_COUNTERS_SET", [35] = "DEVLINK_CMD_RESOURCE_SET", [36] = "DEVLINK_CMD_RESOURCE_DUMP",
        [37] = "DEVLINK_CMD_RELOAD", [38] = "DEVLINK_CMD_PARAM_GET", [39] = "DEVLINK_CMD_PARAM_SET",
        [40] = "DEVLINK_CMD_PARAM_NEW", [41] = "DEVLINK_CMD_PARAM_DEL", [42] = "DEVLINK_CMD_REGION_GET",
        [43] = "DEVLINK_CMD_REGION_SET", [44] = "DEVLINK_CMD_REGION_NEW", [45] = "DEVLINK_CMD_REGION_DEL",
        [46] = "DEVLINK_CMD_REGION_READ", [47] = "DEVLINK_CMD_PORT_PARAM_GET", [48] = "DEVLINK_CMD_PORT_PARAM_SET",
        [49] = "DEVLINK_CMD_PORT_PARAM_NEW", [50] = "DEVLINK_CMD_PORT_PARAM_DEL", [51] = "DEVLINK_CMD_INFO_GET",
        [52] = "DEVLINK_CMD_HEALTH_REPORTER_GET", [53] = "DEVLINK_CMD_HEALTH_REPORTER_SET",
        [54] = "DEVLINK_CMD_HEALTH_REPORTER_RECOVER", [55] = "DEVLINK_CMD_HEALTH_REPORTER_DIAGNOSE",
        [56] = "DEVLINK_CMD_HEALTH_REPORTER_DUMP_GET", [57] = "DEVLINK_CMD_HEALTH_REPORTER_DUMP_CLEAR",
        [58] = "DEVLINK_CMD_FLASH_UPDATE", [59] = "DEVLINK_CMD_FLASH_UPDATE_END", [60] = "DEVLINK_CMD_FLASH_UPDATE_STATUS",
        [61] = "DEVLINK_CMD_TRAP_GET", [62] = "DEVLINK_CMD_TRAP_SET", [63] = "DEVLINK_CMD_TRAP_NEW",
        [64] = "DEVLINK_CMD_TRAP_DEL", [65] = "DEVLINK_CMD_TRAP_GROUP_GET", [66] = "DEVLINK_CMD_TRAP_GROUP_SET",
        [67] = "DEVLINK_CMD_TRAP_GROUP_NEW", [68] = "DEVLINK_CMD_TRAP_GROUP_DEL", [69] = "DEVLINK_CMD_TRAP_POLICER_GET",
        [70] = "DEVLINK_CMD_TRAP_POLICER_SET", [71] = "DEVLINK_CMD_TRAP_POLICER_NEW", [72] = "DEVLINK_CMD_TRAP_POLICER_DEL",
        [73] = "DEVLINK_CMD_HEALTH_REPORTER_TEST", [74] = "DEVLINK_CMD_RATE_GET", [75] = "DEVLINK_CMD_RATE_SET",
        [76] = "DEVLINK_CMD_RATE_NEW", [77] = "DEVLINK_CMD_RATE_DEL", [78] = "DEVLINK_CMD_LINECARD_GET",
        [79] = "DEVLINK_CMD_LINECARD_SET", [80] = "DEVLINK_CMD_LINECARD_NEW", [81] = "DEVLINK_CMD_LINECARD_DEL",
        [82] = "DEVLINK_CMD_SELFTESTS_GET", [83] = "DEVLINK_CMD_SELFTESTS_RUN",
    };

    public static readonly EnumTable PortType = new("devlink-port-type") { [0] = "notset", [1] = "auto", [2] = "eth", [3] = "ib" };
    public static readonly EnumTable PortFlavour = new("devlink-port-flavour")
    {
        [0] = "physical", [1] = "cpu", [2] = "dsa", [3] = "pcipf", [4] = "pcivf", [5] = "virtual", [6] = "unused", [7] = "pcisf",
    };
    public static readonly EnumTable EswitchMode = new("devlink-eswitch-mode") { [0] = "legacy", [1] = "switchdev" };
    public static readonly EnumTable ParamCmode = new("devlink-param-cmode") { [0] = "runtime", [1] = "driverinit", [2] = "permanent" };
    public static readonly EnumTable HealthState = new("devlink-health-state") { [0] = "healthy", [1] = "error" };
    public static readonly EnumTable TrapAction = new("devlink-trap-action") { [0] = "drop", [1] = "trap", [2] = "mirror" };
    public static readonly EnumTable TrapType = new("devlink-trap-type") { [0] = "drop", [1] = "exception", [2] = "control" };

    public static readonly AttributeTable Stats = new("devlink-stats", "DEVLINK_ATTR_STATS_")
    {
        [0] = new("rx_packets", U64), [1] = new("rx_bytes", U64), [2] = new("rx_dropped", U64),
    };

    public static readonly AttributeTable Attributes = new("devlink", "DEVLINK_ATTR_")
    {
        [1] = new("bus_name", ValueKind.String), [2] = new("dev_name", ValueKind.String), [3] = new("port_index", U32),
        [4] = new("port_type", U16) { Enum = PortType }, [5] = new("port_desired_type", U16) { Enum = PortType },
        [6] = new("port_netdev_ifindex", U32), [7] = new("port_netdev_name", ValueKind.String),
        [8] = new("port_ibdev_name", ValueKind.String), [9] = new("port_split_count", U32), [10] = new("port_split_group", U32),
        [11] = new("sb_index", U32), [12] = new("sb_size", U32), [13] = new("sb_ingress_pool_count", U16),
        [14] = new("sb_egress_pool_count", U16), [15] = new("sb_ingress_tc_count", U16), [16] = new("sb_egress_tc_count", U16),
        [17] = new("sb_pool_index", U16), [18] = new("sb_pool_type", U8), [19] = new("sb_pool_size", U32),
        [20] = new("sb_pool_threshold_type", U8), [21] = new("sb_threshold", U32), [22] = new("sb_tc_index", U16),
        [23] = new("sb_occ_cur", U32), [24] = new("sb_occ_max", U32),
        [25] = new("eswitch_mode", U16) { Enum = EswitchMode }, [26] = new("eswitch_inline_mode", U8),
        [61] = new("pad", Binary), [62] = new("eswitch_encap_mode", U8),
        [77] = new("port_flavour", U16) { Enum = PortFlavour }, [78] = new("port_number", U32),
        [79] = new("port_split_subport_number", U32),
        [81] = new("param_name", ValueKind.String), [82] = new("param_generic", Flag), [83] = new("param_type", U8),
        [87] = new("param_value_cmode", U8) { Enum = ParamCmode },
        [88] = new("region_name", ValueKind.String), [89] = new("region_size", U64), [92] = new("region_snapshot_id", U32),
        [95] = new("region_chunk_data", Binary), [96] = new("region_chunk_addr", U64), [97] = new("region_chunk_len", U64),
        [98] = new("info_driver_name", ValueKind.String), [99] = new("info_serial_number", ValueKind.String),
        [103] = new("info_version_name", ValueKind.String), [104] = new("info_version_value", ValueKind.String),
        [105] = new("sb_pool_cell_size", U32),
        [111] = new("fmsg_obj_name", ValueKind.String), [112] = new("fmsg_obj_value_type", U8), [113] = new("fmsg_obj_value_data", Binary),
        [115] = new("health_reporter_name", ValueKind.String), [116] = new("health_reporter_state", U8) { Enum = HealthState },
        [117] = new("health_reporter_err_count", U64), [118] = new("health_reporter_recover_count", U64),
        [119] = new("health_reporter_dump_ts", U64), [120] = new("health_reporter_graceful_period", U64),
        [121] = new("health_reporter_auto_recover", U8),
        [122] = new("flash_update_file_name", ValueKind.String), [123] = new("flash_update_component", ValueKind.String),
        [124] = new("flash_update_status_msg", ValueKind.String), [125] = new("flash_update_status_done", U64),
        [126] = new("flash_update_status_total", U64), [127] = new("port_pci_pf_number", U16), [128] = new("port_pci_vf_number", U16),
        [129] = new("stats", Nested) { Nested = Stats },
        [130] = new("trap_name", ValueKind.String), [131] = new("trap_action", U8) { Enum = TrapAction },
        [132] = new("trap_type", U8) { Enum = TrapType }, [133] = new("trap_generic", Flag),
        [135] = new("trap_group_name", ValueKind.String), [136] = new("reload_failed", U8),
        [137] = new("health_reporter_dump_ts_ns", U64), [138] = new("netns_fd", U32), [139] = new("netns_pid", U32),
        [140] = new("netns_id", U32), [141] = new("health_reporter_auto_dump", U8), [142] = new("trap_policer_id", U32),
        [143] = new("trap_policer_rate", U64), [144] = new("trap_policer_burst", U64),
        [146] = new("info_board_serial_number", ValueKind.String), [147] = new("port_lanes", U32), [148] = new("port_splittable", U8),
        [149] = new("port_external", U8), [150] = new("port_controller_number", U32), [153] = new("reload_action", U8),
        [164] = new("port_pci_sf_number", U32), [165] = new("rate_type", U16), [166] = new("rate_tx_share", U64),
        [167] = new("rate_tx_max", U64), [168] = new("rate_node_name", ValueKind.String),
        [169] = new("rate_parent_node_name", ValueKind.String), [170] = new("region_max_snapshots", U32),
        [171] = new("linecard_index", U32), [172] = new("linecard_state", U8), [173] = new("linecard_type", ValueKind.String),
    };

    // Nests whose members are top-level attributes again (devlink reuses one attribute space at every depth).
    private static readonly int[] SelfNests =
    {
        27, 28, 31, 32, 34, 35, 37, 38, 39, 40, 43, 49, 50, 53, 56, 63, 64, 80, 84, 85, 90, 91, 93, 94, 100, 101, 102,
        106, 107, 108, 109, 114, 134, 145, 155, 156, 157, 158, 161, 162, 163, 174, 175, 176,
    };

    public static readonly GenericFamily Family = new("devlink", Commands, Attributes) { Summary = Summary };

    static Devlink()
    {
        var names = new Dictionary<int, string>
        {
            [27] = "dpipe_tables", [28] = "dpipe_table", [31] = "dpipe_table_matches", [32] = "dpipe_table_actions",
            [34] = "dpipe_entries", [35] = "dpipe_entry", [37] = "dpipe_entry_match_values", [38] = "dpipe_entry_action_values",
            [39] = "dpipe_entry_counter", [40] = "dpipe_match", [43] = "dpipe_action", [49] = "dpipe_headers",
            [50] = "dpipe_header", [53] = "dpipe_header_fields", [56] = "dpipe_field", [63] = "resource_list", [64] = "resource",
            [80] = "param", [84] = "param_values_list", [85] = "param_value", [90] = "region_snapshots", [91] = "region_snapshot",
            [93] = "region_chunks", [94] = "region_chunk", [100] = "info_version_fixed", [101] = "info_version_running",
            [102] = "info_version_stored", [106] = "fmsg", [107] = "fmsg_obj_nest_start", [108] = "fmsg_pair_nest_start",
            [109] = "fmsg_arr_nest_start", [114] = "health_reporter", [134] = "trap_metadata", [145] = "port_function",
            [155] = "reload_limits", [156] = "dev_stats", [157] = "reload_stats", [158] = "reload_stats_entry",
            [161] = "remote_reload_stats", [162] = "reload_action_info", [163] = "reload_action_stats",
            [174] = "linecard_supported_types", [175] = "nested_devlink", [176] = "selftests",
        };
        foreach (var t in SelfNests) Attributes[t] = new(names[t], Nested) { Nested = Attributes };
    }

    /// <summary>In `devlink` words: "pci/0000:01:00.0", "pci/0000:01:00.0/1: type eth netdev eth0 flavour physical".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        var handle = a["bus_name"] is string bus ? $"{bus}/{a["dev_name"]}" + (a["port_index"] is uint port ? $"/{port}" : "") : null;
        return Summaries.Join(Summaries.RequestVerb(m), m.Command, handle,
            GenericFamilies.Part("type", a["port_type"]), GenericFamilies.Part("netdev", a["port_netdev_name"]),
            GenericFamilies.Part("flavour", a["port_flavour"]), GenericFamilies.Part("driver", a["info_driver_name"]),
            GenericFamilies.Part("param", a["param_name"]), GenericFamilies.Part("reporter", a["health_reporter_name"]),
            GenericFamilies.Part("trap", a["trap_name"]));
    }
}
