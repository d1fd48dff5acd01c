using NlmonPS.Decoding;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.Generic;

/// <summary>TASKSTATS (linux/taskstats.h): per-task accounting, as `getdelays` asks for it.</summary>
internal static class Taskstats
{
    public static readonly EnumTable Commands = new("taskstats-cmd")
    {
        [0] = "TASKSTATS_CMD_UNSPEC", [1] = "TASKSTATS_CMD_GET", [2] = "TASKSTATS_CMD_NEW",
    };

    /// <summary>struct taskstats, the long-standing fields (version 1 onwards); later versions only append.</summary>
    public static readonly StructSpec Stats = new("taskstats", 352)
    {
        MinSize = 328,
    };

    /// <summary>Requests (TASKSTATS_CMD_GET) use TASKSTATS_CMD_ATTR_*.</summary>
    public static readonly AttributeTable CommandAttributes = new("taskstats-cmd-attrs", "TASKSTATS_CMD_ATTR_")
    {
        [1] = new("pid", U32), [2] = new("tgid", U32),
        [3] = new("register_cpumask", ValueKind.String), [4] = new("deregister_cpumask", ValueKind.String),
    };

    /// <summary>Replies (TASKSTATS_CMD_NEW) use TASKSTATS_TYPE_*; the aggr nests hold a pid/tgid and the stats.</summary>
    public static readonly AttributeTable Types = new("taskstats-types", "TASKSTATS_TYPE_")
    {
        [1] = new("pid", U32), [2] = new("tgid", U32), [3] = new("stats", Struct) { Struct = Stats },
        [6] = new("null", Binary),
    };

    public static readonly GenericFamily Family = CreateFamily();

    static Taskstats()
    {
        Types[4] = new("aggr_pid", Nested) { Nested = Types };
        Types[5] = new("aggr_tgid", Nested) { Nested = Types };
    }

    private static GenericFamily CreateFamily()
    {
        // Offsets from struct taskstats (x86-64 layout, which is also every 64-bit one: __u64 fields are aligned).
        foreach (var (name, offset, kind) in new (string, int, ValueKind)[]
        {
            ("version", 0, U16), ("ac_exitcode", 4, U32), ("ac_flag", 8, U8), ("ac_nice", 9, U8),
            ("cpu_count", 16, U64), ("cpu_delay_total", 24, U64), ("blkio_count", 32, U64), ("blkio_delay_total", 40, U64),
            ("swapin_count", 48, U64), ("swapin_delay_total", 56, U64), ("cpu_run_real_total", 64, U64),
            ("cpu_run_virtual_total", 72, U64), ("ac_sched", 112, U8), ("ac_uid", 120, U32), ("ac_gid", 124, U32),
            ("ac_pid", 128, U32), ("ac_ppid", 132, U32), ("ac_btime", 136, U32), ("ac_etime", 144, U64),
            ("ac_utime", 152, U64), ("ac_stime", 160, U64), ("ac_minflt", 168, U64), ("ac_majflt", 176, U64),
            ("coremem", 184, U64), ("virtmem", 192, U64), ("hiwater_rss", 200, U64), ("hiwater_vm", 208, U64),
            ("read_char", 216, U64), ("write_char", 224, U64), ("read_syscalls", 232, U64), ("write_syscalls", 240, U64),
            ("read_bytes", 248, U64), ("write_bytes", 256, U64), ("cancelled_write_bytes", 264, U64), ("nvcsw", 272, U64),
            ("nivcsw", 280, U64), ("ac_utimescaled", 288, U64), ("ac_stimescaled", 296, U64),
            ("cpu_scaled_run_real_total", 304, U64), ("freepages_count", 312, U64), ("freepages_delay_total", 320, U64),
            ("thrashing_count", 328, U64), ("thrashing_delay_total", 336, U64), ("ac_btime64", 344, U64),
        })
            Stats.Add(name, offset, kind);
        Stats.Insert(12, new FieldSpec("ac_comm", 80, ValueKind.String, 32));
        var family = new GenericFamily("TASKSTATS", Commands, Types) { Summary = Summary };
        family.AttributesByCommand[1] = CommandAttributes;
        return family;
    }

    /// <summary>Like getdelays: "pid 1234 (bash) cpu 10 delay 1234ns".</summary>
    private static string? Summary(NetlinkMessage m)
    {
        var a = m.Attributes;
        var aggr = (a["aggr_pid"] ?? a["aggr_tgid"]) as NetlinkFields;
        var stats = aggr?["stats"] as NetlinkFields;
        return Summaries.Join(Summaries.RequestVerb(m), m.Command,
            GenericFamilies.Part("pid", a["pid"] ?? aggr?["pid"]), GenericFamilies.Part("tgid", a["tgid"] ?? aggr?["tgid"]),
            stats?["ac_comm"] is string comm && comm.Length > 0 ? $"({comm})" : null,
            GenericFamilies.Part("cpu count", stats?["cpu_count"]), GenericFamilies.Part("cpu delay ns", stats?["cpu_delay_total"]),
            GenericFamilies.Part("register", a["register_cpumask"]));
    }
}
