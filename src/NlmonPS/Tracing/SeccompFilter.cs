using System.Buffers.Binary;
using System.Runtime.InteropServices;
using static NlmonPS.Tracing.Native;

namespace NlmonPS.Tracing;

/// <summary>
/// The seccomp-bpf filter that makes only the interesting syscalls stop (SECCOMP_RET_TRACE, a
/// PTRACE_EVENT_SECCOMP stop) and lets every other one run at full speed (SECCOMP_RET_ALLOW), and
/// the code that puts it into the bootstrap shell of a started command.
///
/// Where the filter goes matters: a filter is per thread, inherited by every thread and process
/// created after it and kept across execve, and SECCOMP_RET_TRACE with no tracer (or a tracer
/// without PTRACE_O_TRACESECCOMP) fails the syscall with ENOSYS. So it must never land on a .NET
/// thread (the runtime itself reads, writes and closes), and the process it lands on must already
/// be traced when its first filtered syscall runs: a filter installed before posix_spawn would make
/// the dynamic loader's read() of the new shell fail before the tracer could seize it. The tracer
/// therefore installs it from the outside, into the bootstrap shell while it is stopped at the
/// syscall-entry stop of its `exec "$@"` (traced since long before): the entry is turned into a
/// seccomp(SECCOMP_SET_MODE_FILTER) call with the program written below the shell's stack pointer,
/// then the registers are restored with the instruction pointer back on the syscall instruction,
/// so the shell re-issues its execve and the command starts with the filter in place.
///
/// Never for <see cref="NetlinkTracer.Attach"/>: a filter cannot be removed, and after a detach every
/// filtered syscall of the process would fail with ENOSYS.
/// </summary>
internal static unsafe class SeccompFilter
{
    // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }
    private const ushort BPF_LD_W_ABS = 0x20;  // BPF_LD | BPF_W | BPF_ABS
    private const ushort BPF_JEQ_K = 0x15;     // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort BPF_RET_K = 0x06;     // BPF_RET | BPF_K
    public const uint SECCOMP_RET_ALLOW = 0x7fff0000;
    public const uint SECCOMP_RET_TRACE = 0x7ff00000;
    private const int SeccompDataNr = 0;       // struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; }
    private const int SeccompDataArch = 4;
    private const int InstructionSize = 8;

    /// <summary>
    /// The filter for one audit arch: syscalls of another arch (a 32-bit int 0x80 call, which the engine
    /// ignores anyway) and x32 numbers (bit 30 set: never equal to a listed number) are allowed.
    ///   ld arch; jne ARCH -> allow; ld nr; jeq n1 -> trace; ...; jeq nK -> trace; allow: ret ALLOW; trace: ret TRACE
    /// </summary>
    public static byte[] Build(uint arch)
    {
        uint[] nrs = SyscallTable.Traced(arch);
        if (nrs.Length == 0 || nrs.Length > 250)
            throw new ArgumentOutOfRangeException(nameof(arch), $"no filter for audit arch 0x{arch:x}");
        int n = nrs.Length;
        var program = new byte[(n + 5) * InstructionSize];
        int pc = 0;
        void Emit(ushort code, int jt, int jf, uint k)
        {
            Span<byte> ins = program.AsSpan(pc++ * InstructionSize, InstructionSize);
            BinaryPrimitives.WriteUInt16LittleEndian(ins, code);
            ins[2] = (byte)jt;
            ins[3] = (byte)jf;
            BinaryPrimitives.WriteUInt32LittleEndian(ins[4..], k);
        }
        // Jumps are relative to the next instruction: allow is at 3 + n, trace at 4 + n.
        Emit(BPF_LD_W_ABS, 0, 0, SeccompDataArch);
        Emit(BPF_JEQ_K, 0, n + 1, arch);
        Emit(BPF_LD_W_ABS, 0, 0, SeccompDataNr);
        for (int i = 0; i < n; i++)
            Emit(BPF_JEQ_K, n - i, 0, nrs[i]);
        Emit(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW);
        Emit(BPF_RET_K, 0, 0, SECCOMP_RET_TRACE);
        return program;
    }

