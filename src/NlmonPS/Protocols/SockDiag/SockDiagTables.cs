using NlmonPS.Decoding;
using NlmonPS.Protocols.Xfrm;
using static NlmonPS.Decoding.ValueKind;

namespace NlmonPS.Protocols.SockDiag;

/// <summary>Enumerations of linux/sock_diag.h, inet_diag.h, unix_diag.h, netlink_diag.h and packet_diag.h.</summary>
internal static class SockDiagEnums
{
    /// <summary>TCP_* socket states (include/net/tcp_states.h), which unix sockets borrow too.</summary>
    public static readonly EnumTable State = new("tcp-state")
    {
        [1] = "TCP_ESTABLISHED", [2] = "TCP_SYN_SENT", [3] = "TCP_SYN_RECV", [4] = "TCP_FIN_WAIT1", [5] = "TCP_FIN_WAIT2",
        [6] = "TCP_TIME_WAIT", [7] = "TCP_CLOSE", [8] = "TCP_CLOSE_WAIT", [9] = "TCP_LAST_ACK", [10] = "TCP_LISTEN",
        [11] = "TCP_CLOSING", [12] = "TCP_NEW_SYN_RECV", [13] = "TCP_BOUND_INACTIVE",
    };

    /// <summary>The same states as `ss` prints them.</summary>
    public static readonly Dictionary<string, string> SsState = new(StringComparer.Ordinal)
    {
        ["TCP_ESTABLISHED"] = "ESTAB", ["TCP_SYN_SENT"] = "SYN-SENT", ["TCP_SYN_RECV"] = "SYN-RECV", ["TCP_FIN_WAIT1"] = "FIN-WAIT-1",
        ["TCP_FIN_WAIT2"] = "FIN-WAIT-2", ["TCP_TIME_WAIT"] = "TIME-WAIT", ["TCP_CLOSE"] = "UNCONN", ["TCP_CLOSE_WAIT"] = "CLOSE-WAIT",
        ["TCP_LAST_ACK"] = "LAST-ACK", ["TCP_LISTEN"] = "LISTEN", ["TCP_CLOSING"] = "CLOSING", ["TCP_NEW_SYN_RECV"] = "SYN-RECV",
        ["TCP_BOUND_INACTIVE"] = "BOUND-INACTIVE",
    };

    /// <summary>idiag_states / udiag_states: one bit per TCP_* state (1 &lt;&lt; state).</summary>
    public static readonly FlagTable States = StateBits();

    private static FlagTable StateBits()
    {
        var t = new FlagTable("tcp-states");
        foreach (var (value, name) in State.OrderBy(p => p.Key)) t.Add(1UL << (int)value, name);
        return t;
    }

    /// <summary>idiag_ext: which INET_DIAG_* extensions to send, one bit each (1 &lt;&lt; (attribute - 1)).</summary>
    public static readonly FlagTable Extensions = new("inet-diag-ext")
    {
        { 1, "meminfo" }, { 2, "info" }, { 4, "vegasinfo" }, { 8, "cong" }, { 16, "tos" }, { 32, "tclass" }, { 64, "skmeminfo" },
        { 128, "shutdown" },
    };

    public static readonly EnumTable SocketType = new("sock-type")
    {
        [1] = "stream", [2] = "dgram", [3] = "raw", [4] = "rdm", [5] = "seqpacket", [6] = "dccp", [10] = "packet",
    };

    public static readonly FlagTable UnixShow = new("udiag-show")
    {
        { 1, "name" }, { 2, "vfs" }, { 4, "peer" }, { 8, "icons" }, { 16, "rqlen" }, { 32, "meminfo" }, { 64, "uid" },
    };

    public static readonly FlagTable NetlinkShow = new("ndiag-show") { { 1, "meminfo" }, { 2, "groups" }, { 4, "ring_cfg" }, { 8, "flags" } };

    public static readonly FlagTable NetlinkFlags = new("ndiag-flags")
    {
        { 1, "cb_running" }, { 2, "pktinfo" }, { 4, "broadcast_error" }, { 8, "no_enobufs" }, { 16, "listen_all_nsid" }, { 32, "cap_ack" },
    };

