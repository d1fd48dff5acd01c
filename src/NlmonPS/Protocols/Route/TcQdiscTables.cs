using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;
using static NlmonPS.Protocols.Route.TcTypes;

namespace NlmonPS.Protocols.Route;

/// <summary>
/// Queueing disciplines and their classes (linux/pkt_sched.h): TCA_OPTIONS sets by kind, the kinds whose options
/// are a plain struct, and the per-kind TCA_XSTATS.
/// </summary>
internal static class TcQdiscTables
{
    // ---- structs ---------------------------------------------------------------------------------------------

    private static FieldSpec Rate(string name, int offset) => new(name, offset, Struct, 12) { Struct = RateSpec };

    /// <summary>struct tc_htb_opt (TCA_HTB_PARMS of a class).</summary>
    public static readonly StructSpec HtbClass = new("tc_htb_opt", 44)
    {
        Rate("rate", 0), Rate("ceil", 12),
        { "buffer", 24, U32 }, { "cbuffer", 28, U32 }, { "quantum", 32, U32 }, { "level", 36, U32 }, { "prio", 40, U32 },
    };

    /// <summary>struct tc_htb_glob (TCA_HTB_INIT of the qdisc).</summary>
    public static readonly StructSpec HtbGlobal = Enums.Sequential("tc_htb_glob", U32, "version", "rate2quantum", "defcls", "debug", "direct_pkts");

    /// <summary>struct tc_tbf_qopt; buffer and mtu are in scheduler ticks.</summary>
    public static readonly StructSpec TbfParameters = new("tc_tbf_qopt", 36)
    {
        Rate("rate", 0), Rate("peakrate", 12), { "limit", 24, U32 }, { "buffer", 28, U32 }, { "mtu", 32, U32 },
    };

    public static readonly StructSpec FifoParameters = Enums.Sequential("tc_fifo_qopt", U32, "limit");

    /// <summary>struct tc_prio_qopt (prio, pfifo_fast, fq's priomap): bands, then priomap[16] (priority to band).</summary>
    public static readonly StructSpec PrioParameters = new("tc_prio_qopt", 20) { { "bands", 0, S32 }, { "priomap", 4, Binary, null, null, 16 } };

    /// <summary>struct tc_sfq_qopt_v1: the v0 head (tc_sfq_qopt, all that old kernels send), then depth and the SFQRED part.</summary>
    public static readonly StructSpec SfqParameters = MinSize(new StructSpec("tc_sfq_qopt_v1", 72)
    {
        new FieldSpec("v0", 0, Struct, 20)
        {
            Struct = new StructSpec("tc_sfq_qopt", 20)
            {
                { "quantum", 0, U32 }, { "perturb_period", 4, S32 }, { "limit", 8, U32 }, { "divisor", 12, U32 }, { "flows", 16, U32 },
            },
        },
        { "depth", 20, U32 }, { "headdrop", 24, U32 }, { "limit", 28, U32 }, { "qth_min", 32, U32 }, { "qth_max", 36, U32 },
        { "Wlog", 40, U8 }, { "Plog", 41, U8 }, { "Scell_log", 42, U8 }, { "flags", 43, U8 }, { "max_P", 44, U32 },
        new FieldSpec("stats", 48, Struct, 24)
        {
            Struct = Enums.Sequential("tc_sfqred_stats", U32, "prob_drop", "forced_drop", "prob_mark", "forced_mark", "prob_mark_head", "forced_mark_head"),
        },
    }, 20);

    /// <summary>struct tc_netem_qopt, followed by the TCA_NETEM_* attributes (<see cref="Netem"/>).</summary>
    public static readonly StructSpec NetemParameters = Enums.Sequential("tc_netem_qopt", U32, "latency", "limit", "loss", "gap", "duplicate", "jitter");

    /// <summary>Probability and correlation, scaled to the u32 range (tc_netem_reorder, tc_netem_corrupt).</summary>
    private static StructSpec NetemChance(string name) => Enums.Sequential(name, U32, "probability", "correlation");

