using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>nl80211 (linux/nl80211.h): every command's name, the common attributes and station info basics.</summary>
internal static class Nl80211
{
    public static readonly EnumTable Commands = new("nl80211-cmd")
    {
        [0] = "NL80211_CMD_UNSPEC",
        [1] = "NL80211_CMD_GET_WIPHY", [2] = "NL80211_CMD_SET_WIPHY", [3] = "NL80211_CMD_NEW_WIPHY",
        [1] = "NL80211_CMD_GET_WIPHY", [2] = "NL80211_CMD_SET_WIPHY", [3] = "NL80211_CMD_NEW_WIPHY",
        [4] = "NL80211_CMD_DEL_WIPHY", [5] = "NL80211_CMD_GET_INTERFACE", [6] = "NL80211_CMD_SET_INTERFACE",
        [7] = "NL80211_CMD_NEW_INTERFACE", [8] = "NL80211_CMD_DEL_INTERFACE", [9] = "NL80211_CMD_GET_KEY",
        [10] = "NL80211_CMD_SET_KEY", [11] = "NL80211_CMD_NEW_KEY", [12] = "NL80211_CMD_DEL_KEY",
        [13] = "NL80211_CMD_GET_BEACON", [14] = "NL80211_CMD_SET_BEACON", [15] = "NL80211_CMD_START_AP",
        [16] = "NL80211_CMD_STOP_AP", [17] = "NL80211_CMD_GET_STATION", [18] = "NL80211_CMD_SET_STATION",
        [19] = "NL80211_CMD_NEW_STATION", [20] = "NL80211_CMD_DEL_STATION", [21] = "NL80211_CMD_GET_MPATH",
        [22] = "NL80211_CMD_SET_MPATH", [23] = "NL80211_CMD_NEW_MPATH", [24] = "NL80211_CMD_DEL_MPATH",
        [25] = "NL80211_CMD_SET_BSS", [26] = "NL80211_CMD_SET_REG", [27] = "NL80211_CMD_REQ_SET_REG",
        [28] = "NL80211_CMD_GET_MESH_CONFIG", [29] = "NL80211_CMD_SET_MESH_CONFIG", [30] = "NL80211_CMD_SET_MGMT_EXTRA_IE",
        [31] = "NL80211_CMD_GET_REG", [32] = "NL80211_CMD_GET_SCAN", [33] = "NL80211_CMD_TRIGGER_SCAN",
        [34] = "NL80211_CMD_NEW_SCAN_RESULTS", [35] = "NL80211_CMD_SCAN_ABORTED", [36] = "NL80211_CMD_REG_CHANGE",
        [37] = "NL80211_CMD_AUTHENTICATE", [38] = "NL80211_CMD_ASSOCIATE", [39] = "NL80211_CMD_DEAUTHENTICATE",
        [40] = "NL80211_CMD_DISASSOCIATE", [41] = "NL80211_CMD_MICHAEL_MIC_FAILURE", [42] = "NL80211_CMD_REG_BEACON_HINT",
        [43] = "NL80211_CMD_JOIN_IBSS", [44] = "NL80211_CMD_LEAVE_IBSS", [45] = "NL80211_CMD_TESTMODE",
        [46] = "NL80211_CMD_CONNECT", [47] = "NL80211_CMD_ROAM", [48] = "NL80211_CMD_DISCONNECT",
        [49] = "NL80211_CMD_SET_WIPHY_NETNS", [50] = "NL80211_CMD_GET_SURVEY", [51] = "NL80211_CMD_NEW_SURVEY_RESULTS",
        [52] = "NL80211_CMD_SET_PMKSA", [53] = "NL80211_CMD_DEL_PMKSA", [54] = "NL80211_CMD_FLUSH_PMKSA",
        [55] = "NL80211_CMD_REMAIN_ON_CHANNEL", [56] = "NL80211_CMD_CANCEL_REMAIN_ON_CHANNEL",
        [57] = "NL80211_CMD_SET_TX_BITRATE_MASK", [58] = "NL80211_CMD_REGISTER_FRAME", [59] = "NL80211_CMD_FRAME",
        [60] = "NL80211_CMD_FRAME_TX_STATUS", [61] = "NL80211_CMD_SET_POWER_SAVE", [62] = "NL80211_CMD_GET_POWER_SAVE",
        [63] = "NL80211_CMD_SET_CQM", [64] = "NL80211_CMD_NOTIFY_CQM", [65] = "NL80211_CMD_SET_CHANNEL",
        [66] = "NL80211_CMD_SET_WDS_PEER", [67] = "NL80211_CMD_FRAME_WAIT_CANCEL", [68] = "NL80211_CMD_JOIN_MESH",
        [69] = "NL80211_CMD_LEAVE_MESH", [70] = "NL80211_CMD_UNPROT_DEAUTHENTICATE", [71] = "NL80211_CMD_UNPROT_DISASSOCIATE",
        [72] = "NL80211_CMD_NEW_PEER_CANDIDATE", [73] = "NL80211_CMD_GET_WOWLAN", [74] = "NL80211_CMD_SET_WOWLAN",
        [75] = "NL80211_CMD_START_SCHED_SCAN", [76] = "NL80211_CMD_STOP_SCHED_SCAN", [77] = "NL80211_CMD_SCHED_SCAN_RESULTS",
        [78] = "NL80211_CMD_SCHED_SCAN_STOPPED", [79] = "NL80211_CMD_SET_REKEY_OFFLOAD", [80] = "NL80211_CMD_PMKSA_CANDIDATE",
        [81] = "NL80211_CMD_TDLS_OPER", [82] = "NL80211_CMD_TDLS_MGMT", [83] = "NL80211_CMD_UNEXPECTED_FRAME",
        [84] = "NL80211_CMD_PROBE_CLIENT", [85] = "NL80211_CMD_REGISTER_BEACONS", [86] = "NL80211_CMD_UNEXPECTED_4ADDR_FRAME",
        [87] = "NL80211_CMD_SET_NOACK_MAP", [88] = "NL80211_CMD_CH_SWITCH_NOTIFY", [89] = "NL80211_CMD_START_P2P_DEVICE",
        [90] = "NL80211_CMD_STOP_P2P_DEVICE", [91] = "NL80211_CMD_CONN_FAILED", [92] = "NL80211_CMD_SET_MCAST_RATE",
        [93] = "NL80211_CMD_SET_MAC_ACL", [94] = "NL80211_CMD_RADAR_DETECT", [95] = "NL80211_CMD_GET_PROTOCOL_FEATURES",
        [96] = "NL80211_CMD_UPDATE_FT_IES", [97] = "NL80211_CMD_FT_EVENT", [98] = "NL80211_CMD_CRIT_PROTOCOL_START",
        [99] = "NL80211_CMD_CRIT_PROTOCOL_STOP", [100] = "NL80211_CMD_GET_COALESCE", [101] = "NL80211_CMD_SET_COALESCE",
        [102] = "NL80211_CMD_CHANNEL_SWITCH", [103] = "NL80211_CMD_VENDOR", [104] = "NL80211_CMD_SET_QOS_MAP",
        [105] = "NL80211_CMD_ADD_TX_TS", [106] = "NL80211_CMD_DEL_TX_TS", [107] = "NL80211_CMD_GET_MPP",
        [108] = "NL80211_CMD_JOIN_OCB", [109] = "NL80211_CMD_LEAVE_OCB", [110] = "NL80211_CMD_CH_SWITCH_STARTED_NOTIFY",
        [111] = "NL80211_CMD_TDLS_CHANNEL_SWITCH", [112] = "NL80211_CMD_TDLS_CANCEL_CHANNEL_SWITCH",
        [113] = "NL80211_CMD_WIPHY_REG_CHANGE", [114] = "NL80211_CMD_ABORT_SCAN", [115] = "NL80211_CMD_START_NAN",
        [116] = "NL80211_CMD_STOP_NAN", [117] = "NL80211_CMD_ADD_NAN_FUNCTION", [118] = "NL80211_CMD_DEL_NAN_FUNCTION",
        [119] = "NL80211_CMD_CHANGE_NAN_CONFIG", [120] = "NL80211_CMD_NAN_MATCH",
        [121] = "NL80211_CMD_SET_MULTICAST_TO_UNICAST", [122] = "NL80211_CMD_UPDATE_CONNECT_PARAMS",
        [123] = "NL80211_CMD_SET_PMK", [124] = "NL80211_CMD_DEL_PMK", [125] = "NL80211_CMD_PORT_AUTHORIZED",
        [126] = "NL80211_CMD_RELOAD_REGDB", [127] = "NL80211_CMD_EXTERNAL_AUTH", [128] = "NL80211_CMD_STA_OPMODE_CHANGED",
        [129] = "NL80211_CMD_CONTROL_PORT_FRAME", [130] = "NL80211_CMD_GET_FTM_RESPONDER_STATS",
        [131] = "NL80211_CMD_PEER_MEASUREMENT_START", [132] = "NL80211_CMD_PEER_MEASUREMENT_RESULT",
        [133] = "NL80211_CMD_PEER_MEASUREMENT_COMPLETE", [134] = "NL80211_CMD_NOTIFY_RADAR",
        [135] = "NL80211_CMD_UPDATE_OWE_INFO", [136] = "NL80211_CMD_PROBE_MESH_LINK", [137] = "NL80211_CMD_SET_TID_CONFIG",
        [138] = "NL80211_CMD_UNPROT_BEACON", [139] = "NL80211_CMD_CONTROL_PORT_FRAME_TX_STATUS",
        [140] = "NL80211_CMD_SET_SAR_SPECS", [141] = "NL80211_CMD_OBSS_COLOR_COLLISION",
        [142] = "NL80211_CMD_COLOR_CHANGE_REQUEST", [143] = "NL80211_CMD_COLOR_CHANGE_STARTED",
        [144] = "NL80211_CMD_COLOR_CHANGE_ABORTED", [145] = "NL80211_CMD_COLOR_CHANGE_COMPLETED",
        [146] = "NL80211_CMD_SET_FILS_AAD", [147] = "NL80211_CMD_ASSOC_COMEBACK", [148] = "NL80211_CMD_ADD_LINK",
        [149] = "NL80211_CMD_REMOVE_LINK", [150] = "NL80211_CMD_ADD_LINK_STA", [151] = "NL80211_CMD_MODIFY_LINK_STA",
        [152] = "NL80211_CMD_REMOVE_LINK_STA", [153] = "NL80211_CMD_SET_HW_TIMESTAMP",
    };

