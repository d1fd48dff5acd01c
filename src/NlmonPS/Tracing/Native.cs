using System.Runtime.InteropServices;

namespace NlmonPS.Tracing;

/// <summary>
/// libc entry points and kernel constants used by the tracer. Only blittable signatures, so the
/// marshaller does nothing but forward the call (and capture errno where SetLastError is set).
/// Values are the Linux uapi ones, which are identical on x86-64 and arm64.
/// </summary>
internal static unsafe class Native
{
    private const string Libc = "libc";

    // ptrace requests (linux/ptrace.h)
    public const int PTRACE_CONT = 7;
    public const int PTRACE_DETACH = 17;
    public const int PTRACE_SYSCALL = 24;
    public const int PTRACE_GETEVENTMSG = 0x4201;
    public const int PTRACE_SEIZE = 0x4206;
    public const int PTRACE_INTERRUPT = 0x4207;
    public const int PTRACE_LISTEN = 0x4208;
    public const int PTRACE_GET_SYSCALL_INFO = 0x420e;
    public const int PTRACE_GETREGSET = 0x4204;
    public const int PTRACE_SETREGSET = 0x4205;
    public const int NT_PRSTATUS = 1;

    public const byte PTRACE_SYSCALL_INFO_ENTRY = 1;
    public const byte PTRACE_SYSCALL_INFO_EXIT = 2;
    public const byte PTRACE_SYSCALL_INFO_SECCOMP = 3;

    public const int PTRACE_EVENT_FORK = 1;
    public const int PTRACE_EVENT_VFORK = 2;
    public const int PTRACE_EVENT_CLONE = 3;
    public const int PTRACE_EVENT_EXEC = 4;
    public const int PTRACE_EVENT_SECCOMP = 7;
    public const int PTRACE_EVENT_STOP = 128;

    public const int PTRACE_O_TRACESYSGOOD = 1;
    public const int PTRACE_O_TRACEFORK = 1 << PTRACE_EVENT_FORK;
    public const int PTRACE_O_TRACEVFORK = 1 << PTRACE_EVENT_VFORK;
    public const int PTRACE_O_TRACECLONE = 1 << PTRACE_EVENT_CLONE;
    public const int PTRACE_O_TRACEEXEC = 1 << PTRACE_EVENT_EXEC;
    public const int PTRACE_O_TRACESECCOMP = 1 << PTRACE_EVENT_SECCOMP;
    public const int PTRACE_O_EXITKILL = 1 << 20;

    // wait options
    public const int __WNOTHREAD = 0x20000000;
    public const int __WALL = 0x40000000;

    // signals (same numbers on x86-64 and arm64)
    public const int SIGKILL = 9;
    public const int SIGTRAP = 5;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;
    public const int SIGTSTP = 20;
    public const int SIGTTIN = 21;
    public const int SIGTTOU = 22;

    // errno values we react to
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ECHILD = 10;
    public const int EACCES = 13;

    public const int X_OK = 1;
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_CLOEXEC = 0x80000; // 02000000 octal

    public const int MSG_PEEK = 2;
    public const int MSG_TRUNC = 0x20;

    // posix_spawn flags (glibc and musl agree)
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;

    // Generous sizes for the opaque libc structs (glibc x86-64: attr 336, file actions 80, sigset 128).
    public const int SpawnAttrSize = 1024;
    public const int FileActionsSize = 256;
    public const int SigSetSize = 256;

    public static bool WIFEXITED(int s) => (s & 0x7f) == 0;
    public static int WEXITSTATUS(int s) => (s >> 8) & 0xff;
    public static bool WIFSIGNALED(int s) => (s & 0x7f) != 0 && (s & 0x7f) != 0x7f;
    public static int WTERMSIG(int s) => s & 0x7f;
    public static bool WIFSTOPPED(int s) => (s & 0xff) == 0x7f;
    public static int WSTOPSIG(int s) => (s >> 8) & 0xff;

    /// <summary>struct ptrace_syscall_info (linux/ptrace.h): 24-byte header, then the entry/exit/seccomp union.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 88)]
    public struct PtraceSyscallInfo
    {
        [FieldOffset(0)] public byte Op;
        [FieldOffset(4)] public uint Arch;
        [FieldOffset(8)] public ulong InstructionPointer;
        [FieldOffset(16)] public ulong StackPointer;
        // entry { u64 nr; u64 args[6]; }
        [FieldOffset(24)] public ulong Nr;
        [FieldOffset(32)] public ulong Arg0;
        [FieldOffset(40)] public ulong Arg1;
        [FieldOffset(48)] public ulong Arg2;
        [FieldOffset(56)] public ulong Arg3;
        [FieldOffset(64)] public ulong Arg4;
        [FieldOffset(72)] public ulong Arg5;
        // seccomp { u64 nr; u64 args[6]; u32 ret_data; }: nr and args at the entry offsets
        // exit { s64 rval; u8 is_error; }
        [FieldOffset(24)] public long RVal;
        [FieldOffset(32)] public byte IsError;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public ulong Base;
        public ulong Len;
    }

    // glibc's ptrace() is variadic; all our arguments are integer-class, which the x86-64 and
    // AAPCS64 (Linux) conventions pass exactly like named arguments.
    [DllImport(Libc, SetLastError = true)]
    public static extern nint ptrace(int request, int pid, nint addr, nint data);

    [DllImport(Libc, SetLastError = true)]
    public static extern int waitpid(int pid, int* status, int options);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint process_vm_readv(int pid, IoVec* localIov, nuint liovcnt, IoVec* remoteIov, nuint riovcnt, nuint flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint process_vm_writev(int pid, IoVec* localIov, nuint liovcnt, IoVec* remoteIov, nuint riovcnt, nuint flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern int kill(int pid, int sig);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint readlink(byte* path, byte* buf, nuint bufsiz);

    [DllImport(Libc, SetLastError = true)]
    public static extern nint getxattr(byte* path, byte* name, byte* value, nuint size);

    [DllImport(Libc, SetLastError = true)]
    public static extern int access(byte* path, int mode);

    [DllImport(Libc, SetLastError = true)]
    public static extern int pipe2(int* fds, int flags);

    [DllImport(Libc, SetLastError = true)]
    public static extern int close(int fd);

    [DllImport(Libc, SetLastError = true)]
    public static extern int getpid();

    // posix_spawn* return an error number instead of setting errno.
    [DllImport(Libc)]
    public static extern int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [DllImport(Libc)]
    public static extern int posix_spawnattr_init(void* attr);

    [DllImport(Libc)]
    public static extern int posix_spawnattr_destroy(void* attr);

    [DllImport(Libc)]
    public static extern int posix_spawnattr_setflags(void* attr, short flags);

    [DllImport(Libc)]
    public static extern int posix_spawnattr_setsigmask(void* attr, void* sigmask);

    [DllImport(Libc)]
    public static extern int posix_spawnattr_setsigdefault(void* attr, void* sigdefault);

    [DllImport(Libc)]
    public static extern int posix_spawn_file_actions_init(void* fileActions);

    [DllImport(Libc)]
    public static extern int posix_spawn_file_actions_destroy(void* fileActions);

    [DllImport(Libc)]
    public static extern int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newfd);

    [DllImport(Libc)]
    public static extern int posix_spawn_file_actions_addopen(void* fileActions, int fd, byte* path, int oflag, uint mode);

    [DllImport(Libc, SetLastError = true)]
    public static extern int sigemptyset(void* set);

    [DllImport(Libc, SetLastError = true)]
    public static extern int sigfillset(void* set);

    public static int LastErrno => Marshal.GetLastPInvokeError();
}