    /// <summary>NETLINK_* protocols (linux/netlink.h), as `ss -A netlink` names them.</summary>
    public static readonly EnumTable NetlinkProtocol = new("netlink-protocol")
    {
        [0] = "rtnl", [1] = "unused", [2] = "usersock", [3] = "fw", [4] = "tcpdiag", [5] = "nflog", [6] = "xfrm", [7] = "selinux",
        [8] = "iscsi", [9] = "audit", [10] = "fiblookup", [11] = "connector", [12] = "nft", [13] = "ip6fw", [14] = "dec-rt",
        [15] = "uevent", [16] = "genl", [18] = "scsi-trans", [19] = "ecryptfs", [20] = "rdma", [21] = "crypto", [22] = "smc",
        [255] = "all",
    };

    public static readonly FlagTable PacketShow = new("packet-show")
    {
        { 1, "info" }, { 2, "mclist" }, { 4, "ring_cfg" }, { 8, "fanout" }, { 16, "meminfo" }, { 32, "filter" },
    };

    public static readonly FlagTable PacketInfoFlags = new("pdi-flags")
    {
        { 1, "running" }, { 2, "auxdata" }, { 4, "origdev" }, { 8, "vnethdr" }, { 16, "loss" },
    };

    /// <summary>struct inet_diag_sockopt, a run of one-bit fields (the first is the lowest bit).</summary>
    public static readonly FlagTable SockOpt = new("inet-diag-sockopt")
    {
        { 1, "recverr" }, { 2, "is_icsk" }, { 4, "freebind" }, { 8, "hdrincl" }, { 16, "mc_loop" }, { 32, "transparent" },
        { 64, "mc_all" }, { 128, "nodefrag" }, { 256, "bind_address_no_port" }, { 512, "recverr_rfc4884" }, { 1024, "defer_connect" },
    };

    /// <summary>TCP_CA_* congestion-avoidance states (tcp_info.tcpi_ca_state).</summary>
    public static readonly EnumTable CaState = new("tcp-ca-state") { [0] = "open", [1] = "disorder", [2] = "cwr", [3] = "recovery", [4] = "loss" };

    /// <summary>TCPI_OPT_* (tcp_info.tcpi_options).</summary>
    public static readonly FlagTable TcpOptions = new("tcpi-options")
    {
        { 1, "ts" }, { 2, "sack" }, { 4, "wscale" }, { 8, "ecn" }, { 16, "ecn_seen" }, { 32, "syn_data" }, { 64, "usec_ts" },
    };
}

/// <summary>The structs of the sock_diag family headers and attributes (all fields naturally aligned).</summary>
internal static class SockDiagStructs
{
    /// <summary>Adds struct inet_diag_sockid's fields at <paramref name="at"/>, flattened so the addresses can follow "family".</summary>
    private static StructSpec WithSockId(StructSpec spec, int at)
    {
        spec.Add(new FieldSpec("sport", at, U16) { NetworkOrder = true });
        spec.Add(new FieldSpec("dport", at + 2, U16) { NetworkOrder = true });
        spec.Add(new FieldSpec("src", at + 4, IpAddress, 16) { FamilyField = "family" });
        spec.Add(new FieldSpec("dst", at + 20, IpAddress, 16) { FamilyField = "family" });
        spec.Add("if", at + 36, U32);
        spec.Add("cookie", at + 40, U64);
        return spec;
    }