    public static readonly EnumTable InterfaceType = new("nl80211-iftype")
    {
        [0] = "unspecified", [1] = "IBSS", [2] = "managed", [3] = "AP", [4] = "AP/VLAN", [5] = "WDS", [6] = "monitor",
        [7] = "mesh point", [8] = "P2P-client", [9] = "P2P-GO", [10] = "P2P-device", [11] = "outside context of a BSS", [12] = "NAN",
    };

    public static readonly EnumTable ChannelWidth = new("nl80211-chan-width")
    {
        [0] = "20 MHz (no HT)", [1] = "20 MHz", [2] = "40 MHz", [3] = "80 MHz", [4] = "80+80 MHz", [5] = "160 MHz",
        [6] = "5 MHz", [7] = "10 MHz", [8] = "1 MHz", [9] = "2 MHz", [10] = "4 MHz", [11] = "8 MHz", [12] = "16 MHz", [13] = "320 MHz",
    };

    public static readonly AttributeTable RateInfo = new("nl80211-rate-info", "NL80211_RATE_INFO_")
    {
        [1] = new("bitrate", U16), [2] = new("mcs", U8), [3] = new("40_mhz_width", Flag), [4] = new("short_gi", Flag),
        [5] = new("bitrate32", U32), [6] = new("vht_mcs", U8), [7] = new("vht_nss", U8), [8] = new("80_mhz_width", Flag),
        [9] = new("80p80_mhz_width", Flag), [10] = new("160_mhz_width", Flag), [11] = new("10_mhz_width", Flag),
        [12] = new("5_mhz_width", Flag), [13] = new("he_mcs", U8),
    };

