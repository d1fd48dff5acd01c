using System.ComponentModel;
using System.Runtime.InteropServices;
using NlmonPS.Wire;

namespace NlmonPS.KernelClients;

/// <summary>What the kernel said about one frame (its TPACKET_V3 header and address).</summary>
internal readonly record struct PacketInfo(int Length, int OriginalLength, ushort Protocol, byte PacketType, int IfIndex, DateTimeOffset Timestamp);

/// <summary>
/// An AF_PACKET socket bound to one device that receives into a TPACKET_V3 ring shared with the kernel (as
/// libpcap/tcpdump do): the kernel packs frames into fixed-size blocks of a mapped buffer and hands over a block
/// when it is full or after <see cref="BlockTimeoutMs"/>; we read frames in place and give the block back. No
/// system call per frame, one copy per frame (out of the ring), and the whole ring is usable for frames (a socket
/// receive buffer is charged the skb overhead, ~1 KiB per small netlink frame). An optional classic BPF program is
/// attached before the bind (so nothing unfiltered is ever queued); when no block is free the kernel drops the
/// frame and counts it (PACKET_STATISTICS). Create it on a thread in the device's namespace; one reading thread.
/// </summary>
internal sealed unsafe class NlmonPacketSocket : IDisposable
{
    /// <summary>Largest block: the frame limit too (a frame is cut to fit a block), like libpcap's 256 KiB snaplen.</summary>
    public const int MaxBlockSize = 256 << 10;
    /// <summary>
    /// How long the kernel keeps a partly filled block before handing it over: bounds the latency, and, since a
    /// block handed over is used up however little it holds, how long a stalled reader can be away at low rates
    /// (blocks x timeout: 6.4 s for the default ring).
    /// </summary>
    public const int BlockTimeoutMs = 50;

    private const int TpacketV3HeaderLength = 48;   // TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
    private int _fd;
    private byte* _ring;
    private nuint _ringLength;
    private readonly int _blockSize;
    private readonly int _blockCount;
    // Reading position: the block being read (owned by us while _framesLeft > 0 or until released), the next frame.
    private int _block;
    private bool _holding;
    private int _framesLeft;
    private byte* _frame;