    /// <summary>TCA_NETEM_*: what netem puts after struct tc_netem_qopt in TCA_OPTIONS (pkt_sched.h).</summary>
    public static readonly AttributeTable Netem = new("tc-netem", "TCA_NETEM_")
    {
        [1] = new("corr", Struct) { Struct = Enums.Sequential("tc_netem_corr", U32, "delay_corr", "loss_corr", "dup_corr") },
        [2] = new("delay_dist", Binary), [3] = new("reorder", Struct) { Struct = NetemChance("tc_netem_reorder") },
        [4] = new("corrupt", Struct) { Struct = NetemChance("tc_netem_corrupt") },
        [5] = new("loss_model", Nested)
        {
            UapiName = "LOSS",
            Nested = new AttributeTable("tc-netem-loss", "NETEM_LOSS_")
            {
                [1] = new("gi", Struct) { Struct = Enums.Sequential("tc_netem_gimodel", U32, "p13", "p31", "p32", "p14", "p23") },
                [2] = new("ge", Struct) { Struct = Enums.Sequential("tc_netem_gemodel", U32, "p", "r", "h", "k1") },
            },
        },
        [6] = new("rate", Struct)
        {
            Struct = new StructSpec("tc_netem_rate", 16) { { "rate", 0, U32 }, { "packet_overhead", 4, S32 }, { "cell_size", 8, U32 }, { "cell_overhead", 12, S32 } },
        },
        [7] = new("ecn", U32), [8] = new("rate64", U64), [9] = new("pad", Binary),
        [10] = new("latency64", S64), [11] = new("jitter64", S64),   // nanoseconds
        [12] = new("slot", Struct)
        {
            Struct = new StructSpec("tc_netem_slot", 40)
            {
                { "min_delay", 0, S64 }, { "max_delay", 8, S64 }, { "max_packets", 16, S32 }, { "max_bytes", 20, S32 },
                { "dist_delay", 24, S64 }, { "dist_jitter", 32, S64 },
            },
        },
        [13] = new("slot_dist", Binary), [14] = new("prng_seed", U64),   // 6.3
    };

    /// <summary>
    /// What iproute2 puts after prio's struct (addattr_nest_compat): a nest of the same type, TCA_OPTIONS, empty
    /// today (the kernel reads none of it).
    /// </summary>
    public static readonly AttributeTable PrioCompat = new("tc-prio-compat") { [2] = new("options", Nested) { Nested = new AttributeTable("tc-prio-options") } };

    public static readonly FlagTable RedFlags = new("tc-red-flags") { { 1, "ecn" }, { 2, "harddrop" }, { 4, "adaptative" }, { 8, "nodrop" } };

    /// <summary>struct tc_red_qopt (and the same layout as tc_choke_qopt).</summary>
    private static StructSpec RedLike(string name) => new(name, 16)
    {
        { "limit", 0, U32 }, { "qth_min", 4, U32 }, { "qth_max", 8, U32 }, { "Wlog", 12, U8 }, { "Plog", 13, U8 }, { "Scell_log", 14, U8 },
        { "flags", 15, U8, null, RedFlags },
    };

    // ---- option sets -----------------------------------------------------------------------------------------

    public static readonly AttributeTable Htb = new("tc-htb", "TCA_HTB_")
    {
        [1] = new("parms", Struct) { Struct = HtbClass },
        [2] = new("init", Struct) { Struct = HtbGlobal },
        [3] = new("ctab", Binary),
        [4] = new("rtab", Binary),
        [5] = new("direct_qlen", U32),
        [6] = new("rate64", U64),
        [7] = new("ceil64", U64),
        [8] = new("pad", Binary),
        [9] = new("offload", Flag),
    };

    public static readonly AttributeTable Tbf = new("tc-tbf", "TCA_TBF_")
    {
        [1] = new("parms", Struct) { Struct = TbfParameters },
        [2] = new("rtab", Binary),
        [3] = new("ptab", Binary),
        [4] = new("rate64", U64),
        [5] = new("prate64", U64),
        [6] = new("burst", U32),
        [7] = new("pburst", U32),
        [8] = new("pad", Binary),
    };

