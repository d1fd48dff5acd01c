using System.Globalization;
using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>
/// ethtool (linux/ethtool_netlink.h). Requests and the kernel's messages are numbered apart
/// (ETHTOOL_MSG_LINKINFO_GET = 2 one way, ETHTOOL_MSG_LINKINFO_GET_REPLY = 2 the other), so the family names
/// commands by direction; the attribute set follows the command's stem (LINKINFO, LINKMODES...).
/// </summary>
internal static class Ethtool
{
    public static readonly EnumTable Commands = new("ethtool-msg-user")
    {
        [1] = "ETHTOOL_MSG_STRSET_GET", [2] = "ETHTOOL_MSG_LINKINFO_GET", [3] = "ETHTOOL_MSG_LINKINFO_SET",
        [4] = "ETHTOOL_MSG_LINKMODES_GET", [5] = "ETHTOOL_MSG_LINKMODES_SET", [6] = "ETHTOOL_MSG_LINKSTATE_GET",
        [7] = "ETHTOOL_MSG_DEBUG_GET", [8] = "ETHTOOL_MSG_DEBUG_SET", [9] = "ETHTOOL_MSG_WOL_GET",
        [10] = "ETHTOOL_MSG_WOL_SET", [11] = "ETHTOOL_MSG_FEATURES_GET", [12] = "ETHTOOL_MSG_FEATURES_SET",
        [13] = "ETHTOOL_MSG_PRIVFLAGS_GET", [14] = "ETHTOOL_MSG_PRIVFLAGS_SET", [15] = "ETHTOOL_MSG_RINGS_GET",
        [16] = "ETHTOOL_MSG_RINGS_SET", [17] = "ETHTOOL_MSG_CHANNELS_GET", [18] = "ETHTOOL_MSG_CHANNELS_SET",
        [19] = "ETHTOOL_MSG_COALESCE_GET", [20] = "ETHTOOL_MSG_COALESCE_SET", [21] = "ETHTOOL_MSG_PAUSE_GET",
        [22] = "ETHTOOL_MSG_PAUSE_SET", [23] = "ETHTOOL_MSG_EEE_GET", [24] = "ETHTOOL_MSG_EEE_SET",
        [25] = "ETHTOOL_MSG_TSINFO_GET", [26] = "ETHTOOL_MSG_CABLE_TEST_ACT", [27] = "ETHTOOL_MSG_CABLE_TEST_TDR_ACT",
        [28] = "ETHTOOL_MSG_TUNNEL_INFO_GET", [29] = "ETHTOOL_MSG_FEC_GET", [30] = "ETHTOOL_MSG_FEC_SET",
        [31] = "ETHTOOL_MSG_MODULE_EEPROM_GET", [32] = "ETHTOOL_MSG_STATS_GET", [33] = "ETHTOOL_MSG_PHC_VCLOCKS_GET",
        [34] = "ETHTOOL_MSG_MODULE_GET", [35] = "ETHTOOL_MSG_MODULE_SET", [36] = "ETHTOOL_MSG_PSE_GET",
        [37] = "ETHTOOL_MSG_PSE_SET",
    };