    /// <summary>struct sock_diag_req: what every SOCK_DIAG_BY_FAMILY request starts with.</summary>
    public static readonly StructSpec Request = new("sock_diag_req", 2)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "protocol", 1, U8 },
    };

    public static readonly StructSpec InetRequestV2 = WithSockId(new StructSpec("inet_diag_req_v2", 56)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "protocol", 1, U8, XfrmEnums.IpProtocol },
        { "ext", 2, U8, null, SockDiagEnums.Extensions }, { "states", 4, U32, null, SockDiagEnums.States },
    }, 8);

    /// <summary>struct inet_diag_req: the legacy TCPDIAG_GETSOCK / DCCPDIAG_GETSOCK request.</summary>
    public static readonly StructSpec InetRequest = WithSockId(new StructSpec("inet_diag_req", 60)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "src_len", 1, U8 }, { "dst_len", 2, U8 },
        { "ext", 3, U8, null, SockDiagEnums.Extensions }, { "states", 52, U32, null, SockDiagEnums.States }, { "dbs", 56, U32 },
    }, 4);

    public static readonly StructSpec InetMessage = WithSockId(new StructSpec("inet_diag_msg", 72)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "state", 1, U8, SockDiagEnums.State }, { "timer", 2, U8 }, { "retrans", 3, U8 },
        { "expires", 52, U32 }, { "rqueue", 56, U32 }, { "wqueue", 60, U32 }, { "uid", 64, U32 }, { "inode", 68, U32 },
    }, 4);

    public static readonly StructSpec UnixRequest = new("unix_diag_req", 24)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "protocol", 1, U8 }, { "states", 4, U32, null, SockDiagEnums.States },
        { "ino", 8, U32 }, { "show", 12, U32, null, SockDiagEnums.UnixShow }, { "cookie", 16, U64 },
    };

    public static readonly StructSpec UnixMessage = new("unix_diag_msg", 16)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "type", 1, U8, SockDiagEnums.SocketType }, { "state", 2, U8, SockDiagEnums.State },
        { "ino", 4, U32 }, { "cookie", 8, U64 },
    };

    public static readonly StructSpec NetlinkRequest = new("netlink_diag_req", 20)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "protocol", 1, U8, SockDiagEnums.NetlinkProtocol }, { "ino", 4, U32 },
        { "show", 8, U32, null, SockDiagEnums.NetlinkShow }, { "cookie", 12, U64 },
    };

    public static readonly StructSpec NetlinkMessage = new("netlink_diag_msg", 28)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "type", 1, U8, SockDiagEnums.SocketType },
        { "protocol", 2, U8, SockDiagEnums.NetlinkProtocol }, { "state", 3, U8 }, { "portid", 4, U32 }, { "dst_portid", 8, U32 },
        { "dst_group", 12, U32 }, { "ino", 16, U32 }, { "cookie", 20, U64 },
    };

    public static readonly StructSpec PacketRequest = new("packet_diag_req", 20)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "protocol", 1, U8 }, { "ino", 4, U32 },
        { "show", 8, U32, null, SockDiagEnums.PacketShow }, { "cookie", 12, U64 },
    };

    /// <summary>struct packet_diag_msg; pdiag_num is the bound EtherType, in host order.</summary>
    public static readonly StructSpec PacketMessage = new("packet_diag_msg", 16)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "type", 1, U8, SockDiagEnums.SocketType }, { "num", 2, U16 },
        { "ino", 4, U32 }, { "cookie", 8, U64 },
    };

    /// <summary>SK_MEMINFO_* (linux/sock_diag.h): the u32 array of socket memory counters.</summary>
    public static readonly StructSpec SkMemInfo = Enums.Sequential("sk_meminfo", U32,
        "rmem_alloc", "rcvbuf", "wmem_alloc", "sndbuf", "fwd_alloc", "wmem_queued", "optmem", "backlog", "drops");

    public static readonly StructSpec InetMemInfo = Enums.Sequential("inet_diag_meminfo", U32, "rmem", "wmem", "fmem", "tmem");
    public static readonly StructSpec VegasInfo = Enums.Sequential("tcpvegas_info", U32, "enabled", "rttcnt", "rtt", "minrtt");
    public static readonly StructSpec DctcpInfo = new("tcp_dctcp_info", 16)
    {
        { "enabled", 0, U16 }, { "ce_state", 2, U16 }, { "alpha", 4, U32 }, { "ab_ecn", 8, U32 }, { "ab_tot", 12, U32 },
    };
    public static readonly StructSpec BbrInfo = Enums.Sequential("tcp_bbr_info", U32, "bw_lo", "bw_hi", "min_rtt", "pacing_gain", "cwnd_gain");

    /// <summary>
    /// struct tcp_info as 6.18 sends it (280 bytes, with Accurate ECN's counters); older kernels send a prefix of it
    /// (232 bytes up to 6.1, 248 from 6.7). Its last u32 holds the AccECN modes, whose layout changed during the 6.18
    /// series (two u16, then bit fields): it is read whole, as accecn.
    /// </summary>
    public static readonly StructSpec TcpInfo = TcpInfoSpec();

    private static StructSpec TcpInfoSpec()
    {
        var s = new StructSpec("tcp_info", 280) { MinSize = 104 };
        s.Add("state", 0, U8, SockDiagEnums.State);
        s.Add("ca_state", 1, U8, SockDiagEnums.CaState);
        s.Add("retransmits", 2, U8);
        s.Add("probes", 3, U8);
        s.Add("backoff", 4, U8);
        s.Add("options", 5, U8, null, SockDiagEnums.TcpOptions);
        s.Add("wscale", 6, U8);   // snd_wscale in the low nibble, rcv_wscale in the high one
        string[] u32s =
        {
            "rto", "ato", "snd_mss", "rcv_mss", "unacked", "sacked", "lost", "retrans", "fackets", "last_data_sent",
            "last_ack_sent", "last_data_recv", "last_ack_recv", "pmtu", "rcv_ssthresh", "rtt", "rttvar", "snd_ssthresh",
            "snd_cwnd", "advmss", "reordering", "rcv_rtt", "rcv_space", "total_retrans",
        };
        for (int i = 0; i < u32s.Length; i++) s.Add(u32s[i], 8 + 4 * i, U32);
        foreach (var (name, offset, kind) in new (string, int, ValueKind)[]
        {
            ("pacing_rate", 104, U64), ("max_pacing_rate", 112, U64), ("bytes_acked", 120, U64), ("bytes_received", 128, U64),
            ("segs_out", 136, U32), ("segs_in", 140, U32), ("notsent_bytes", 144, U32), ("min_rtt", 148, U32),
            ("data_segs_in", 152, U32), ("data_segs_out", 156, U32), ("delivery_rate", 160, U64), ("busy_time", 168, U64),
            ("rwnd_limited", 176, U64), ("sndbuf_limited", 184, U64), ("delivered", 192, U32), ("delivered_ce", 196, U32),
            ("bytes_sent", 200, U64), ("bytes_retrans", 208, U64), ("dsack_dups", 216, U32), ("reord_seen", 220, U32),
            ("rcv_ooopack", 224, U32), ("snd_wnd", 228, U32), ("rcv_wnd", 232, U32), ("rehash", 236, U32),
            ("total_rto", 240, U16), ("total_rto_recoveries", 242, U16), ("total_rto_time", 244, U32), ("received_ce", 248, U32),
            ("delivered_e1_bytes", 252, U32), ("delivered_e0_bytes", 256, U32), ("delivered_ce_bytes", 260, U32),
            ("received_e1_bytes", 264, U32), ("received_e0_bytes", 268, U32), ("received_ce_bytes", 272, U32), ("accecn", 276, U32),
        })
            s.Add(name, offset, kind);
        return s;
    }

    public static readonly StructSpec UnixVfs = Enums.Sequential("unix_diag_vfs", U32, "ino", "dev");
    public static readonly StructSpec UnixRqlen = Enums.Sequential("unix_diag_rqlen", U32, "rqueue", "wqueue");
    public static readonly StructSpec NetlinkRing = Enums.Sequential("netlink_diag_ring", U32, "block_size", "block_nr", "frame_size", "frame_nr");
    public static readonly StructSpec PacketInfo = new("packet_diag_info", 24)
    {
        { "index", 0, U32 }, { "version", 4, U32 }, { "reserve", 8, U32 }, { "copy_thresh", 12, U32 }, { "tstamp", 16, U32 },
        { "flags", 20, U32, null, SockDiagEnums.PacketInfoFlags },
    };
    /// <summary>
    /// struct tcp_diag_md5sig (linux/tcp.h), one per TCP-MD5 key of a socket: tcpm_key is the key itself (a BGP
    /// session's password), so it is a secret.
    /// </summary>
    public static readonly StructSpec TcpMd5Sig = new("tcp_diag_md5sig", 100)
    {
        { "family", 0, U8, Enums.AddressFamily }, { "prefixlen", 1, U8 }, { "keylen", 2, U16 },
        new FieldSpec("addr", 4, IpAddress, 16) { FamilyField = "family" }, new FieldSpec("key", 20, Secret, 80),
    };
    public static readonly StructSpec PacketMclist = new("packet_diag_mclist", 44)
    {
        { "index", 0, U32 }, { "count", 4, U32 }, { "type", 8, U16 }, { "alen", 10, U16 }, new FieldSpec("addr", 12, HardwareAddress, 32),
    };
    public static readonly StructSpec PacketRing = Enums.Sequential("packet_diag_ring", U32,
        "block_size", "block_nr", "frame_size", "frame_nr", "retire_tmo", "sizeof_priv", "features");
    /// <summary>struct sock_filter: one classic BPF instruction.</summary>
    public static readonly StructSpec SockFilter = new("sock_filter", 8) { { "code", 0, U16 }, { "jt", 2, U8 }, { "jf", 3, U8 }, { "k", 4, U32 } };
}