    /// <summary>fq_codel: times in microseconds.</summary>
    public static readonly AttributeTable FqCodel = new("tc-fq-codel", "TCA_FQ_CODEL_")
    {
        [1] = new("target", U32), [2] = new("limit", U32), [3] = new("interval", U32), [4] = new("ecn", U32), [5] = new("flows", U32),
        [6] = new("quantum", U32), [7] = new("ce_threshold", U32), [8] = new("drop_batch_size", U32), [9] = new("memory_limit", U32),
        [10] = new("ce_threshold_selector", U8), [11] = new("ce_threshold_mask", U8),
    };

    public static readonly AttributeTable Codel = new("tc-codel", "TCA_CODEL_")
    {
        [1] = new("target", U32), [2] = new("limit", U32), [3] = new("interval", U32), [4] = new("ecn", U32), [5] = new("ce_threshold", U32),
    };

    public static readonly AttributeTable Fq = new("tc-fq", "TCA_FQ_")
    {
        [1] = new("plimit", U32), [2] = new("flow_plimit", U32), [3] = new("quantum", U32), [4] = new("initial_quantum", U32),
        [5] = new("rate_enable", U32), [6] = new("flow_default_rate", U32), [7] = new("flow_max_rate", U32), [8] = new("buckets_log", U32),
        [9] = new("flow_refill_delay", U32), [10] = new("orphan_mask", U32), [11] = new("low_rate_threshold", U32),
        [12] = new("ce_threshold", U32), [13] = new("timer_slack", U32), [14] = new("horizon", U32), [15] = new("horizon_drop", U8),
        [16] = new("priomap", Struct) { Struct = PrioParameters },
        [17] = new("weights", U32Array),
        [18] = new("offload_horizon", U32),
    };

    public static readonly AttributeTable Pie = new("tc-pie", "TCA_PIE_")
    {
        [1] = new("target", U32), [2] = new("limit", U32), [3] = new("tupdate", U32), [4] = new("alpha", U32), [5] = new("beta", U32),
        [6] = new("ecn", U32), [7] = new("bytemode", U32), [8] = new("dq_rate_estimator", U32),
    };

    public static readonly AttributeTable FqPie = new("tc-fq-pie", "TCA_FQ_PIE_")
    {
        [1] = new("limit", U32), [2] = new("flows", U32), [3] = new("target", U32), [4] = new("tupdate", U32), [5] = new("alpha", U32),
        [6] = new("beta", U32), [7] = new("quantum", U32), [8] = new("memory_limit", U32), [9] = new("ecn_prob", U32), [10] = new("ecn", U32),
        [11] = new("bytemode", U32), [12] = new("dq_rate_estimator", U32),
    };

    public static readonly AttributeTable Hhf = new("tc-hhf", "TCA_HHF_")
    {
        [1] = new("backlog_limit", U32), [2] = new("quantum", U32), [3] = new("hh_flows_limit", U32), [4] = new("reset_timeout", U32),
        [5] = new("admit_bytes", U32), [6] = new("evict_timeout", U32), [7] = new("non_hh_weight", U32),
    };

    public static readonly AttributeTable Red = new("tc-red", "TCA_RED_")
    {
        [1] = new("parms", Struct) { Struct = RedLike("tc_red_qopt") },
        [2] = new("stab", Binary),
        [3] = new("max_p", U32),
        [4] = new("flags", Struct) { Struct = Bitfield32("tc-red-flags", RedFlags) },
        [5] = new("early_drop_block", U32),
        [6] = new("mark_block", U32),
    };

    public static readonly AttributeTable Choke = new("tc-choke", "TCA_CHOKE_")
    {
        [1] = new("parms", Struct) { Struct = RedLike("tc_choke_qopt") }, [2] = new("stab", Binary), [3] = new("max_p", U32),
    };

    public static readonly AttributeTable Sfb = new("tc-sfb", "TCA_SFB_")
    {
        [1] = new("parms", Struct)
        {
            Struct = Enums.Sequential("tc_sfb_qopt", U32, "rehash_interval", "warmup_time", "max", "bin_size", "increment", "decrement",
                "limit", "penalty_rate", "penalty_burst"),
        },
    };

    public static readonly AttributeTable Drr = new("tc-drr", "TCA_DRR_") { [1] = new("quantum", U32) };

    public static readonly AttributeTable Qfq = new("tc-qfq", "TCA_QFQ_") { [1] = new("weight", U32), [2] = new("lmax", U32) };