    public static readonly AttributeTable StationInfo = new("nl80211-sta-info", "NL80211_STA_INFO_")
    {
        [1] = new("inactive_time", U32), [2] = new("rx_bytes", U32), [3] = new("tx_bytes", U32), [4] = new("llid", U16),
        [5] = new("plid", U16), [6] = new("plink_state", U8), [7] = new("signal", S8),
        [8] = new("tx_bitrate", Nested) { Nested = RateInfo }, [9] = new("rx_packets", U32), [10] = new("tx_packets", U32),
        [11] = new("tx_retries", U32), [12] = new("tx_failed", U32), [13] = new("signal_avg", S8),
        [14] = new("rx_bitrate", Nested) { Nested = RateInfo }, [15] = new("bss_param", Binary), [16] = new("connected_time", U32),
        [17] = new("sta_flags", Binary), [18] = new("beacon_loss", U32), [19] = new("t_offset", S64), [20] = new("local_pm", U32),
        [21] = new("peer_pm", U32), [22] = new("nonpeer_pm", U32), [23] = new("rx_bytes64", U64), [24] = new("tx_bytes64", U64),
        [25] = new("chain_signal", Binary), [26] = new("chain_signal_avg", Binary), [27] = new("expected_throughput", U32),
        [28] = new("rx_drop_misc", U64), [29] = new("beacon_rx", U64), [30] = new("beacon_signal_avg", S8),
        [31] = new("tid_stats", Binary), [32] = new("rx_duration", U64), [33] = new("pad", Binary), [34] = new("ack_signal", S8),
        [35] = new("ack_signal_avg", S8), [36] = new("rx_mpdus", U32), [37] = new("fcs_error_count", U32),
        [38] = new("connected_to_gate", U8), [39] = new("tx_duration", U64), [40] = new("airtime_weight", U16),
        [41] = new("airtime_link_metric", U32), [42] = new("assoc_at_boottime", U64), [43] = new("connected_to_as", U8),
    };

