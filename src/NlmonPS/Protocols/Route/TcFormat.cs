using System.Globalization;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Protocols.Route;

/// <summary>
/// How tc writes handles, rates, sizes, times and verdicts (iproute2 tc/tc_util.c, tc/tc_core.c), for summaries.
/// </summary>
internal static class TcFormat
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public const uint Root = 0xffffffff;
    public const uint Ingress = 0xfffffff1;         // TC_H_INGRESS, also TC_H_CLSACT
    public const ushort MinIngress = 0xfff2;        // TC_H_MIN_INGRESS: the clsact ingress hook
    public const ushort MinEgress = 0xfff3;         // TC_H_MIN_EGRESS

    /// <summary>print_tc_classid: "root", "none", ":5", "1:", "1:10", "ffff:fff1" (hex major:minor).</summary>
    public static string ClassId(uint h) =>
        h == Root ? "root"
        : h == 0 ? "none"
        : (h >> 16) == 0 ? ":" + (h & 0xffff).ToString("x", C)
        : (h & 0xffff) == 0 ? (h >> 16).ToString("x", C) + ":"
        : (h >> 16).ToString("x", C) + ":" + (h & 0xffff).ToString("x", C);

    /// <summary>A qdisc handle: its major only ("8001:", "ffff:").</summary>
    public static string QdiscHandle(uint h) => (h >> 16).ToString("x", C) + ":";

    /// <summary>A filter's attachment: root, the clsact ingress/egress hooks, or a parent class.</summary>
    public static string Parent(uint parent) =>
        parent == Root ? "root"
        : parent == ((Ingress & 0xffff0000) | MinIngress) ? "ingress"
        : parent == ((Ingress & 0xffff0000) | MinEgress) ? "egress"
        : "parent " + ClassId(parent);

    /// <summary>sprint_u32_handle: hash table id, bucket and node ("800::800", "2:7:800", "800:").</summary>
    public static string U32Handle(uint h)
    {
        if (h == 0) return "none";
        uint htid = h >> 20, hash = (h >> 12) & 0xff, node = h & 0xfff;
        var s = htid != 0 ? htid.ToString("x", C) + ":" : "";
        if (hash != 0) s += hash.ToString("x", C);
        if (node != 0) s += ":" + node.ToString("x", C);
        return s;
    }

    /// <summary>The filter protocol from tcm_info's low 16 bits, which hold a big-endian EtherType.</summary>
    public static string? FilterProtocol(NetlinkMessage m, uint info)
    {
        ushort raw = (ushort)(info & 0xffff);
        if (raw == 0) return null;
        ushort etherType = m.ByteOrder == ByteOrder.LittleEndian ? (ushort)((raw >> 8) | (raw << 8)) : raw;
        return EtherTypeName(etherType);
    }

    public static string EtherTypeName(ulong etherType) =>
        TcTypes.EtherType.TryGetValue(etherType, out var name) ? name : "0x" + etherType.ToString("x4", C);

    /// <summary>sprint_rate: bytes per second as bits per second in SI units ("1Mbit", "512Kbit").</summary>
    public static string Rate(ulong bytesPerSecond)
    {
        string[] units = { "", "K", "M", "G", "T" };
        ulong rate = bytesPerSecond << 3;
        int i = 0;
        for (; i < units.Length - 1; i++)
        {
            if (rate < 1000) break;
            if (rate % 1000 != 0 && rate < 1000 * 1000) break;
            rate /= 1000;
        }
        return rate.ToString(C) + units[i] + "bit";
    }

    /// <summary>sprint_size: "32Kb", "1600b", "32Mb".</summary>
    public static string Size(ulong size)
    {
        const double kilo = 1024, mega = kilo * kilo;
        double tmp = size;
        if (size >= mega && Math.Abs(mega * Math.Round(tmp / mega) - size) < 1024) return G(Math.Round(tmp / mega), 6) + "Mb";
        if (size >= kilo && Math.Abs(kilo * Math.Round(tmp / kilo) - size) < 16) return G(Math.Round(tmp / kilo), 6) + "Kb";
        return size.ToString(C) + "b";
    }

    /// <summary>sprint_time: microseconds as "400ms", "1.5s", "10us".</summary>
    public static string Time(double usec)
    {
        if (usec >= 1_000_000) return G(usec / 1_000_000, 3) + "s";
        if (usec >= 1000) return G(usec / 1000, 3) + "ms";
        return ((uint)usec).ToString(C) + "us";
    }

    /// <summary>Scheduler ticks to microseconds: every kernel since 2.6.24 reports 64 ticks per 1000 ns in /proc/net/psched.</summary>
    public static double TicksToMicroseconds(ulong ticks) => ticks / 15.625;

    /// <summary>tc_calc_xmitsize: the bytes a rate sends in a number of ticks (burst sizes are carried as times).</summary>
    public static ulong XmitSize(ulong rate, ulong ticks) => (ulong)(uint)(rate * TicksToMicroseconds(ticks) / 1_000_000);

    /// <summary>action_n2a: a TC_ACT_* verdict in tc's words ("pass", "drop", "pipe", "goto chain 5").</summary>
    public static string Verdict(object? value)
    {
        switch (value)
        {
            case "unspec": return "continue";
            case "ok": return "pass";
            case "shot": return "drop";
            case string s: return s;
        }
        if (Number(value) is not { } v) return NetlinkFields.Format(value);
        uint u = (uint)v;
        if ((u & 0xf0000000) == 0x20000000) return "goto chain " + (u & 0x0fffffff).ToString(C);
        if ((u & 0xf0000000) == 0x10000000) return "jump " + (u & 0x0fffffff).ToString(C);
        return v.ToString(C);
    }

    /// <summary>Any decoded integer as a long (null when the value is not a number).</summary>
    public static long? Number(object? value) => value switch
    {
        byte b => b, sbyte sb => sb, ushort us => us, short s => s, uint u => u, int i => i, ulong ul => (long)ul, long l => l,
        _ => null,
    };

    /// <summary>A hex dump without the "...(N bytes)" cut.</summary>
    public static string Hex(object? value) => value is byte[] b ? Convert.ToHexString(b).ToLowerInvariant() : "";

    /// <summary>C's %g with a precision: no trailing zeros, exponent only for large or tiny values.</summary>
    private static string G(double value, int precision)
    {
        var s = value.ToString("G" + precision.ToString(C), C);
        int e = s.IndexOf('E');
        if (e < 0) return s;
        var exponent = int.Parse(s[(e + 1)..], C);
        return s[..e] + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", C);
    }
}