    public static readonly EnumTable ReplyCommands = new("ethtool-msg-kernel")
    {
        [1] = "ETHTOOL_MSG_STRSET_GET_REPLY", [2] = "ETHTOOL_MSG_LINKINFO_GET_REPLY", [3] = "ETHTOOL_MSG_LINKINFO_NTF",
        [4] = "ETHTOOL_MSG_LINKMODES_GET_REPLY", [5] = "ETHTOOL_MSG_LINKMODES_NTF", [6] = "ETHTOOL_MSG_LINKSTATE_GET_REPLY",
        [7] = "ETHTOOL_MSG_DEBUG_GET_REPLY", [8] = "ETHTOOL_MSG_DEBUG_NTF", [9] = "ETHTOOL_MSG_WOL_GET_REPLY",
        [10] = "ETHTOOL_MSG_WOL_NTF", [11] = "ETHTOOL_MSG_FEATURES_GET_REPLY", [12] = "ETHTOOL_MSG_FEATURES_SET_REPLY",
        [13] = "ETHTOOL_MSG_FEATURES_NTF", [14] = "ETHTOOL_MSG_PRIVFLAGS_GET_REPLY", [15] = "ETHTOOL_MSG_PRIVFLAGS_NTF",
        [16] = "ETHTOOL_MSG_RINGS_GET_REPLY", [17] = "ETHTOOL_MSG_RINGS_NTF", [18] = "ETHTOOL_MSG_CHANNELS_GET_REPLY",
        [19] = "ETHTOOL_MSG_CHANNELS_NTF", [20] = "ETHTOOL_MSG_COALESCE_GET_REPLY", [21] = "ETHTOOL_MSG_COALESCE_NTF",
        [22] = "ETHTOOL_MSG_PAUSE_GET_REPLY", [23] = "ETHTOOL_MSG_PAUSE_NTF", [24] = "ETHTOOL_MSG_EEE_GET_REPLY",
        [25] = "ETHTOOL_MSG_EEE_NTF", [26] = "ETHTOOL_MSG_TSINFO_GET_REPLY", [27] = "ETHTOOL_MSG_CABLE_TEST_NTF",
        [28] = "ETHTOOL_MSG_CABLE_TEST_TDR_NTF", [29] = "ETHTOOL_MSG_TUNNEL_INFO_GET_REPLY",
        [30] = "ETHTOOL_MSG_FEC_GET_REPLY", [31] = "ETHTOOL_MSG_FEC_NTF", [32] = "ETHTOOL_MSG_MODULE_EEPROM_GET_REPLY",
        [33] = "ETHTOOL_MSG_STATS_GET_REPLY", [34] = "ETHTOOL_MSG_PHC_VCLOCKS_GET_REPLY",
        [35] = "ETHTOOL_MSG_MODULE_GET_REPLY", [36] = "ETHTOOL_MSG_MODULE_NTF", [37] = "ETHTOOL_MSG_PSE_GET_REPLY",
    };

    /// <summary>ETHTOOL_FLAG_* in the request header.</summary>
    public static readonly FlagTable HeaderFlags = new("ethtool-flags") { { 1, "compact_bitsets" }, { 2, "omit_reply" }, { 4, "stats" } };

    public static readonly AttributeTable Header = new("ethtool-header", "ETHTOOL_A_HEADER_")
    {
        [1] = new("dev_index", U32), [2] = new("dev_name", ValueKind.String), [3] = new("flags", U32) { Flags = HeaderFlags },
    };

    // Bitsets: either compact (value/mask words) or verbose (a list of bits by index and name).
    public static readonly AttributeTable BitsetBit = new("ethtool-bitset-bit", "ETHTOOL_A_BITSET_BIT_")
    {
        [1] = new("index", U32), [2] = new("name", ValueKind.String), [3] = new("value", Flag),
    };
    public static readonly AttributeTable BitsetBits = new("ethtool-bitset-bits", "ETHTOOL_A_BITSET_BITS_")
    {
        [1] = new("bit", Nested) { Nested = BitsetBit },
    };
    public static readonly AttributeTable Bitset = new("ethtool-bitset", "ETHTOOL_A_BITSET_")
    {
        [1] = new("nomask", Flag), [2] = new("size", U32), [3] = new("bits", Nested) { Nested = BitsetBits },
        [4] = new("value", U32Array), [5] = new("mask", U32Array),
    };

    // String sets (ETHTOOL_MSG_STRSET_*): sets of numbered strings (feature names, link modes...).
    public static readonly AttributeTable String = new("ethtool-string", "ETHTOOL_A_STRING_")
    {
        [1] = new("index", U32), [2] = new("value", ValueKind.String),
    };
    public static readonly AttributeTable Strings = new("ethtool-strings", "ETHTOOL_A_STRINGS_")
    {
        [1] = new("string", Nested) { Nested = String },
    };
    public static readonly EnumTable StringSetId = new("ethtool-stringset")
    {
        [0] = "test", [1] = "stats", [2] = "priv-flags", [3] = "ntuple-filters", [4] = "features", [5] = "rss-hash-funcs",
        [6] = "tunables", [7] = "phy-stats", [8] = "phy-tunables", [9] = "link-modes", [10] = "msg-classes", [11] = "wol-modes",
        [12] = "sof-timestamping", [13] = "tx-types", [14] = "rx-filters", [15] = "udp-tunnel-types", [16] = "eth-phy-stats",
        [17] = "eth-mac-stats", [18] = "eth-ctrl-stats", [19] = "rmon-stats", [20] = "stats-std", [21] = "hwtstamp-source",
        [22] = "hwtstamp-qualifier",
    };
    public static readonly AttributeTable StringSet = new("ethtool-stringset", "ETHTOOL_A_STRINGSET_")
    {
        [1] = new("id", U32) { Enum = StringSetId }, [2] = new("count", U32), [3] = new("strings", Nested) { Nested = Strings },
    };
    public static readonly AttributeTable StringSets = new("ethtool-stringsets", "ETHTOOL_A_STRINGSETS_")
    {
        [1] = new("stringset", Nested) { Nested = StringSet },
    };
    public static readonly AttributeTable Strset = new("ethtool-strset", "ETHTOOL_A_STRSET_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("stringsets", Nested) { Nested = StringSets },
        [3] = new("counts_only", Flag),
    };