    /// <summary>NL80211_KEY_* inside NL80211_ATTR_KEY and each entry of NL80211_ATTR_KEYS: the key itself is a secret.</summary>
    public static readonly AttributeTable Key = new("nl80211-key", "NL80211_KEY_")
    {
        [1] = new("data", Secret), [2] = new("idx", U8), [3] = new("cipher", U32), [4] = new("seq", Binary),
        [5] = new("default", Flag), [6] = new("default_mgmt", Flag), [7] = new("type", U32), [8] = new("default_types", Binary),
        [9] = new("mode", U8), [10] = new("default_beacon", Flag),
    };

    /// <summary>NL80211_REKEY_DATA_* (GTK rekey offload): the KEK and KCK are secrets.</summary>
    public static readonly AttributeTable RekeyData = new("nl80211-rekey-data", "NL80211_REKEY_DATA_")
    {
        [1] = new("kek", Secret), [2] = new("kck", Secret), [3] = new("replay_ctr", Binary), [4] = new("akm", U32),
    };

    public static readonly AttributeTable Attributes = new("nl80211-attrs", "NL80211_ATTR_")
    {
        [1] = new("wiphy", U32), [2] = new("wiphy_name", ValueKind.String), [3] = new("ifindex", U32),
        [4] = new("ifname", ValueKind.String), [5] = new("iftype", U32) { Enum = InterfaceType }, [6] = new("mac", HardwareAddress),
        [7] = new("key_data", Secret), [8] = new("key_idx", U8), [9] = new("key_cipher", U32), [10] = new("key_seq", Binary),
        [12] = new("beacon_interval", U32), [13] = new("dtim_period", U32), [16] = new("sta_aid", U16),
        [21] = new("sta_info", Nested) { Nested = StationInfo }, [22] = new("wiphy_bands", Binary), [24] = new("mesh_id", Binary),
        [32] = new("supported_iftypes", Binary), [33] = new("reg_alpha2", ValueKind.String),
        [38] = new("wiphy_freq", U32), [39] = new("wiphy_channel_type", U32), [42] = new("ie", Binary),
        [46] = new("generation", U32), [47] = new("bss", Binary), [50] = new("supported_commands", Binary),
        [51] = new("frame", Binary), [52] = new("ssid", ValueKind.String), [53] = new("auth_type", U32),
        [54] = new("reason_code", U16), [72] = new("status_code", U16), [82] = new("pid", U32), [83] = new("4addr", U8),
        [85] = new("pmkid", Binary), [88] = new("cookie", U64), [98] = new("wiphy_tx_power_level", U32),
        [143] = new("feature_flags", U32), [153] = new("wdev", U64), [158] = new("scan_flags", U32),
        [159] = new("channel_width", U32) { Enum = ChannelWidth }, [160] = new("center_freq1", U32), [161] = new("center_freq2", U32),
        [173] = new("protocol_features", U32), [174] = new("split_wiphy_dump", Flag),
        [195] = new("vendor_id", U32), [196] = new("vendor_subcmd", U32), [197] = new("vendor_data", Binary),
        [204] = new("socket_owner", Flag), [217] = new("ext_features", Binary), [229] = new("pad", Binary),
        [265] = new("txq_stats", Binary), [313] = new("mlo_link_id", U8),
        // Key material (linux/nl80211.h): the key, WEP keys for connect, rekey offload, FILS keys, the PMK, the SAE password.
        [80] = new("key", Nested) { Nested = Key }, [81] = new("keys", NestedArray) { Nested = Key },
        [122] = new("rekey_data", Nested) { Nested = RekeyData }, [242] = new("fils_kek", Secret),
        [252] = new("fils_erp_rrk", Secret), [254] = new("pmk", Secret), [277] = new("sae_password", Secret),
    };

