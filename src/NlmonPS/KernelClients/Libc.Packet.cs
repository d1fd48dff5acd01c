using System.ComponentModel;
using System.Runtime.InteropServices;
using NlmonPS.Decoding;

namespace NlmonPS.KernelClients;

/// <summary>
/// The libc calls live capture adds: packet sockets (.NET's Socket cannot bind sockaddr_ll, attach a classic
/// BPF program or map a TPACKET_V3 ring), setns, finit_module.
/// </summary>
internal static unsafe partial class Libc
{
    public const int AF_PACKET = 17;
    public const int SOL_PACKET = 263;
    public const int SO_ATTACH_FILTER = 26;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_RX_RING = 5;
    public const int PACKET_VERSION = 10;
    public const int TPACKET_V3 = 2;
    public const uint TP_STATUS_KERNEL = 0;
    public const uint TP_STATUS_USER = 1;
    public const int SO_ERROR = 4;
    public const short POLLERR = 0x8;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const ushort ETH_P_ALL = 0x0003;
    public const int CLONE_NEWNET = 0x40000000;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENETDOWN = 100;
    public const int EOPNOTSUPP = 95;

    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrLl
    {
        public ushort Family;
        public ushort Protocol;     // network byte order
        public int IfIndex;
        public ushort HaType;
        public byte PktType;
        public byte HaLen;
        public ulong Addr;          // unsigned char sll_addr[8]
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockFilter
    {
        public ushort Code;
        public byte Jt;
        public byte Jf;
        public uint K;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SockFprog
    {
        public ushort Length;
        public SockFilter* Filter;
    }

    /// <summary>struct tpacket_stats_v3 (PACKET_STATISTICS on a TPACKET_V3 socket).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TpacketStatsV3
    {
        public uint Packets;
        public uint Drops;
        public uint FreezeQueueCount;
    }

    /// <summary>struct tpacket_req3 (PACKET_RX_RING for TPACKET_V3).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TpacketReq3
    {
        public uint BlockSize;
        public uint BlockCount;
        public uint FrameSize;
        public uint FrameCount;
        public uint RetireBlockTimeoutMs;
        public uint SizeofPriv;
        public uint FeatureReqWord;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, int* len);

    [LibraryImport("libc", SetLastError = true)]
    public static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(void* addr, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    [LibraryImport("libc", SetLastError = true)]
    public static partial long syscall(long number, int fd, byte* args, int flags);

    /// <summary>finit_module(2) by syscall number (glibc has no wrapper): x86-64 313, arm64 273.</summary>
    public static int FinitModule(SafeHandle file, int flags)
    {
        long number = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 313,
            Architecture.Arm64 => 273,
            _ => -1,
        };
        if (number < 0) { Marshal.SetLastPInvokeError(38 /* ENOSYS */); return -1; }
        byte empty = 0;
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return (int)syscall(number, (int)file.DangerousGetHandle(), &empty, flags);
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    public static Win32Exception Error(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new Win32Exception(errno, $"{call}: {Errno.NameOf(errno)} {Errno.TextOf(errno)}");
    }
}