    /// <summary>PORT_* (linux/ethtool.h), as `ethtool` prints "Port:".</summary>
    public static readonly EnumTable Port = new("ethtool-port")
    {
        [0] = "Twisted Pair", [1] = "AUI", [2] = "MII", [3] = "FIBRE", [4] = "BNC", [5] = "Directly Attached Copper",
        [0xef] = "None", [0xff] = "Other",
    };
    public static readonly EnumTable Duplex = new("ethtool-duplex") { [0] = "Half", [1] = "Full", [0xff] = "Unknown!" };
    public static readonly EnumTable Transceiver = new("ethtool-transceiver") { [0] = "internal", [1] = "external" };

    public static readonly AttributeTable LinkInfo = new("ethtool-linkinfo", "ETHTOOL_A_LINKINFO_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("port", U8) { Enum = Port }, [3] = new("phyaddr", U8),
        [4] = new("tp_mdix", U8), [5] = new("tp_mdix_ctrl", U8), [6] = new("transceiver", U8) { Enum = Transceiver },
    };

    public static readonly AttributeTable LinkModes = new("ethtool-linkmodes", "ETHTOOL_A_LINKMODES_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("autoneg", U8), [3] = new("ours", Nested) { Nested = Bitset },
        [4] = new("peer", Nested) { Nested = Bitset }, [5] = new("speed", U32), [6] = new("duplex", U8) { Enum = Duplex },
        [7] = new("master_slave_cfg", U8), [8] = new("master_slave_state", U8), [9] = new("lanes", U32),
        [10] = new("rate_matching", U8),
    };

    public static readonly AttributeTable LinkState = new("ethtool-linkstate", "ETHTOOL_A_LINKSTATE_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("link", U8), [3] = new("sqi", U32), [4] = new("sqi_max", U32),
        [5] = new("ext_state", U8), [6] = new("ext_substate", U8),
        [7] = new("ext_down_cnt", U32),   // since Linux 6.2, after Debian 12's headers
    };

    public static readonly AttributeTable Debug = new("ethtool-debug", "ETHTOOL_A_DEBUG_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("msgmask", Nested) { Nested = Bitset },
    };

    public static readonly AttributeTable Wol = new("ethtool-wol", "ETHTOOL_A_WOL_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("modes", Nested) { Nested = Bitset },
        [3] = new("sopass", Secret),   // the SecureOn password
    };

    public static readonly AttributeTable Features = new("ethtool-features", "ETHTOOL_A_FEATURES_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("hw", Nested) { Nested = Bitset },
        [3] = new("wanted", Nested) { Nested = Bitset }, [4] = new("active", Nested) { Nested = Bitset },
        [5] = new("nochange", Nested) { Nested = Bitset },
    };

    public static readonly AttributeTable PrivFlags = new("ethtool-privflags", "ETHTOOL_A_PRIVFLAGS_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("flags", Nested) { Nested = Bitset },
    };

    public static readonly AttributeTable Rings = new("ethtool-rings", "ETHTOOL_A_RINGS_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("rx_max", U32), [3] = new("rx_mini_max", U32),
        [4] = new("rx_jumbo_max", U32), [5] = new("tx_max", U32), [6] = new("rx", U32), [7] = new("rx_mini", U32),
        [8] = new("rx_jumbo", U32), [9] = new("tx", U32), [10] = new("rx_buf_len", U32), [11] = new("tcp_data_split", U8),
        [12] = new("cqe_size", U32), [13] = new("tx_push", U8),
    };

    public static readonly AttributeTable Channels = new("ethtool-channels", "ETHTOOL_A_CHANNELS_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("rx_max", U32), [3] = new("tx_max", U32),
        [4] = new("other_max", U32), [5] = new("combined_max", U32), [6] = new("rx_count", U32), [7] = new("tx_count", U32),
        [8] = new("other_count", U32), [9] = new("combined_count", U32),
    };

