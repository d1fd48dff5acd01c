using System.Net;
using System.Text;
using NlmonPS.Decoding;
using static NlmonPS.Decoding.Summaries;

namespace NlmonPS.Protocols.SockDiag;

/// <summary>One line per sock_diag message, in the words `ss` prints.</summary>
internal static class SockDiagSummaries
{
    private static string F(object? v) => NetlinkFields.Format(v);

    public static string? Summary(NetlinkMessage m, string? protocol)
    {
        var h = m.Header;
        var family = h["family"] as string;
        bool request = m.Direction == NetlinkDirection.ToKernel;
        if (request)
        {
            var what = family switch
            {
                "inet" or "inet6" => Join(F(m.Attributes["protocol"] ?? h["protocol"]), family == "inet6" ? "v6" : "v4"),
                "unix" => "unix", "netlink" => $"netlink {F(h["protocol"])}", "packet" => "packet",
                _ => family ?? F(h["family"]),
            };
            bool dump = (m.Flags & NlmonPS.Wire.Nl.NLM_F_DUMP) == NlmonPS.Wire.Nl.NLM_F_DUMP;
            return Join(m.TypeName == "SOCK_DESTROY" ? "destroy" : dump ? "dump" : "get", what, "sockets",
                h["states"] is string[] states && states.Length > 0 && states.Length < 11 ? "state " + string.Join(",", states.Select(Ss)) : null,
                h["ext"] is string[] ext && ext.Length > 0 ? "ext " + string.Join(",", ext) : null,
                h["show"] is string[] show && show.Length > 0 ? "show " + string.Join(",", show) : null);
        }
        return family switch
        {
            "inet" or "inet6" => Inet(m, protocol),
            "unix" => Unix(m),
            "netlink" => Netlink(m),
            "packet" => Packet(m),
            _ => null,
        };
    }

    private static string Ss(string state) => SockDiagEnums.SsState.TryGetValue(state, out var s) ? s : state;

    private static string Endpoint(object? address, object? port, bool wildcardPort)
    {
        var text = address is IPAddress ip && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ip}]" : F(address);
        return $"{text}:{(wildcardPort && port is ushort p && p == 0 ? "*" : F(port))}";
    }

    /// <summary>"tcp LISTEN 0 8 127.0.0.1:8080 -> 0.0.0.0:* ino 1234 uid 0".</summary>
    private static string Inet(NetlinkMessage m, string? protocol)
    {
        var h = m.Header;
        var a = m.Attributes;
        var state = h["state"] is string s ? Ss(s) : F(h["state"]);
        var proto = a["protocol"] is { } p ? F(p) : protocol;
        return Join(proto, state, F(h["rqueue"]), F(h["wqueue"]),
            Endpoint(h["src"], h["sport"], false), "->", Endpoint(h["dst"], h["dport"], true),
            $"ino {F(h["inode"])}", $"uid {F(h["uid"])}",
            a["cong"] is string cong ? cong : null,
            (a["info"] as NetlinkFields) is { } info && info["rtt"] is uint rtt && rtt != 0 ? $"rtt:{rtt / 1000.0:0.###}/{(info["rttvar"] is uint v ? v / 1000.0 : 0):0.###}" : null,
            (a["skmeminfo"] as NetlinkFields) is { } mem ? SkMem(mem) : null);
    }

    /// <summary>"skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0)" exactly as ss prints socket memory.</summary>
    public static string SkMem(NetlinkFields mem) =>
        $"skmem:(r{F(mem["rmem_alloc"])},rb{F(mem["rcvbuf"])},t{F(mem["wmem_alloc"])},tb{F(mem["sndbuf"])},f{F(mem["fwd_alloc"])}," +
        $"w{F(mem["wmem_queued"])},o{F(mem["optmem"])},bl{F(mem["backlog"])},d{F(mem["drops"])})";

    /// <summary>A unix socket name: a path, or "@name" for an abstract one (which starts with a NUL).</summary>
    public static string? UnixName(byte[]? name)
    {
        if (name is null || name.Length == 0) return null;
        if (name[0] == 0) return "@" + Encoding.UTF8.GetString(name.AsSpan(1)).TrimEnd('\0');
        return AttributeDecoder.CString(name);
    }

    private static readonly Dictionary<string, string> UnixNetid = new(StringComparer.Ordinal)
    {
        ["stream"] = "u_str", ["dgram"] = "u_dgr", ["seqpacket"] = "u_seq",
    };

    /// <summary>"u_str LISTEN /run/x.sock 1234 * 0".</summary>
    private static string Unix(NetlinkMessage m)
    {
        var h = m.Header;
        var a = m.Attributes;
        var type = F(h["type"]);
        return Join(UnixNetid.TryGetValue(type, out var netid) ? netid : type, h["state"] is string s ? Ss(s) : F(h["state"]),
            (a["rqlen"] as NetlinkFields) is { } q ? $"{F(q["rqueue"])} {F(q["wqueue"])}" : null,
            UnixName(a["name"] as byte[]) ?? "*", F(h["ino"]), "*", F(a["peer"] ?? 0u),
            (a["meminfo"] as NetlinkFields) is { } mem ? SkMem(mem) : null);
    }

    /// <summary>"rtnl:1234 -> kernel" (protocol, port id, and the peer).</summary>
    private static string Netlink(NetlinkMessage m)
    {
        var h = m.Header;
        var port = h["portid"] is uint pid && pid == 0 ? "kernel" : F(h["portid"]);
        return Join("nl", "UNCONN", $"{F(h["protocol"])}:{port}", h["dst_portid"] is uint d && d != 0 ? $"-> {d}" : null,
            h["dst_group"] is uint g && g != 0 ? $"group {g}" : null, $"ino {F(h["ino"])}");
    }

    /// <summary>"p_raw UNCONN *:lo proto 0x0003 ino 1234".</summary>
    private static string Packet(NetlinkMessage m)
    {
        var h = m.Header;
        var info = m.Attributes["info"] as NetlinkFields;
        var netid = F(h["type"]) == "raw" ? "p_raw" : "p_dgr";
        return Join(netid, "UNCONN", $"proto 0x{h["num"]:x4}", info?["index"] is uint index ? $"ifindex {index}" : null,
            $"ino {F(h["ino"])}", m.Attributes["uid"] is { } uid ? $"uid {F(uid)}" : null,
            info?["flags"] is string[] f && f.Length > 0 ? $"flags({string.Join(",", f)})" : null);
    }
}