    public static readonly AttributeTable Ets = new("tc-ets", "TCA_ETS_")
    {
        [1] = new("nbands", U8),
        [2] = new("nstrict", U8),
        [3] = new("quanta", Nested) { Nested = new AttributeTable("tc-ets-quanta", "TCA_ETS_") { [4] = new("quanta_band", U32) } },
        [4] = new("quanta_band", U32),
        [5] = new("priomap", Nested) { Nested = new AttributeTable("tc-ets-priomap", "TCA_ETS_") { [6] = new("priomap_band", U8) } },
        [6] = new("priomap_band", U8),
    };

    public static readonly AttributeTable Cake = new("tc-cake", "TCA_CAKE_")
    {
        [1] = new("pad", Binary),
        [2] = new("base_rate64", U64),
        [3] = new("diffserv_mode", U32)
        {
            Enum = new EnumTable("cake-diffserv") { [0] = "diffserv3", [1] = "diffserv4", [2] = "diffserv8", [3] = "besteffort", [4] = "precedence" },
        },
        [4] = new("atm", U32) { Enum = new EnumTable("cake-atm") { [0] = "none", [1] = "atm", [2] = "ptm" } },
        [5] = new("flow_mode", U32)
        {
            Enum = new EnumTable("cake-flow-mode")
            {
                [0] = "none", [1] = "src_ip", [2] = "dst_ip", [3] = "hosts", [4] = "flows", [5] = "dual_src", [6] = "dual_dst", [7] = "triple",
            },
        },
        [6] = new("overhead", S32), [7] = new("rtt", U32), [8] = new("target", U32), [9] = new("autorate", U32), [10] = new("memory", U32),
        [11] = new("nat", U32), [12] = new("raw", U32), [13] = new("wash", U32), [14] = new("mpu", U32), [15] = new("ingress", U32),
        [16] = new("ack_filter", U32) { Enum = new EnumTable("cake-ack-filter") { [0] = "none", [1] = "filter", [2] = "aggressive" } },
        [17] = new("split_gso", U32),
        [18] = new("fwmark", U32),
    };

    public static readonly AttributeTable Cbs = new("tc-cbs", "TCA_CBS_")
    {
        [1] = new("parms", Struct)
        {
            Struct = new StructSpec("tc_cbs_qopt", 20)
            {
                { "offload", 0, U8 }, { "hicredit", 4, S32 }, { "locredit", 8, S32 }, { "idleslope", 12, S32 }, { "sendslope", 16, S32 },
            },
        },
    };

    public static readonly AttributeTable Etf = new("tc-etf", "TCA_ETF_")
    {
        [1] = new("parms", Struct)
        {
            Struct = new StructSpec("tc_etf_qopt", 12)
            {
                { "delta", 0, S32 }, { "clockid", 4, S32 },
                { "flags", 8, U32, null, new FlagTable("tc-etf-flags") { { 1, "deadline_mode_on" }, { 2, "offload_on" }, { 4, "skip_sock_check" } } },
            },
        },
    };

    /// <summary>ingress and clsact send an empty TCA_OPTIONS nest; mq and noqueue none.</summary>
    public static readonly AttributeTable NoOptions = new("tc-no-options");

    /// <summary>TCA_OPTIONS sets of qdiscs and classes by TCA_KIND.</summary>
    public static readonly Dictionary<string, AttributeTable> Kinds = new(StringComparer.Ordinal)
    {
        ["htb"] = Htb, ["tbf"] = Tbf, ["fq_codel"] = FqCodel, ["codel"] = Codel, ["fq"] = Fq, ["pie"] = Pie, ["fq_pie"] = FqPie,
        ["hhf"] = Hhf, ["red"] = Red, ["choke"] = Choke, ["sfb"] = Sfb, ["drr"] = Drr, ["qfq"] = Qfq, ["ets"] = Ets, ["cake"] = Cake,
        ["cbs"] = Cbs, ["etf"] = Etf, ["ingress"] = NoOptions, ["clsact"] = NoOptions, ["mq"] = NoOptions, ["noqueue"] = NoOptions,
        // After their struct (StructKinds): a struct, then these attributes.
        ["netem"] = Netem, ["prio"] = PrioCompat, ["pfifo_fast"] = PrioCompat,
    };