    public static readonly AttributeTable Coalesce = new("ethtool-coalesce", "ETHTOOL_A_COALESCE_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("rx_usecs", U32), [3] = new("rx_max_frames", U32),
        [4] = new("rx_usecs_irq", U32), [5] = new("rx_max_frames_irq", U32), [6] = new("tx_usecs", U32),
        [7] = new("tx_max_frames", U32), [8] = new("tx_usecs_irq", U32), [9] = new("tx_max_frames_irq", U32),
        [10] = new("stats_block_usecs", U32), [11] = new("use_adaptive_rx", U8), [12] = new("use_adaptive_tx", U8),
        [13] = new("pkt_rate_low", U32), [14] = new("rx_usecs_low", U32), [15] = new("rx_max_frames_low", U32),
        [16] = new("tx_usecs_low", U32), [17] = new("tx_max_frames_low", U32), [18] = new("pkt_rate_high", U32),
        [19] = new("rx_usecs_high", U32), [20] = new("rx_max_frames_high", U32), [21] = new("tx_usecs_high", U32),
        [22] = new("tx_max_frames_high", U32), [23] = new("rate_sample_interval", U32), [24] = new("use_cqe_mode_tx", U8),
        [25] = new("use_cqe_mode_rx", U8),
    };

    public static readonly AttributeTable PauseStat = new("ethtool-pause-stat", "ETHTOOL_A_PAUSE_STAT_")
    {
        [1] = new("pad", Binary), [2] = new("tx_frames", U64), [3] = new("rx_frames", U64),
    };
    public static readonly AttributeTable Pause = new("ethtool-pause", "ETHTOOL_A_PAUSE_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("autoneg", U8), [3] = new("rx", U8), [4] = new("tx", U8),
        [5] = new("stats", Nested) { Nested = PauseStat },
    };

    public static readonly AttributeTable Eee = new("ethtool-eee", "ETHTOOL_A_EEE_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("modes_ours", Nested) { Nested = Bitset },
        [3] = new("modes_peer", Nested) { Nested = Bitset }, [4] = new("active", U8), [5] = new("enabled", U8),
        [6] = new("tx_lpi_enabled", U8), [7] = new("tx_lpi_timer", U32),
    };

    public static readonly AttributeTable TsInfo = new("ethtool-tsinfo", "ETHTOOL_A_TSINFO_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("timestamping", Nested) { Nested = Bitset },
        [3] = new("tx_types", Nested) { Nested = Bitset }, [4] = new("rx_filters", Nested) { Nested = Bitset },
        [5] = new("phc_index", U32),
    };

    public static readonly AttributeTable CableTest = new("ethtool-cable-test", "ETHTOOL_A_CABLE_TEST_")
    {
        [1] = new("header", Nested) { Nested = Header },
    };
    public static readonly AttributeTable CableTestNtf = new("ethtool-cable-test-ntf", "ETHTOOL_A_CABLE_TEST_NTF_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("status", U8), [3] = new("nest", Binary),
    };

    public static readonly AttributeTable Fec = new("ethtool-fec", "ETHTOOL_A_FEC_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("modes", Nested) { Nested = Bitset }, [3] = new("auto", U8),
        [4] = new("active", U32), [5] = new("stats", Binary),
    };

    public static readonly AttributeTable ModuleEeprom = new("ethtool-module-eeprom", "ETHTOOL_A_MODULE_EEPROM_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("offset", U32), [3] = new("length", U32), [4] = new("page", U8),
        [5] = new("bank", U8), [6] = new("i2c_address", U8), [7] = new("data", Binary),
    };

    public static readonly AttributeTable Stats = new("ethtool-stats", "ETHTOOL_A_STATS_")
    {
        [1] = new("pad", Binary), [2] = new("header", Nested) { Nested = Header }, [3] = new("groups", Nested) { Nested = Bitset },
        [4] = new("grp", Binary),
    };

    public static readonly AttributeTable PhcVclocks = new("ethtool-phc-vclocks", "ETHTOOL_A_PHC_VCLOCKS_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("num", U32), [3] = new("index", U32Array),
    };

    public static readonly AttributeTable Module = new("ethtool-module", "ETHTOOL_A_MODULE_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("power_mode_policy", U8), [3] = new("power_mode", U8),
    };