    /// <summary>Runs the filter on one (arch, nr) the way the kernel does: the tests check it against <see cref="SyscallTable"/>.</summary>
    public static uint Evaluate(byte[] program, uint arch, uint nr)
    {
        uint acc = 0;
        int pc = 0;
        while (pc * InstructionSize < program.Length)
        {
            ReadOnlySpan<byte> ins = program.AsSpan(pc * InstructionSize, InstructionSize);
            ushort code = BinaryPrimitives.ReadUInt16LittleEndian(ins);
            uint k = BinaryPrimitives.ReadUInt32LittleEndian(ins[4..]);
            pc++;
            switch (code)
            {
                case BPF_LD_W_ABS:
                    acc = k == SeccompDataArch ? arch : k == SeccompDataNr ? nr : throw new InvalidOperationException("load " + k);
                    break;
                case BPF_JEQ_K:
                    pc += acc == k ? ins[2] : ins[3];
                    break;
                case BPF_RET_K:
                    return k;
                default:
                    throw new InvalidOperationException("opcode " + code);
            }
        }
        throw new InvalidOperationException("fell off the end");
    }

    // ------------------------------------------------------------ installing it (x86-64)

    // struct user_regs_struct (x86-64), in u64 slots.
    private const int RegCount = 27;
    private const int R10 = 7, R9 = 8, R8 = 9, RAX = 10, RDX = 12, RSI = 13, RDI = 14, ORIG_RAX = 15, RIP = 16, RSP = 19;
    private const ulong NR_PRCTL = 157, NR_SECCOMP = 317;
    private const ulong SECCOMP_SET_MODE_FILTER = 1;
    private const ulong PR_SET_NO_NEW_PRIVS = 38;

    /// <summary>How an install attempt ended.</summary>
    public enum Outcome
    {
        Installed,
        NotInstalled, // reason says why; the tracee is back where it was
        Gone,         // the tracee exited or was killed meanwhile: its wait status is in goneStatus
    }