    public static readonly GenericFamily Family = new("nl80211", Commands, Attributes) { Summary = Summary };

    /// <summary>In `iw` words: "Interface wlan0 ifindex 3 wdev 0x1 addr 02:00:00:00:00:00 type managed wiphy 0".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        var sta = a["sta_info"] as NetlinkFields;
        return Summaries.Join(Summaries.RequestVerb(m), m.Command,
            a["ifname"] is string name ? $"Interface {name}" : null, GenericFamilies.Part("ifindex", a["ifindex"]),
            a["wdev"] is ulong wdev ? $"wdev 0x{wdev:x}" : null,
            GenericFamilies.Part(a.Contains("sta_info") ? "Station" : "addr", a["mac"]),
            GenericFamilies.Part("type", a["iftype"]), GenericFamilies.Part("wiphy", a["wiphy_name"] ?? a["wiphy"]),
            GenericFamilies.Part("ssid", a["ssid"]), a["wiphy_freq"] is uint f ? $"channel freq {f} MHz" : null,
            sta?["signal"] is sbyte s ? $"signal {s} dBm" : null,
            GenericFamilies.Part("rx bytes", sta?["rx_bytes64"] ?? sta?["rx_bytes"]),
            GenericFamilies.Part("tx bytes", sta?["tx_bytes64"] ?? sta?["tx_bytes"]));
    }
}