    /// <summary>Kinds whose TCA_OPTIONS is a struct rather than attributes (with attributes after it for those in <see cref="Kinds"/> too).</summary>
    public static readonly Dictionary<string, StructSpec> StructKinds = new(StringComparer.Ordinal)
    {
        ["pfifo"] = FifoParameters, ["bfifo"] = FifoParameters, ["pfifo_head_drop"] = FifoParameters,
        ["pfifo_fast"] = PrioParameters, ["prio"] = PrioParameters, ["sfq"] = SfqParameters, ["netem"] = NetemParameters,
        ["multiq"] = new StructSpec("tc_multiq_qopt", 4) { { "bands", 0, U16 }, { "max_bands", 2, U16 } },
        ["skbprio"] = Enums.Sequential("tc_skbprio_qopt", U32, "limit"),
    };

    // ---- TCA_XSTATS ------------------------------------------------------------------------------------------

    /// <summary>struct tc_fq_codel_xstats: type (0 qdisc, 1 class), then a union; both views are shown.</summary>
    public static readonly StructSpec FqCodelStats = MinSize(new StructSpec("tc_fq_codel_xstats", 40)
    {
        { "type", 0, U32, new EnumTable("tca-fq-codel-xstats") { [0] = "qdisc", [1] = "class" } },
        new FieldSpec("qdisc_stats", 4, Struct, 36)
        {
            Struct = Enums.Sequential("tc_fq_codel_qd_stats", U32, "maxpacket", "drop_overlimit", "ecn_mark", "new_flow_count",
                "new_flows_len", "old_flows_len", "ce_mark", "memory_usage", "drop_overmemory"),
        },
        new FieldSpec("class_stats", 4, Struct, 24)
        {
            Struct = new StructSpec("tc_fq_codel_cl_stats", 24)
            {
                { "deficit", 0, S32 }, { "ldelay", 4, U32 }, { "count", 8, U32 }, { "lastcount", 12, U32 }, { "dropping", 16, U32 }, { "drop_next", 20, S32 },
            },
        },
    }, 28);

    public static readonly StructSpec HtbStats = new("tc_htb_xstats", 20)
    {
        { "lends", 0, U32 }, { "borrows", 4, U32 }, { "giants", 8, U32 }, { "tokens", 12, S32 }, { "ctokens", 16, S32 },
    };

    // 104 bytes up to 6.6; 6.7 added the fast path and the three bands' counters (152 bytes).
    public static readonly StructSpec FqStats = MinSize(new StructSpec("tc_fq_qd_stats", 152)
    {
        { "gc_flows", 0, U64 }, { "highprio_packets", 8, U64 }, { "tcp_retrans", 16, U64 }, { "throttled", 24, U64 },
        { "flows_plimit", 32, U64 }, { "pkts_too_long", 40, U64 }, { "allocation_errors", 48, U64 }, { "time_next_delayed_flow", 56, S64 },
        { "flows", 64, U32 }, { "inactive_flows", 68, U32 }, { "throttled_flows", 72, U32 }, { "unthrottle_latency_ns", 76, U32 },
        { "ce_mark", 80, U64 }, { "horizon_drops", 88, U64 }, { "horizon_caps", 96, U64 },
        { "fastpath_packets", 104, U64 }, { "band_drops0", 112, U64 }, { "band_drops1", 120, U64 }, { "band_drops2", 128, U64 },
        { "band_pkt_count0", 136, U32 }, { "band_pkt_count1", 140, U32 }, { "band_pkt_count2", 144, U32 }, { "pad", 148, U32 },
    }, 64);

