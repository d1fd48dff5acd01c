namespace NlmonPS.Tracing;

/// <summary>The syscalls that move netlink bytes, grouped by how their arguments describe the buffers.</summary>
internal enum IoCall : byte
{
    None,
    Write,      // write(fd, buf, count)
    Writev,     // writev(fd, iov, iovcnt)
    SendTo,     // sendto(fd, buf, len, flags, addr, addrlen)
    SendMsg,    // sendmsg(fd, msghdr*, flags)
    SendMmsg,   // sendmmsg(fd, mmsghdr*, vlen, flags)
    Read,       // read(fd, buf, count)
    Readv,      // readv(fd, iov, iovcnt)
    RecvFrom,   // recvfrom(fd, buf, len, flags, addr, addrlen*)
    RecvMsg,    // recvmsg(fd, msghdr*, flags)
    RecvMmsg,   // recvmmsg(fd, mmsghdr*, vlen, flags, timeout)

    // Not netlink I/O, but needed to keep the per-process fd cache honest.
    FdClose,    // close, close_range, dup2, dup3, io_uring_enter: an fd number may change identity
    Clone,      // clone(flags, ...): flags in arg 0
    Clone3,     // clone3(struct clone_args*, size): flags are the struct's first u64
    Fork,       // fork, vfork: no CLONE_FILES
}

/// <summary>
/// Syscall numbers per audit architecture. PTRACE_GET_SYSCALL_INFO reports the tracee's arch, so a
/// 64-bit tracer sees the right table per stop. Only LP64 ABIs are listed: their msghdr/iovec layouts
/// are the ones <see cref="TraceEngine"/> decodes. i386/arm32 compat tasks and x32 are ignored.
/// </summary>
internal static class SyscallTable
{
    public const uint AUDIT_ARCH_X86_64 = 0xC000003E;
    public const uint AUDIT_ARCH_AARCH64 = 0xC00000B7;

    public static IoCall Classify(uint arch, ulong nr)
    {
        switch (arch)
        {
            case AUDIT_ARCH_X86_64:
                return nr switch
                {
                    0 => IoCall.Read,
                    1 => IoCall.Write,
                    19 => IoCall.Readv,
                    20 => IoCall.Writev,
                    44 => IoCall.SendTo,
                    45 => IoCall.RecvFrom,
                    46 => IoCall.SendMsg,
                    47 => IoCall.RecvMsg,
                    299 => IoCall.RecvMmsg,
                    307 => IoCall.SendMmsg,
                    3 or 33 or 292 or 436 or 426 => IoCall.FdClose,
                    56 => IoCall.Clone,
                    57 or 58 => IoCall.Fork,
                    435 => IoCall.Clone3,
                    _ => IoCall.None, // includes x32 numbers (bit 30 set)
                };
            case AUDIT_ARCH_AARCH64: // asm-generic numbering
                return nr switch
                {
                    63 => IoCall.Read,
                    64 => IoCall.Write,
                    65 => IoCall.Readv,
                    66 => IoCall.Writev,
                    206 => IoCall.SendTo,
                    207 => IoCall.RecvFrom,
                    211 => IoCall.SendMsg,
                    212 => IoCall.RecvMsg,
                    243 => IoCall.RecvMmsg,
                    269 => IoCall.SendMmsg,
                    57 or 24 or 436 or 426 => IoCall.FdClose, // close, dup3, close_range, io_uring_enter (no dup2)
                    220 => IoCall.Clone,
                    435 => IoCall.Clone3,
                    _ => IoCall.None,
                };
            default:
                return IoCall.None;
        }
    }

    private static readonly uint[] TracedX86_64 = Collect(AUDIT_ARCH_X86_64);
    private static readonly uint[] TracedAarch64 = Collect(AUDIT_ARCH_AARCH64);

    /// <summary>
    /// The syscall numbers the seccomp filter sends to the tracer: exactly those <see cref="Classify"/>
    /// knows (netlink I/O, fd-identity changes, clone/fork), so the table stays the one source.
    /// </summary>
    public static uint[] Traced(uint arch) => arch switch
    {
        AUDIT_ARCH_X86_64 => TracedX86_64,
        AUDIT_ARCH_AARCH64 => TracedAarch64,
        _ => [],
    };

    private static uint[] Collect(uint arch)
    {
        var nrs = new List<uint>();
        for (uint nr = 0; nr < 1024; nr++)
            if (Classify(arch, nr) != IoCall.None)
                nrs.Add(nr);
        return nrs.ToArray();
    }

    public static bool IsNetlinkIo(IoCall c) => c is >= IoCall.Write and <= IoCall.RecvMmsg;

    public static bool IsSend(IoCall c) => c is IoCall.Write or IoCall.Writev or IoCall.SendTo or IoCall.SendMsg or IoCall.SendMmsg;

    public static string Name(IoCall c) => c switch
    {
        IoCall.Write => "write",
        IoCall.Writev => "writev",
        IoCall.SendTo => "sendto",
        IoCall.SendMsg => "sendmsg",
        IoCall.SendMmsg => "sendmmsg",
        IoCall.Read => "read",
        IoCall.Readv => "readv",
        IoCall.RecvFrom => "recvfrom",
        IoCall.RecvMsg => "recvmsg",
        IoCall.RecvMmsg => "recvmmsg",
        _ => "?",
    };
}
