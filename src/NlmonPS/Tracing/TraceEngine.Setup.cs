using System.Collections.Concurrent;
using NlmonPS.Decoding;
using static NlmonPS.Tracing.Native;

namespace NlmonPS.Tracing;

// The tracer: setup.
internal sealed unsafe partial class TraceEngine
{
    private const int CommonOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                                      PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;

    private const string EverySyscall = "every syscall stops twice (PTRACE_SYSCALL)";
    private const string FilteredSyscalls = "seccomp filter: only socket I/O, read/write, close/dup and clone/fork syscalls stop";

    private void SetupSpawn()
    {
        int pid = Spawner.SpawnStopped(_resolvedPath!, _arguments, _workingDirectory, _streams);
        Volatile.Write(ref _mainPid, pid);
        _bootstrap = Bootstrap.AwaitingStop;
        _modeDescription = _wantSeccomp ? EverySyscall : EverySyscall + ": seccomp filter turned off";

        // EXITKILL: if this thread (or the host) dies, the kernel kills the whole traced tree.
        // TRACESECCOMP: without it SECCOMP_RET_TRACE fails the syscall with ENOSYS (inherited by children).
        if (ptrace(PTRACE_SEIZE, pid, 0, CommonOptions | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL) != 0)
        {
            int errno = LastErrno;
            kill(pid, SIGKILL);
            int st;
            while (waitpid(pid, &st, __WALL) < 0 && LastErrno == EINTR) { }
            throw errno == EPERM
                ? new TraceException(TraceErrorKind.PtraceNotPermitted, PtraceDeniedMessage("trace the spawned command", pid), errno)
                : TraceException.FromErrno(TraceErrorKind.Other, "PTRACE_SEIZE", errno);
        }
        Register(pid, pid, preExisting: false);
        // Start() returns once the first stop has been seen and PTRACE_GET_SYSCALL_INFO probed (Loop).
    }

    private void SetupAttach()
    {
        int tgid = ReadTgid(_attachPid);
        if (tgid <= 0)
            throw new TraceException(TraceErrorKind.ProcessNotFound, $"No process with id {_attachPid}.", ESRCH);
        if (tgid == getpid())
            throw new TraceException(TraceErrorKind.PtraceNotPermitted, "A process cannot trace itself.", EPERM);
        if (ReadStatusField(tgid, "PPid:") is int parent && parent == getpid())
            throw new TraceException(TraceErrorKind.ChildOfTracer,
                $"Process {tgid} is a child of this process ({parent}): .NET waits for the children it starts (Process.Start, " +
                "Start-Process, native commands) and would take the stop reports ptrace needs, leaving the process stopped. " +
                "Let the tracer start it instead (Trace-NetlinkCommand { ... } or -FilePath), or start it detached from a shell: sh -c 'command &'.");
        Volatile.Write(ref _mainPid, tgid);
        _modeDescription = EverySyscall + ": no seccomp filter for an attached process (it could not be removed at detach)";

        _sentinelPid = Spawner.SpawnSentinel(out int wakeFd);
        lock (_sync)
            _wakeFd = wakeFd;

        // Seize every thread, re-listing /proc/PID/task until no new thread shows up: threads created
        // after their creator was seized are attached automatically (TRACECLONE), the others are
        // found by the next pass.
        bool any = true;
        while (any)
        {
            any = false;
            foreach (int tid in ListTasks(tgid))
            {
                if (_threads.ContainsKey(tid))
                    continue;
                if (ptrace(PTRACE_SEIZE, tid, 0, CommonOptions) != 0)
                {
                    int errno = LastErrno;
                    if (_threads.Count > 0 && errno == ESRCH)
                        continue; // thread exited meanwhile
                    if (_threads.Count > 0)
                        throw TraceException.FromErrno(TraceErrorKind.Other, $"PTRACE_SEIZE of thread {tid}", errno);
                    throw errno switch
                    {
                        ESRCH => new TraceException(TraceErrorKind.ProcessNotFound, $"Process {tgid} exited.", errno),
                        EPERM => new TraceException(TraceErrorKind.PtraceNotPermitted, PtraceDeniedMessage($"attach to process {tgid}", tgid), errno),
                        _ => TraceException.FromErrno(TraceErrorKind.Other, $"PTRACE_SEIZE of process {tgid}", errno),
                    };
                }
                Register(tid, tgid, preExisting: true);
                ptrace(PTRACE_INTERRUPT, tid, 0, 0);
                any = true;
            }
        }
        if (_threads.Count == 0)
            throw new TraceException(TraceErrorKind.ProcessNotFound, $"Process {tgid} has no threads left.", ESRCH);
    }

