using System.ComponentModel;
using System.Runtime.InteropServices;
using NlmonPS.Wire;

namespace NlmonPS.Kernel;

/// <summary>What recvmsg said about one frame.</summary>
public readonly record struct PacketInfo(int Length, int OriginalLength, ushort Protocol, byte PacketType, int IfIndex, DateTimeOffset Timestamp);

/// <summary>
/// An AF_PACKET socket bound to one device, with an optional classic BPF program attached before the bind (so
/// nothing unfiltered is ever queued), a receive buffer of a chosen size, kernel timestamps (SO_TIMESTAMPNS) and
/// the kernel's drop counter (PACKET_STATISTICS). Create it on a thread in the device's namespace.
/// </summary>
internal sealed unsafe class NlmonPacketSocket : IDisposable
{
    private int _fd;
    private readonly byte[] _control = new byte[128];

    public NlmonPacketSocket(int ifIndex, Libc.SockFilter[]? filter, int bufferSize)
    {
        IfIndex = ifIndex;
        // Protocol 0: the socket receives nothing until bind, so the filter is in place for the first frame.
        _fd = Libc.socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, 0);
        if (_fd < 0) throw Libc.Error("socket(AF_PACKET, SOCK_RAW)");
        try
        {
            if (filter is { Length: > 0 })
            {
                fixed (Libc.SockFilter* f = filter)
                {
                    var prog = new Libc.SockFprog { Length = (ushort)filter.Length, Filter = f };
                    if (Libc.setsockopt(_fd, Libc.SOL_SOCKET, Libc.SO_ATTACH_FILTER, &prog, sizeof(Libc.SockFprog)) < 0)
                        throw Libc.Error("setsockopt(SO_ATTACH_FILTER)");
                }
            }
            int size = bufferSize;
            if (Libc.setsockopt(_fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, &size, sizeof(int)) < 0 &&
                Libc.setsockopt(_fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, &size, sizeof(int)) < 0)
                throw Libc.Error("setsockopt(SO_RCVBUF)");
            int one = 1;
            Libc.setsockopt(_fd, Libc.SOL_SOCKET, Libc.SO_TIMESTAMPNS, &one, sizeof(int));
            var addr = new Libc.SockaddrLl
            {
                Family = Libc.AF_PACKET,
                Protocol = (ushort)System.Net.IPAddress.HostToNetworkOrder((short)Libc.ETH_P_ALL),
                IfIndex = ifIndex,
            };
            if (Libc.bind(_fd, &addr, sizeof(Libc.SockaddrLl)) < 0) throw Libc.Error($"bind(AF_PACKET, ifindex {ifIndex})");
            int actual = 0, len = sizeof(int);
            Libc.getsockopt(_fd, Libc.SOL_SOCKET, Libc.SO_RCVBUF, &actual, &len);
            BufferSize = actual;
        }
        catch
        {
            Libc.close(_fd);
            _fd = -1;
            throw;
        }
    }

    public int IfIndex { get; }
    /// <summary>The receive buffer the kernel granted (it doubles the request and enforces a minimum).</summary>
    public int BufferSize { get; }
    /// <summary>Frames the filter passed and dropped frames, summed over every <see cref="ReadStatistics"/>.</summary>
    public ulong Packets { get; private set; }
    public ulong Drops { get; private set; }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for a frame and copies it into <paramref name="buffer"/>;
    /// false on timeout. A frame longer than the buffer is cut (OriginalLength says by how much).
    /// </summary>
    public bool Receive(byte[] buffer, int timeoutMs, out PacketInfo info)
    {
        info = default;
        var pfd = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
        int ready = Libc.poll(&pfd, 1, timeoutMs);
        if (ready < 0)
        {
            if (Marshal.GetLastPInvokeError() == Libc.EINTR) return false;
            throw Libc.Error("poll on the packet socket");
        }
        if (ready == 0) return false;
        Libc.SockaddrLl from;
        fixed (byte* data = buffer)
        fixed (byte* control = _control)
        {
            var iov = new Libc.IoVec { Base = data, Length = (nuint)buffer.Length };
            var msg = new Libc.MsgHdr
            {
                Name = &from, NameLength = (uint)sizeof(Libc.SockaddrLl),
                Iov = &iov, IovLength = 1,
                Control = control, ControlLength = (nuint)_control.Length,
            };
            nint n = Libc.recvmsg(_fd, &msg, Libc.MSG_TRUNC | Libc.MSG_DONTWAIT);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Libc.EINTR or Libc.EAGAIN) return false;
                throw new Win32Exception(errno, errno == Libc.ENETDOWN
                    ? "The nlmon device went away or down during the capture (ENETDOWN)."
                    : $"recvmsg on the packet socket: {Decoding.Errno.NameOf(errno)} {Decoding.Errno.TextOf(errno)}");
            }
            var time = DateTimeOffset.UtcNow;
            // Walk the control messages for SCM_TIMESTAMPNS (struct timespec).
            int header = sizeof(Libc.CmsgHdr);
            nuint offset = 0;
            while (offset + (nuint)header <= msg.ControlLength)
            {
                var c = (Libc.CmsgHdr*)(control + offset);
                if (c->Length < (nuint)header) break;
                if (c->Level == Libc.SOL_SOCKET && c->Type == Libc.SCM_TIMESTAMPNS && c->Length >= (nuint)(header + sizeof(Libc.Timespec)))
                {
                    var ts = (Libc.Timespec*)((byte*)c + header);
                    time = DateTimeOffset.FromUnixTimeSeconds(ts->Seconds).AddTicks(ts->Nanoseconds / 100);
                }
                offset += (c->Length + (nuint)(sizeof(nuint) - 1)) & ~(nuint)(sizeof(nuint) - 1);
            }
            int length = (int)Math.Min(n, buffer.Length);
            info = new PacketInfo(length, (int)n, (ushort)System.Net.IPAddress.NetworkToHostOrder((short)from.Protocol), from.PktType, from.IfIndex, time);
            return true;
        }
    }

    /// <summary>Reads PACKET_STATISTICS (which the kernel resets on every read) and adds it to the totals.</summary>
    public (ulong Packets, ulong Drops) ReadStatistics()
    {
        if (_fd < 0) return (Packets, Drops);
        var stats = new Libc.TpacketStats();
        int len = sizeof(Libc.TpacketStats);
        if (Libc.getsockopt(_fd, Libc.SOL_PACKET, Libc.PACKET_STATISTICS, &stats, &len) == 0)
        {
            // tp_packets counts every frame the filter passed, dropped ones included.
            Packets += stats.Packets;
            Drops += stats.Drops;
        }
        return (Packets, Drops);
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        ReadStatistics();
        Libc.close(_fd);
        _fd = -1;
    }
}