/// <summary>The attribute sets of the sock_diag families.</summary>
internal static class SockDiagTables
{
    private static AttributeSpec S(string name, StructSpec spec) => new(name, Struct) { Struct = spec };

    /// <summary>Attributes of inet_diag_req_v2 requests (INET_DIAG_REQ_*).</summary>
    public static readonly AttributeTable InetRequest = new("inet-diag-req", "INET_DIAG_REQ_")
    {
        [1] = new("bytecode", Binary), [2] = new("sk_bpf_storages", Binary),
        [3] = new("protocol", U32) { Enum = XfrmEnums.IpProtocol },
    };

    public static readonly AttributeTable UlpInfo = new("inet-ulp-info", "INET_ULP_INFO_")
    {
        [1] = new("name", ValueKind.String), [2] = new("tls", Binary), [3] = new("mptcp", Binary),
    };

    /// <summary>INET_DIAG_*: the attributes of inet_diag_msg replies.</summary>
    public static readonly AttributeTable Inet = new("inet-diag", "INET_DIAG_")
    {
        [1] = S("meminfo", SockDiagStructs.InetMemInfo),
        [2] = S("info", SockDiagStructs.TcpInfo),
        [3] = S("vegasinfo", SockDiagStructs.VegasInfo),
        [4] = new("cong", ValueKind.String),
        [5] = new("tos", U8),
        [6] = new("tclass", U8),
        [7] = S("skmeminfo", SockDiagStructs.SkMemInfo),
        [8] = new("shutdown", U8),
        [9] = S("dctcpinfo", SockDiagStructs.DctcpInfo),
        [10] = new("protocol", U8) { Enum = XfrmEnums.IpProtocol },
        [11] = new("skv6only", U8),
        [12] = new("locals", Binary),
        [13] = new("peers", Binary),
        [14] = new("pad", Binary),
        [15] = new("mark", U32),
        [16] = S("bbrinfo", SockDiagStructs.BbrInfo),
        [17] = new("class_id", U32),
        [18] = new("md5sig", Struct) { Struct = SockDiagStructs.TcpMd5Sig, StructArray = true },
        [19] = new("ulp_info", Nested) { Nested = UlpInfo },
        [20] = new("sk_bpf_storages", Binary),
        [21] = new("cgroup_id", U64),
        [22] = new("sockopt", U16) { Flags = SockDiagEnums.SockOpt },
    };