    /// <summary>
    /// Why the kernel refused, in the order it checks (__ptrace_may_access, then the LSMs): a tracer already there;
    /// a process of another user (or a setuid one) without CAP_SYS_PTRACE; then Yama's scope; then what is left.
    /// </summary>
    private static string PtraceDeniedMessage(string what, int pid = 0)
    {
        var msg = $"ptrace is not permitted to {what} (EPERM).";
        if (pid > 0 && ReadStatusField(pid, "TracerPid:") is int tracer && tracer != 0)
            return msg + $" The process is already traced by process {tracer} (a debugger or strace?).";
        bool capable = HasCapSysPtrace();
        if (pid > 0 && !capable && StatusIds(pid, "Uid:") is { } theirs && StatusIds("self", "Uid:") is { } ours)
        {
            // The kernel wants the target's real, effective and saved uid all equal to the caller's.
            if (theirs.Any(u => u != ours[0]))
                return msg + $" Process {pid} belongs to {UserName(theirs[0])} (uid {string.Join("/", theirs.Take(3))}), not to you ({UserName(ours[0])}, uid {ours[0]}):"
                    + " tracing another user's process (or a setuid one) needs CAP_SYS_PTRACE. Run as root, or as that user.";
        }
        string scope = "";
        try { scope = File.ReadAllText("/proc/sys/kernel/yama/ptrace_scope").Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        msg += scope switch
        {
            "1" when !capable => " kernel.yama.ptrace_scope is 1: only descendants can be traced without CAP_SYS_PTRACE. Run as root, start the command with Trace-NetlinkCommand, or lower it with 'sysctl kernel.yama.ptrace_scope=0'.",
            "2" when !capable => " kernel.yama.ptrace_scope is 2: only CAP_SYS_PTRACE may trace. Run as root.",
            "3" => " kernel.yama.ptrace_scope is 3: ptrace is disabled until reboot.",
            _ when pid > 0 && StatusIds(pid, "Uid:") is null => $" Process {pid} cannot be read in /proc (hidepid?).",
            _ => capable ? " You have CAP_SYS_PTRACE, so a security module (AppArmor, SELinux) or a seccomp profile refused it." : "",
        };
        return msg + " In a container, ptrace needs CAP_SYS_PTRACE (docker run --cap-add=SYS_PTRACE) and a seccomp profile that allows it.";
    }

    /// <summary>The ids of a "Uid:"/"Gid:" line of /proc/PID/status (real, effective, saved, filesystem), or null.</summary>
    private static uint[]? StatusIds(object pid, string field)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return line[field.Length..].Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries).Select(uint.Parse).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException) { }
        return null;
    }

    /// <summary>Whether this process holds CAP_SYS_PTRACE (bit 19 of CapEff).</summary>
    private static bool HasCapSysPtrace()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                    return (ulong.Parse(line.AsSpan(7).Trim(), System.Globalization.NumberStyles.HexNumber) & (1UL << 19)) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException) { }
        return false;
    }

    /// <summary>A uid's user name from /etc/passwd ("nobody"), or "uid N".</summary>
    private static string UserName(uint uid)
    {
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var f = line.Split(':');
                if (f.Length > 2 && uint.TryParse(f[2], out var u) && u == uid) return $"user '{f[0]}'";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return $"uid {uid}";
    }
}