    public static readonly AttributeTable TunnelInfo = new("ethtool-tunnel-info", "ETHTOOL_A_TUNNEL_INFO_")
    {
        [1] = new("header", Nested) { Nested = Header }, [2] = new("udp_ports", Binary),
    };

    public static readonly AttributeTable Pse = new("ethtool-pse", "ETHTOOL_A_PSE_")
    {
        [1] = new("header", Nested) { Nested = Header },
    };

    /// <summary>Which set each command stem's messages use (requests, replies and notifications alike).</summary>
    private static readonly (string Stem, AttributeTable Table)[] SetsByStem =
    {
        ("STRSET", Strset), ("LINKINFO", LinkInfo), ("LINKMODES", LinkModes), ("LINKSTATE", LinkState), ("DEBUG", Debug),
        ("WOL", Wol), ("FEATURES", Features), ("PRIVFLAGS", PrivFlags), ("RINGS", Rings), ("CHANNELS", Channels),
        ("COALESCE", Coalesce), ("PAUSE", Pause), ("EEE", Eee), ("TSINFO", TsInfo), ("CABLE_TEST", CableTest),
        ("CABLE_TEST_TDR", CableTest), ("TUNNEL_INFO", TunnelInfo), ("FEC", Fec), ("MODULE_EEPROM", ModuleEeprom),
        ("STATS", Stats), ("PHC_VCLOCKS", PhcVclocks), ("MODULE", Module), ("PSE", Pse),
    };

    public static readonly GenericFamily Family = CreateFamily();

    private static GenericFamily CreateFamily()
    {
        var family = new GenericFamily("ethtool", Commands, LinkInfo) { ReplyCommands = ReplyCommands, Summary = Summary };
        foreach (var (stem, table) in SetsByStem)
            foreach (var suffix in new[] { "_GET", "_SET", "_ACT", "_GET_REPLY", "_SET_REPLY", "_NTF" })
                family.AttributesByCommandName[$"ETHTOOL_MSG_{stem}{suffix}"] = table;
        family.AttributesByCommandName["ETHTOOL_MSG_CABLE_TEST_NTF"] = CableTestNtf;
        family.AttributesByCommandName["ETHTOOL_MSG_CABLE_TEST_TDR_NTF"] = CableTestNtf;
        return family;
    }

    /// <summary>What `ethtool` prints for each reply, by attribute: label and value.</summary>
    private static readonly (string Attribute, string Label)[] Shown =
    {
        ("port", "Port:"), ("phyaddr", "PHYAD:"), ("transceiver", "Transceiver:"), ("speed", "Speed:"), ("duplex", "Duplex:"),
        ("autoneg", "Auto-negotiation:"), ("link", "Link detected:"), ("rx", "RX:"), ("tx", "TX:"), ("rx_max", "RX max:"),
        ("tx_max", "TX max:"), ("combined_count", "Combined:"), ("rx_usecs", "rx-usecs:"), ("tx_usecs", "tx-usecs:"),
        ("enabled", "EEE status:"), ("phc_index", "PTP Hardware Clock:"), ("power_mode", "Power mode:"),
    };

    /// <summary>"ETHTOOL_MSG_LINKSTATE_GET_REPLY dev lo Link detected: yes" (the command, the device, what ethtool shows).</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        var header = a["header"] as NetlinkFields;
        var dev = header?["dev_name"] ?? header?["dev_index"];
        var parts = new List<object?> { Summaries.RequestVerb(m), m.Command, GenericFamilies.Part("dev", dev) };
        foreach (var (attribute, label) in Shown)
        {
            if (a[attribute] is not { } v || v is NetlinkFields) continue;
            parts.Add(label);
            parts.Add(attribute switch
            {
                "link" or "autoneg" or "rx" or "tx" or "enabled" => v is byte b ? (b != 0 ? (attribute == "link" ? "yes" : "on") : (attribute == "link" ? "no" : "off")) : v,
                "speed" => v is uint s ? (s == uint.MaxValue ? "Unknown!" : $"{s.ToString(CultureInfo.InvariantCulture)}Mb/s") : v,
                _ => v,
            });
        }
        if (a["stringsets"] is NetlinkFields sets)
            parts.Add("sets " + string.Join(",", sets.Select(s => NetlinkFields.Format((s.Value as NetlinkFields)?["id"]))));
        return Summaries.Join(parts.ToArray());
    }
}