    public NlmonPacketSocket(int ifIndex, Libc.SockFilter[]? filter, int bufferSize)
    {
        IfIndex = ifIndex;
        (_blockSize, _blockCount) = RingGeometry(bufferSize);
        // Protocol 0: the socket receives nothing until bind, so the filter and the ring are in place for the first frame.
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
            int version = Libc.TPACKET_V3;
            if (Libc.setsockopt(_fd, Libc.SOL_PACKET, Libc.PACKET_VERSION, &version, sizeof(int)) < 0)
                throw Libc.Error("setsockopt(PACKET_VERSION, TPACKET_V3)");
            var req = new Libc.TpacketReq3
            {
                BlockSize = (uint)_blockSize,
                BlockCount = (uint)_blockCount,
                // V3 packs frames of any size into a block; the frame size only has to divide the block.
                FrameSize = (uint)_blockSize,
                FrameCount = (uint)_blockCount,
                RetireBlockTimeoutMs = BlockTimeoutMs,
            };
            if (Libc.setsockopt(_fd, Libc.SOL_PACKET, Libc.PACKET_RX_RING, &req, sizeof(Libc.TpacketReq3)) < 0)
                throw Libc.Error($"setsockopt(PACKET_RX_RING, {_blockCount} blocks of {_blockSize} bytes)");
            _ringLength = (nuint)_blockSize * (nuint)_blockCount;
            var mapped = Libc.mmap(null, _ringLength, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, _fd, 0);
            if (mapped == (void*)-1) throw Libc.Error($"mmap of the packet ring ({_ringLength} bytes)");
            _ring = (byte*)mapped;
            var addr = new Libc.SockaddrLl
            {
                Family = Libc.AF_PACKET,
                Protocol = (ushort)System.Net.IPAddress.HostToNetworkOrder((short)Libc.ETH_P_ALL),
                IfIndex = ifIndex,
            };
            if (Libc.bind(_fd, &addr, sizeof(Libc.SockaddrLl)) < 0) throw Libc.Error($"bind(AF_PACKET, ifindex {ifIndex})");
        }
        catch
        {
            Close();
            throw;
        }
    }

    /// <summary>
    /// The ring for a wanted size in bytes: blocks of <see cref="MaxBlockSize"/> (smaller, a power of two pages,
    /// for a smaller size), as many as it takes to reach the size.
    /// </summary>
    public static (int BlockSize, int BlockCount) RingGeometry(int bufferSize)
    {
        int page = Environment.SystemPageSize;
        long wanted = Math.Max(1, bufferSize);
        int block = page;
        while (block < MaxBlockSize && block < wanted) block <<= 1;
        return (block, (int)((wanted + block - 1) / block));
    }

    public int IfIndex { get; }
    /// <summary>The ring's size in bytes (whole blocks).</summary>
    public int BufferSize => _blockSize * _blockCount;
    public int BlockSize => _blockSize;
    public int BlockCount => _blockCount;
    /// <summary>Frames the filter passed and dropped frames, summed over every <see cref="ReadStatistics"/>.</summary>
    public ulong Packets { get; private set; }
    public ulong Drops { get; private set; }

    private byte* Block(int i) => _ring + (nuint)i * (nuint)_blockSize;

    // struct tpacket_block_desc: version, offset_to_priv, then tpacket_hdr_v1: block_status, num_pkts, offset_to_first_pkt...
    private static ref uint BlockStatus(byte* block) => ref *(uint*)(block + 8);

    /// <summary>
    /// The next frame, waiting up to <paramref name="timeoutMs"/> for the kernel to hand over a block; false on
    /// timeout. <paramref name="frame"/> points into the ring and is valid until the next call (which may give
    /// its block back to the kernel).
    /// </summary>
    public bool Next(int timeoutMs, out PacketInfo info, out ReadOnlySpan<byte> frame)
    {
        info = default;
        frame = default;
        if (_fd < 0) throw new ObjectDisposedException(nameof(NlmonPacketSocket));
        while (_framesLeft == 0)
        {
            if (_holding)
            {
                // Done with this block: give it back (the release orders our reads before the kernel's writes).
                Volatile.Write(ref BlockStatus(Block(_block)), Libc.TP_STATUS_KERNEL);
                _holding = false;
                _block = (_block + 1) % _blockCount;
            }
            var block = Block(_block);
            if ((Volatile.Read(ref BlockStatus(block)) & Libc.TP_STATUS_USER) == 0)
            {
                if (!Wait(timeoutMs)) return false;
                timeoutMs = 0;
                if ((Volatile.Read(ref BlockStatus(block)) & Libc.TP_STATUS_USER) == 0) return false;
            }
            _holding = true;
            _framesLeft = (int)*(uint*)(block + 12);
            _frame = block + *(uint*)(block + 16);
        }

        // struct tpacket3_hdr: next_offset, sec, nsec, snaplen, len, status, mac (u16), net (u16); sockaddr_ll after it.
        var h = _frame;
        uint next = *(uint*)h;
        uint sec = *(uint*)(h + 4), nsec = *(uint*)(h + 8);
        int snaplen = (int)*(uint*)(h + 12), length = (int)*(uint*)(h + 16);
        ushort mac = *(ushort*)(h + 24);
        var ll = (Libc.SockaddrLl*)(h + TpacketV3HeaderLength);
        frame = new ReadOnlySpan<byte>(h + mac, snaplen);
        info = new PacketInfo(snaplen, length, (ushort)System.Net.IPAddress.NetworkToHostOrder((short)ll->Protocol), ll->PktType, ll->IfIndex,
            DateTimeOffset.FromUnixTimeSeconds(sec).AddTicks(nsec / 100));
        _framesLeft--;
        _frame = next != 0 ? h + next : null;
        if (next == 0) _framesLeft = 0;
        return true;
    }

    /// <summary>
    /// Copies the next frame into <paramref name="buffer"/> (cut to its length; OriginalLength says how long it
    /// was); false on timeout.
    /// </summary>
    public bool Receive(byte[] buffer, int timeoutMs, out PacketInfo info)
    {
        if (!Next(timeoutMs, out info, out var frame)) return false;
        int length = Math.Min(frame.Length, buffer.Length);
        frame[..length].CopyTo(buffer);
        if (length < info.Length) info = info with { Length = length, OriginalLength = Math.Max(info.OriginalLength, info.Length) };
        return true;
    }

    private bool Wait(int timeoutMs)
    {
        var pfd = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
        int ready = Libc.poll(&pfd, 1, timeoutMs);
        if (ready < 0)
        {
            if (Marshal.GetLastPInvokeError() == Libc.EINTR) return false;
            throw Libc.Error("poll on the packet socket");
        }
        if (ready > 0 && (pfd.Revents & Libc.POLLERR) != 0)
        {
            // The kernel sets ENETDOWN on the socket when its device goes down or away.
            int error = 0, len = sizeof(int);
            Libc.getsockopt(_fd, Libc.SOL_SOCKET, Libc.SO_ERROR, &error, &len);
            if (error != 0)
                throw new Win32Exception(error, error == Libc.ENETDOWN
                    ? "The nlmon device went away or down during the capture (ENETDOWN)."
                    : $"The packet socket reported {Decoding.Errno.NameOf(error)} {Decoding.Errno.TextOf(error)}");
        }
        return ready > 0;
    }

    /// <summary>Reads PACKET_STATISTICS (which the kernel resets on every read) and adds it to the totals.</summary>
    public (ulong Packets, ulong Drops) ReadStatistics()
    {
        if (_fd < 0) return (Packets, Drops);
        var stats = new Libc.TpacketStatsV3();
        int len = sizeof(Libc.TpacketStatsV3);
        if (Libc.getsockopt(_fd, Libc.SOL_PACKET, Libc.PACKET_STATISTICS, &stats, &len) == 0)
        {
            // tp_packets counts every frame the filter passed, dropped ones included.
            Packets += stats.Packets;
            Drops += stats.Drops;
        }
        return (Packets, Drops);
    }

    private void Close()
    {
        if (_ring is not null)
        {
            Libc.munmap(_ring, _ringLength);
            _ring = null;
        }
        if (_fd >= 0)
        {
            Libc.close(_fd);
            _fd = -1;
        }
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        ReadStatistics();
        Close();
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