/// <summary>
/// The classic BPF program attached to the capture socket. nlmon sets skb->protocol to the netlink protocol of
/// the socket, which the ancillary load SKF_AD_PROTOCOL reads (the 16-byte LINKTYPE_NETLINK header of a pcap is
/// made up by libpcap from the same value). Exclusions drop the capture's own helper traffic: a frame of that
/// protocol whose first nlmsg_pid is the helper's port id.
/// </summary>
internal static class NlmonBpf
{
    public const uint SKF_AD_OFF = unchecked((uint)-0x1000);
    public const uint SKF_AD_PROTOCOL = 0;
    public const ushort LdHalfAbs = 0x28;   // BPF_LD | BPF_H | BPF_ABS
    public const ushort LdWordAbs = 0x20;   // BPF_LD | BPF_W | BPF_ABS
    public const ushort JeqK = 0x15;        // BPF_JMP | BPF_JEQ | BPF_K
    public const ushort RetK = 0x06;        // BPF_RET | BPF_K
    public const uint SnapLength = 262144;

    public static Libc.SockFilter[] Build(IReadOnlyCollection<NetlinkProtocol>? protocols, IEnumerable<(NetlinkProtocol Protocol, uint PortId)>? exclude = null)
    {
        var p = new List<Libc.SockFilter>();
        var excluded = (exclude ?? Enumerable.Empty<(NetlinkProtocol, uint)>())
            .Where(e => protocols is null || protocols.Count == 0 || protocols.Contains(e.Item1)).Distinct().ToList();
        var wanted = protocols?.Distinct().ToList() ?? new List<NetlinkProtocol>();
        if (wanted.Count == 0 && excluded.Count == 0) return new[] { I(RetK, SnapLength) };

        if (wanted.Count > 0)
        {
            p.Add(I(LdHalfAbs, SKF_AD_OFF + SKF_AD_PROTOCOL));
            for (int i = 0; i < wanted.Count; i++)
                p.Add(I(JeqK, (uint)wanted[i], (byte)(wanted.Count - i), 0));
            p.Add(I(RetK, 0));
        }
        // Each exclusion: 4 instructions; the DROP return is the last instruction of the program.
        int dropAt = p.Count + excluded.Count * 4 + 1;
        foreach (var (protocol, port) in excluded)
        {
            p.Add(I(LdHalfAbs, SKF_AD_OFF + SKF_AD_PROTOCOL));
            p.Add(I(JeqK, (uint)protocol, 0, 2));
            p.Add(I(LdWordAbs, 12));
            // BPF loads are big-endian; nlmsg_pid is in host order.
            uint loaded = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(BitConverter.GetBytes(port));
            p.Add(I(JeqK, loaded, (byte)(dropAt - (p.Count + 1)), 0));
        }
        p.Add(I(RetK, SnapLength));
        p.Add(I(RetK, 0));
        return p.ToArray();
    }

    private static Libc.SockFilter I(ushort code, uint k, byte jt = 0, byte jf = 0) => new() { Code = code, K = k, Jt = jt, Jf = jf };
}
