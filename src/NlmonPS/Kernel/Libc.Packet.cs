using System.ComponentModel;
using System.Runtime.InteropServices;
using NlmonPS.Decoding;

namespace NlmonPS.Kernel;

/// <summary>
/// The libc calls live capture adds: packet sockets (.NET's Socket cannot bind sockaddr_ll or attach a classic
/// BPF program), recvmsg with kernel timestamps, setns, finit_module.
/// </summary>
internal static unsafe partial class Libc
{
    public const int AF_PACKET = 17;
    public const int SOL_PACKET = 263;
    public const int SO_ATTACH_FILTER = 26;
    public const int SO_TIMESTAMPNS = 35;
    public const int SCM_TIMESTAMPNS = SO_TIMESTAMPNS;
    public const int PACKET_STATISTICS = 6;
    public const ushort ETH_P_ALL = 0x0003;
    public const int MSG_TRUNC = 0x20;
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

    [StructLayout(LayoutKind.Sequential)]
    public struct TpacketStats
    {
        public uint Packets;
        public uint Drops;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }





    [LibraryImport("libc", SetLastError = true)]
    public static partial int getsockopt(int fd, int level, int name, void* value, int* len);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recvmsg(int fd, MsgHdr* msg, int flags);



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