    /// <summary>UNIX_DIAG_*. The name is raw bytes: an abstract name starts with a NUL that a string would lose.</summary>
    public static readonly AttributeTable Unix = new("unix-diag", "UNIX_DIAG_")
    {
        [0] = new("name", Binary),
        [1] = S("vfs", SockDiagStructs.UnixVfs),
        [2] = new("peer", U32),
        [3] = new("icons", U32Array),
        [4] = S("rqlen", SockDiagStructs.UnixRqlen),
        [5] = S("meminfo", SockDiagStructs.SkMemInfo),
        [6] = new("shutdown", U8),
        [7] = new("uid", U32),
    };

    public static readonly AttributeTable Netlink = new("netlink-diag", "NETLINK_DIAG_")
    {
        [0] = S("meminfo", SockDiagStructs.SkMemInfo),
        [1] = new("groups", U32Array),
        [2] = S("rx_ring", SockDiagStructs.NetlinkRing),
        [3] = S("tx_ring", SockDiagStructs.NetlinkRing),
        [4] = new("flags", U32) { Flags = SockDiagEnums.NetlinkFlags },
    };

    public static readonly AttributeTable Packet = new("packet-diag", "PACKET_DIAG_")
    {
        [0] = S("info", SockDiagStructs.PacketInfo),
        [1] = new("mclist", Struct) { Struct = SockDiagStructs.PacketMclist, StructArray = true },
        [2] = S("rx_ring", SockDiagStructs.PacketRing),
        [3] = S("tx_ring", SockDiagStructs.PacketRing),
        [4] = new("fanout", U32),
        [5] = new("uid", U32),
        [6] = S("meminfo", SockDiagStructs.SkMemInfo),
        [7] = new("filter", Struct) { Struct = SockDiagStructs.SockFilter, StructArray = true },
    };
}