    public static readonly Dictionary<string, StructSpec> StatsStructs = new(StringComparer.Ordinal)
    {
        ["fq_codel"] = FqCodelStats,
        ["htb"] = HtbStats,
        ["fq"] = FqStats,
        ["codel"] = new StructSpec("tc_codel_xstats", 36)
        {
            { "maxpacket", 0, U32 }, { "count", 4, U32 }, { "lastcount", 8, U32 }, { "ldelay", 12, U32 }, { "drop_next", 16, S32 },
            { "drop_overlimit", 20, U32 }, { "ecn_mark", 24, U32 }, { "dropping", 28, U32 }, { "ce_mark", 32, U32 },
        },
        ["pie"] = new StructSpec("tc_pie_xstats", 40)
        {
            { "prob", 0, U64 }, { "delay", 8, U32 }, { "avg_dq_rate", 12, U32 }, { "dq_rate_estimating", 16, U32 }, { "packets_in", 20, U32 },
            { "dropped", 24, U32 }, { "overlimit", 28, U32 }, { "maxq", 32, U32 }, { "ecn_mark", 36, U32 },
        },
        ["fq_pie"] = Enums.Sequential("tc_fq_pie_xstats", U32, "packets_in", "dropped", "overlimit", "overmemory", "ecn_mark",
            "new_flow_count", "new_flows_len", "old_flows_len", "memory_usage"),
        ["red"] = Enums.Sequential("tc_red_xstats", U32, "early", "pdrop", "other", "marked"),
        ["choke"] = Enums.Sequential("tc_choke_xstats", U32, "early", "pdrop", "other", "marked", "matched"),
        ["sfb"] = Enums.Sequential("tc_sfb_xstats", U32, "earlydrop", "penaltydrop", "bucketdrop", "queuedrop", "childdrop", "marked",
            "maxqlen", "maxprob", "avgprob"),
        ["sfq"] = new StructSpec("tc_sfq_xstats", 4) { { "allot", 0, S32 } },
        ["hhf"] = Enums.Sequential("tc_hhf_xstats", U32, "drop_overlimit", "hh_overlimit", "hh_tot_count", "hh_cur_count"),
        ["drr"] = Enums.Sequential("tc_drr_stats", U32, "deficit"),
        ["qfq"] = Enums.Sequential("tc_qfq_stats", U32, "weight", "lmax"),
        ["hfsc"] = new StructSpec("tc_hfsc_stats", 24) { { "work", 0, U64 }, { "rtwork", 8, U64 }, { "period", 16, U32 }, { "level", 20, U32 } },
    };

    public static readonly AttributeTable CakeTinStats = new("tc-cake-tin-stats", "TCA_CAKE_TIN_STATS_")
    {
        [1] = new("pad", Binary), [2] = new("sent_packets", U32), [3] = new("sent_bytes64", U64), [4] = new("dropped_packets", U32),
        [5] = new("dropped_bytes64", U64), [6] = new("acks_dropped_packets", U32), [7] = new("acks_dropped_bytes64", U64),
        [8] = new("ecn_marked_packets", U32), [9] = new("ecn_marked_bytes64", U64), [10] = new("backlog_packets", U32),
        [11] = new("backlog_bytes", U32), [12] = new("threshold_rate64", U64), [13] = new("target_us", U32), [14] = new("interval_us", U32),
        [15] = new("way_indirect_hits", U32), [16] = new("way_misses", U32), [17] = new("way_collisions", U32),
        [18] = new("peak_delay_us", U32), [19] = new("avg_delay_us", U32), [20] = new("base_delay_us", U32), [21] = new("sparse_flows", U32),
        [22] = new("bulk_flows", U32), [23] = new("unresponsive_flows", U32), [24] = new("max_skblen", U32), [25] = new("flow_quantum", U32),
    };

    public static readonly AttributeTable CakeStats = new("tc-cake-stats", "TCA_CAKE_STATS_")
    {
        [1] = new("pad", Binary), [2] = new("capacity_estimate64", U64), [3] = new("memory_limit", U32), [4] = new("memory_used", U32),
        [5] = new("avg_netoff", U32), [6] = new("min_netlen", U32), [7] = new("max_netlen", U32), [8] = new("min_adjlen", U32),
        [9] = new("max_adjlen", U32), [10] = new("tin_stats", NestedArray) { Nested = CakeTinStats }, [11] = new("deficit", S32),
        [12] = new("cobalt_count", U32), [13] = new("dropping", U32), [14] = new("drop_next_us", S32), [15] = new("p_drop", U32),
        [16] = new("blue_timer_us", S32),
    };

    /// <summary>TCA_XSTATS sets made of attributes (cake's).</summary>
    public static readonly Dictionary<string, AttributeTable> StatsSets = new(StringComparer.Ordinal) { ["cake"] = CakeStats };
}