    /// <summary>The host may set no_new_privs on the command (needed without CAP_SYS_ADMIN).</summary>
    private static readonly Lazy<bool> NoNewPrivsHarmless = new(() =>
    {
        // Without CAP_SYS_PTRACE a traced setuid/file-capability program gains no privileges anyway
        // (LSM_UNSAFE_PTRACE), so no_new_privs changes nothing; with it, it would: fall back instead.
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                    return (Convert.ToUInt64(line[7..].Trim(), 16) & (1UL << 19)) == 0; // CAP_SYS_PTRACE
        }
        catch (IOException)
        {
        }
        return false;
    });

    /// <summary>
    /// Installs the filter into <paramref name="pid"/>, which must be a single-threaded tracee in a
    /// syscall-entry stop described by <paramref name="entry"/>. On Installed and NotInstalled the tracee
    /// is left in a syscall stop with registers that re-issue its original syscall when resumed (the
    /// caller resumes it, without PTRACE_SYSCALL being needed). Signals that arrived meanwhile are sent
    /// again once it is back (<paramref name="deferredSignals"/>: the caller kill()s them after resuming).
    /// </summary>
    public static Outcome TryInstall(int pid, in PtraceSyscallInfo entry, List<int> deferredSignals, out string reason, out int goneStatus)
    {
        goneStatus = 0;
        if (entry.Arch != SyscallTable.AUDIT_ARCH_X86_64 || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            reason = $"the seccomp filter is only installed on x86-64 (this is {RuntimeInformation.ProcessArchitecture})";
            return Outcome.NotInstalled;
        }
        ulong* saved = stackalloc ulong[RegCount];
        ulong* regs = stackalloc ulong[RegCount];
        if (!GetRegs(pid, saved))
        {
            reason = "PTRACE_GETREGSET failed: " + Marshal.GetPInvokeErrorMessage(LastErrno);
            return Outcome.NotInstalled;
        }
        ulong syscallInsn = saved[RIP] - 2;
        ushort opcode = 0;
        if (saved[ORIG_RAX] != entry.Nr || !ReadExact(pid, syscallInsn, (byte*)&opcode, 2) || opcode != 0x050f)
        {
            reason = "the bootstrap shell is not stopped on a syscall instruction";
            return Outcome.NotInstalled;
        }

        // struct sock_fprog { u16 len; u64 filter*; } then the instructions, 16-aligned, below the
        // 128-byte red zone (and some more) of the shell's stack: memory it does not use any more.
        byte[] program = Build(SyscallTable.AUDIT_ARCH_X86_64);
        ulong fprog = (saved[RSP] - 512 - (ulong)program.Length - 16) & ~15UL;
        ulong filter = fprog + 16;
        byte* head = stackalloc byte[16];
        *(ulong*)head = (ulong)(program.Length / InstructionSize);
        *(ulong*)(head + 8) = filter;
        if (!WriteExact(pid, fprog, head, 16) || !WriteArray(pid, filter, program))
        {
            reason = "could not write the filter into the bootstrap shell: " + Marshal.GetPInvokeErrorMessage(LastErrno);
            return Outcome.NotInstalled;
        }

        // 1. The entry stop becomes seccomp(SECCOMP_SET_MODE_FILTER, 0, &fprog).
        Copy(saved, regs);
        regs[ORIG_RAX] = NR_SECCOMP;
        SetArgs(regs, SECCOMP_SET_MODE_FILTER, 0, fprog);
        long rc = Run(pid, regs, syscallInsn, fromEntry: true, deferredSignals, ref goneStatus);
        if (rc == -Native.EACCES && NoNewPrivsHarmless.Value)
        {
            // 2. Without CAP_SYS_ADMIN the kernel wants no_new_privs first; then the filter again.
            SetArgs(regs, PR_SET_NO_NEW_PRIVS, 1, 0);
            regs[RAX] = NR_PRCTL;
            rc = Run(pid, regs, syscallInsn, fromEntry: false, deferredSignals, ref goneStatus);
            if (rc == 0)
            {
                SetArgs(regs, SECCOMP_SET_MODE_FILTER, 0, fprog);
                regs[RAX] = NR_SECCOMP;
                rc = Run(pid, regs, syscallInsn, fromEntry: false, deferredSignals, ref goneStatus);
            }
        }
        if (rc == GoneMarker)
        {
            reason = "the command exited";
            return Outcome.Gone;
        }

        // 3. Back to the original syscall: the shell executes its syscall instruction again.
        Copy(saved, regs);
        regs[RIP] = syscallInsn;
        regs[RAX] = saved[ORIG_RAX];
        if (!SetRegs(pid, regs))
        {
            // Cannot put it back: it would run with our injected registers. Not recoverable.
            reason = "PTRACE_SETREGSET failed while restoring the bootstrap shell";
            kill(pid, SIGKILL);
            return Outcome.NotInstalled;
        }
        if (rc == 0)
        {
            reason = "";
            return Outcome.Installed;
        }
        reason = rc == -Native.EACCES
            ? "installing a seccomp filter needs CAP_SYS_ADMIN or no_new_privs, which would change what setuid programs may do"
            : $"seccomp() failed ({Marshal.GetPInvokeErrorMessage((int)-rc)})";
        return Outcome.NotInstalled;
    }

    private const long GoneMarker = long.MinValue;

    /// <summary>
    /// Runs one injected syscall: from the entry stop (registers already hold it) or from an exit stop
    /// (RIP is pointed back at the syscall instruction, RAX holds the number). Returns the syscall's
    /// return value (-errno on failure) at its exit stop, or GoneMarker.
    /// </summary>
    private static long Run(int pid, ulong* regs, ulong syscallInsn, bool fromEntry, List<int> deferredSignals, ref int goneStatus)
    {
        if (!fromEntry)
            regs[RIP] = syscallInsn;
        if (!SetRegs(pid, regs))
            return -Native.EIO;
        if (!fromEntry && !Resume(pid, wantEntry: true, deferredSignals, ref goneStatus))
            return GoneMarker;
        if (!Resume(pid, wantEntry: false, deferredSignals, ref goneStatus))
            return GoneMarker;
        if (!GetRegs(pid, regs))
            return -Native.EIO;
        return (long)regs[RAX];
    }

    /// <summary>PTRACE_SYSCALL until the next syscall stop of the wanted kind; false if the tracee is gone.</summary>
    private static bool Resume(int pid, bool wantEntry, List<int> deferredSignals, ref int goneStatus)
    {
        int status;
        while (true)
        {
            if (ptrace(PTRACE_SYSCALL, pid, 0, 0) != 0 && LastErrno == ESRCH)
            {
                // Killed: collect the exit status below.
            }
            int r = waitpid(pid, &status, __WALL);
            if (r < 0)
            {
                if (LastErrno == EINTR)
                    continue;
                goneStatus = SIGKILL; // already reaped elsewhere: report a kill
                return false;
            }
            if (!WIFSTOPPED(status))
            {
                goneStatus = status;
                return false;
            }
            int sig = WSTOPSIG(status);
            if (sig == (SIGTRAP | 0x80))
            {
                PtraceSyscallInfo info;
                if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(PtraceSyscallInfo), (nint)(&info)) > 0 &&
                    info.Op == (wantEntry ? PTRACE_SYSCALL_INFO_ENTRY : PTRACE_SYSCALL_INFO_EXIT))
                    return true;
                continue;
            }
            int ev = (status >> 16) & 0xff;
            if (ev == PTRACE_EVENT_STOP && sig is SIGSTOP or SIGTSTP or SIGTTIN or SIGTTOU)
                deferredSignals.Add(sig); // a job-control stop: stop it again afterwards
            else if (ev == 0)
                deferredSignals.Add(sig); // signal-delivery-stop: suppressed now, sent again afterwards
            // other event stops (PTRACE_INTERRUPT, SIGCONT notification): just go on
        }
    }

    private static void SetArgs(ulong* regs, ulong a0, ulong a1, ulong a2)
    {
        regs[RDI] = a0;
        regs[RSI] = a1;
        regs[RDX] = a2;
        regs[R10] = 0;
        regs[R8] = 0;
        regs[R9] = 0;
    }

    private static void Copy(ulong* from, ulong* to)
    {
        for (int i = 0; i < RegCount; i++)
            to[i] = from[i];
    }

    private static bool GetRegs(int pid, ulong* regs)
    {
        var iov = new IoVec { Base = (ulong)regs, Len = RegCount * sizeof(ulong) };
        return ptrace(PTRACE_GETREGSET, pid, NT_PRSTATUS, (nint)(&iov)) == 0 && iov.Len == RegCount * sizeof(ulong);
    }

    private static bool SetRegs(int pid, ulong* regs)
    {
        var iov = new IoVec { Base = (ulong)regs, Len = RegCount * sizeof(ulong) };
        return ptrace(PTRACE_SETREGSET, pid, NT_PRSTATUS, (nint)(&iov)) == 0;
    }

    private static bool ReadExact(int pid, ulong addr, byte* dst, int len)
    {
        var local = new IoVec { Base = (ulong)dst, Len = (ulong)len };
        var remote = new IoVec { Base = addr, Len = (ulong)len };
        return process_vm_readv(pid, &local, 1, &remote, 1, 0) == len;
    }

    private static bool WriteExact(int pid, ulong addr, byte* src, int len)
    {
        var local = new IoVec { Base = (ulong)src, Len = (ulong)len };
        var remote = new IoVec { Base = addr, Len = (ulong)len };
        return process_vm_writev(pid, &local, 1, &remote, 1, 0) == len;
    }

    private static bool WriteArray(int pid, ulong addr, byte[] data)
    {
        fixed (byte* p = data)
            return WriteExact(pid, addr, p, data.Length);
    }
}
