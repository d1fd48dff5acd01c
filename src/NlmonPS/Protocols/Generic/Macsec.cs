using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>macsec (linux/if_macsec.h): what `ip macsec` talks to. SA keys and salts are secrets.</summary>
internal static class Macsec
{
    public static readonly EnumTable Commands = new("macsec-cmd")
    {
        [0] = "MACSEC_CMD_GET_TXSC", [1] = "MACSEC_CMD_ADD_RXSC", [2] = "MACSEC_CMD_DEL_RXSC", [3] = "MACSEC_CMD_UPD_RXSC",
        [4] = "MACSEC_CMD_ADD_TXSA", [5] = "MACSEC_CMD_DEL_TXSA", [6] = "MACSEC_CMD_UPD_TXSA", [7] = "MACSEC_CMD_ADD_RXSA",
        [8] = "MACSEC_CMD_DEL_RXSA", [9] = "MACSEC_CMD_UPD_RXSA", [10] = "MACSEC_CMD_UPD_OFFLOAD",
    };

    private static AttributeTable Counters(string name, string prefix, params string[] names) => Counters(name, prefix, U64, names);

    private static AttributeTable Counters(string name, string prefix, ValueKind kind, params string[] names)
    {
        var t = new AttributeTable(name, prefix);
        for (int i = 0; i < names.Length; i++) t[i + 1] = new(names[i], names[i] == "pad" ? Binary : kind);
        return t;
    }

    // Per-SA counters are u32 in the kernel; the SC and SecY ones are u64.
    public static readonly AttributeTable SaStats = Counters("macsec-sa-stats", "MACSEC_SA_STATS_ATTR_", U32,
        "in_pkts_ok", "in_pkts_invalid", "in_pkts_not_valid", "in_pkts_not_using_sa", "in_pkts_unused_sa", "out_pkts_protected",
        "out_pkts_encrypted");
    public static readonly AttributeTable RxscStats = Counters("macsec-rxsc-stats", "MACSEC_RXSC_STATS_ATTR_",
        "in_octets_validated", "in_octets_decrypted", "in_pkts_unchecked", "in_pkts_delayed", "in_pkts_ok", "in_pkts_invalid",
        "in_pkts_late", "in_pkts_not_valid", "in_pkts_not_using_sa", "in_pkts_unused_sa", "pad");
    public static readonly AttributeTable TxscStats = Counters("macsec-txsc-stats", "MACSEC_TXSC_STATS_ATTR_",
        "out_pkts_protected", "out_pkts_encrypted", "out_octets_protected", "out_octets_encrypted", "pad");
    public static readonly AttributeTable SecyStats = Counters("macsec-secy-stats", "MACSEC_SECY_STATS_ATTR_",
        "out_pkts_untagged", "in_pkts_untagged", "out_pkts_too_long", "in_pkts_no_tag", "in_pkts_bad_tag", "in_pkts_unknown_sci",
        "in_pkts_no_sci", "in_pkts_overrun", "pad");

    public static readonly AttributeTable Sa = new("macsec-sa", "MACSEC_SA_ATTR_")
    {
        [1] = new("an", U8), [2] = new("active", U8), [3] = new("pn", Uint), [4] = new("key", Secret), [5] = new("keyid", Binary),
        [6] = new("stats", Nested) { Nested = SaStats }, [7] = new("pad", Binary), [8] = new("ssci", U32), [9] = new("salt", Secret),
    };

    public static readonly AttributeTable Rxsc = new("macsec-rxsc", "MACSEC_RXSC_ATTR_")
    {
        [1] = new("sci", U64) { NetworkOrder = true }, [2] = new("active", U8), [3] = new("sa_list", NestedArray) { Nested = Sa },
        [4] = new("stats", Nested) { Nested = RxscStats }, [5] = new("pad", Binary),
    };

    public static readonly AttributeTable Secy = new("macsec-secy", "MACSEC_SECY_ATTR_")
    {
        [1] = new("sci", U64) { NetworkOrder = true }, [2] = new("encoding_sa", U8), [3] = new("window", U32),
        [4] = new("cipher_suite", U64), [5] = new("icv_len", U8), [6] = new("protect", U8), [7] = new("replay", U8),
        [8] = new("oper", U8), [9] = new("validate", U8), [10] = new("encrypt", U8), [11] = new("inc_sci", U8), [12] = new("es", U8),
        [13] = new("scb", U8), [14] = new("pad", Binary),
    };

    public static readonly AttributeTable Offload = new("macsec-offload", "MACSEC_OFFLOAD_ATTR_")
    {
        [1] = new("type", U8), [2] = new("pad", Binary),
    };

    public static readonly AttributeTable Attributes = new("macsec", "MACSEC_ATTR_")
    {
        [1] = new("ifindex", U32), [2] = new("rxsc_config", Nested) { Nested = Rxsc }, [3] = new("sa_config", Nested) { Nested = Sa },
        [4] = new("secy", Nested) { Nested = Secy }, [5] = new("txsa_list", NestedArray) { Nested = Sa },
        [6] = new("rxsc_list", NestedArray) { Nested = Rxsc }, [7] = new("txsc_stats", Nested) { Nested = TxscStats },
        [8] = new("secy_stats", Nested) { Nested = SecyStats }, [9] = new("offload", Nested) { Nested = Offload },
    };

    public static readonly GenericFamily Family = new("macsec", Commands, Attributes) { Summary = Summary };

    /// <summary>"MACSEC_CMD_ADD_TXSA ifindex 5 sa 0 pn 1 on key (hidden)"; never the key itself.</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        var sa = a["sa_config"] as NetlinkFields;
        var rxsc = a["rxsc_config"] as NetlinkFields;
        var secy = a["secy"] as NetlinkFields;
        return Summaries.Join(Summaries.RequestVerb(m), m.Command, GenericFamilies.Part("ifindex", a["ifindex"]),
            secy?["sci"] is ulong sci ? $"sci {sci:x16}" : null, rxsc?["sci"] is ulong rsci ? $"rx sci {rsci:x16}" : null,
            GenericFamilies.Part("sa", sa?["an"]), GenericFamilies.Part("pn", sa?["pn"]),
            sa?["active"] is byte on ? (on != 0 ? "on" : "off") : null, sa?.Contains("key") == true ? "key (hidden)" : null,
            a["txsa_list"] is NetlinkFields[] tx ? $"{tx.Length} tx SAs" : null, a["rxsc_list"] is NetlinkFields[] rx ? $"{rx.Length} rx SCs" : null);
    }
}
