using System.Collections.Concurrent;
using NlmonPS.Decoding;
using static NlmonPS.Tracing.Native;

namespace NlmonPS.Tracing;

/// <summary>
/// The ptrace state machine. Everything in here except <see cref="RequestStop"/> runs on one
/// dedicated thread: ptrace relationships belong to the tracer *thread*, not the process.
///
/// That thread also does the posix_spawn, so the tracee is a child of that thread, and it waits with
/// waitpid(-1, __WALL | __WNOTHREAD): only its own children and tracees, never children other threads
/// of the host (pwsh) start with System.Diagnostics.Process, whose exit statuses we must not steal.
/// </summary>
internal sealed unsafe class TraceEngine
{
    private const int MaxCapture = 16 << 20;
    private const int MaxIov = 1024; // UIO_MAXIOV: the kernel rejects more
    private const int MsghdrSize = 56; // struct msghdr / user_msghdr on LP64
    private const int MmsghdrSize = 64; // struct mmsghdr: msghdr + u32 msg_len + padding

    private readonly BlockingCollection<TracedNetlinkIo> _events;
    private readonly bool _spawned;
    private readonly string? _resolvedPath;
    private readonly IReadOnlyList<string> _arguments;
    private readonly string? _workingDirectory;
    private readonly int _attachPid;
    private readonly bool _wantSeccomp;

    // Touched by other threads.
    private readonly object _sync = new();
    private readonly HashSet<int> _liveTgids = new(); // = _procs.Keys, for RequestStop
    private readonly ManualResetEventSlim _started = new();
    private volatile bool _stopRequested;
    private int _wakeFd = -1;
    private int _mainPid;
    private int? _exitCode;
    private int? _terminatingSignal;
    private volatile bool _hasExited;
    private volatile TraceException? _startError;
    private volatile TraceException? _error;

    // Tracer thread only.
    private readonly Dictionary<int, ThreadState> _threads = new();
    private readonly Dictionary<int, ProcState> _procs = new();
    private readonly NetlinkSocketResolver _resolver = new();
    private Bootstrap _bootstrap;
    private bool _probed;
    private long _stops;
    private bool _seccomp; // the filter is in place: resume with PTRACE_CONT, stops come from PTRACE_EVENT_SECCOMP
    private volatile string _modeDescription = "";
    private bool _detaching;
    private bool _killedAll;
    private int _sentinelPid;
    private Thread? _thread;

    /// <summary>Test hook: every wait status and decision, when set.</summary>
    internal static Action<string>? DebugLog { get; set; }

    /// <summary>
    /// Where the bootstrap shell of a started command is. posix_spawn returns as soon as the child's
    /// execve of /bin/sh has released the parent (vfork semantics), which can be before that execve
    /// reports PTRACE_EVENT_EXEC: so the first exec event may be the shell's own. Only the exec that
    /// follows the shell's SIGSTOP is the command's.
    /// </summary>
    private enum Bootstrap
    {
        Done,
        AwaitingStop,
        AwaitingSyscall, // stopped once; resumed with PTRACE_SYSCALL to get the entry stop of its exec, where the seccomp filter goes
        AwaitingExec,
    }

    private sealed class ThreadState(int tid, ProcState proc)
    {
        public int Tid { get; } = tid;
        public ProcState Proc { get; set; } = proc;
        public int Tgid => Proc.Tgid;

        // The netlink syscall seen at entry, finished at exit. Entry args are kept because the exit
        // stop only reports the return value.
        public IoCall Call;
        public int Fd;
        public NetlinkSocket? Socket;
        public ulong Arg1, Arg2, Arg3;

        // Flags of the clone/clone3/fork in progress, for the PTRACE_EVENT_* stop inside it.
        public ulong CloneFlags;
        public bool CloneFlagsKnown;
    }

    /// <summary>
    /// Per thread group. <see cref="Fds"/> caches fd number -> netlink socket (null: something else)
    /// to spare a readlink on /proc per read/write. It is only trusted while nothing else can change
    /// the fd table behind our back: a single traced thread (so syscalls are sequential), a table not
    /// shared with another process (clone with CLONE_FILES, or a process that existed before Attach),
    /// and it is cleared around every close/dup2/dup3/close_range/io_uring_enter and on exec. New fds
    /// only take free numbers, which the cache cannot hold (it only stores fds seen open).
    /// </summary>
    private sealed class ProcState(int tgid)
    {
        public int Tgid { get; } = tgid;
        public int Threads;
        public bool FdTableMaybeShared;
        public readonly Dictionary<int, NetlinkSocket?> Fds = new();
        public string? Comm;

        public bool CanCacheFds => Threads == 1 && !FdTableMaybeShared;
    }

    private const ulong CLONE_FILES = 0x400;
    private const ulong CLONE_THREAD = 0x10000;

    private readonly StandardStreams? _streams;

    private TraceEngine(BlockingCollection<TracedNetlinkIo> events, bool spawned, string? resolvedPath,
        IReadOnlyList<string> arguments, string? workingDirectory, int attachPid, bool seccomp, StandardStreams? streams)
    {
        _streams = streams;
        _wantSeccomp = spawned && seccomp;
        _events = events;
        _spawned = spawned;
        _resolvedPath = resolvedPath;
        _arguments = arguments;
        _workingDirectory = workingDirectory;
        _attachPid = attachPid;
    }

    public int MainPid => Volatile.Read(ref _mainPid);
    public bool HasExited => _hasExited;
    public int? ExitCode { get { lock (_sync) return _exitCode; } }
    public int? TerminatingSignal { get { lock (_sync) return _terminatingSignal; } }
    public TraceException? Error => _error;
    public bool IsSpawned => _spawned;

    /// <summary>True when the seccomp filter is in place (final once Launch has returned).</summary>
    public bool UsesSeccomp => Volatile.Read(ref _seccomp);

    /// <summary>ptrace stops handled so far (wait statuses of tracees).</summary>
    public long StopCount => Volatile.Read(ref _stops);

    /// <summary>Which stops the tracee makes, and why, in words (final once Launch has returned).</summary>
    public string ModeDescription => _modeDescription;

    /// <param name="seccomp">Started commands: try the seccomp filter (false forces a stop at every syscall).</param>
    /// <param name="streams">Started commands: their descriptors 0-2 (null: this process's).</param>
    public static TraceEngine Launch(BlockingCollection<TracedNetlinkIo> events, bool spawned, string? resolvedPath,
        IReadOnlyList<string> arguments, string? workingDirectory, int attachPid, bool seccomp = true, StandardStreams? streams = null)
    {
        var engine = new TraceEngine(events, spawned, resolvedPath, arguments, workingDirectory, attachPid, seccomp, streams);
        engine._thread = new Thread(engine.Run)
        {
            IsBackground = true, // never keeps the host alive; on host exit EXITKILL/auto-detach clean up
            Name = "NlmonPS ptrace",
        };
        engine._thread.Start();
        engine._started.Wait();
        if (engine._startError is { } startError)
        {
            engine._thread.Join();
            throw startError;
        }
        return engine;
    }

    public bool Join(TimeSpan timeout) => _thread!.Join(timeout);

    /// <summary>Any thread. Spawned: SIGKILL the traced processes (the tracer thread finishes the job
    /// for processes it learns about later). Attached: wake the tracer thread, which detaches.</summary>
    public void RequestStop()
    {
        lock (_sync)
        {
            _stopRequested = true;
            if (_spawned)
            {
                // Safe against pid reuse: a traced process cannot be reaped by anyone before the
                // tracer thread has collected its exit, and that removes it from this set first.
                foreach (int tgid in _liveTgids)
                    kill(tgid, SIGKILL);
            }
            else
            {
                CloseWakeFdLocked();
            }
        }
    }

    private void CloseWakeFdLocked()
    {
        if (_wakeFd >= 0)
        {
            close(_wakeFd);
            _wakeFd = -1;
        }
    }

    private void Run()
    {
        try
        {
            try
            {
                if (_spawned)
                    SetupSpawn();
                else
                    SetupAttach();
            }
            catch (TraceException e)
            {
                _startError = e;
                return;
            }
            catch (Exception e)
            {
                _startError = new TraceException(TraceErrorKind.Other, "Tracing could not start: " + e.Message, 0, e);
                return;
            }

            Loop();
        }
        catch (Exception e)
        {
            _error = e as TraceException ?? new TraceException(TraceErrorKind.Other, "The tracer failed: " + e.Message, 0, e);
            EmergencyCleanup();
        }
        finally
        {
            lock (_sync)
                CloseWakeFdLocked();
            if (_sentinelPid > 0)
            {
                int st;
                waitpid(_sentinelPid, &st, __WALL);
            }
            _started.Set();
            _events.CompleteAdding();
            // When this thread exits the kernel also cleans up whatever is still traced:
            // EXITKILL tracees are killed, attached ones are detached.
        }
    }

    // ---------------------------------------------------------------- setup

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

    // ---------------------------------------------------------------- main loop

    private void Loop()
    {
        while (true)
        {
            if (_threads.Count == 0 && _sentinelPid > 0)
            {
                // Nothing left to trace: let the sentinel exit so waitpid can reach ECHILD.
                lock (_sync)
                    CloseWakeFdLocked();
            }

            int status;
            int pid = waitpid(-1, &status, __WALL | __WNOTHREAD);
            if (pid < 0)
            {
                int errno = LastErrno;
                if (errno == EINTR)
                    continue;
                if (errno == ECHILD)
                    break; // no tracee and no helper child left
                throw TraceException.FromErrno(TraceErrorKind.Other, "waitpid", errno);
            }

            if (pid == _sentinelPid)
            {
                if (!WIFSTOPPED(status))
                    SentinelExited();
            }
            else
            {
                HandleStatus(pid, status);
            }

            if (_stopRequested)
                ApplyStop();
        }
        _started.Set();
    }

    private void SentinelExited()
    {
        _sentinelPid = 0;
        // Killed by someone else while we still trace: without it Stop() could not wake us.
        lock (_sync)
        {
            if (_stopRequested || _threads.Count == 0)
                return;
            CloseWakeFdLocked();
            _sentinelPid = Spawner.SpawnSentinel(out _wakeFd);
        }
    }

    private void ApplyStop()
    {
        if (_spawned)
        {
            if (_killedAll)
                return;
            _killedAll = true;
            foreach (ThreadState t in _threads.Values)
                kill(t.Tgid, SIGKILL);
        }
        else if (!_detaching)
        {
            BeginDetach();
        }
    }

    /// <summary>
    /// Detach needs each thread in a ptrace-stop. PTRACE_INTERRUPT gets every thread there (also the
    /// ones parked in PTRACE_LISTEN); each one is then detached at whatever stop it reports first, with
    /// its pending signal passed on. A thread detached from a group-stop is put back into the stop by
    /// the kernel, so a job-control-stopped process stays stopped.
    /// </summary>
    private void BeginDetach()
    {
        _detaching = true;
        foreach (ThreadState t in _threads.Values)
            ptrace(PTRACE_INTERRUPT, t.Tid, 0, 0);
    }

    private void HandleStatus(int pid, int status)
    {
        DebugLog?.Invoke($"pid {pid} status 0x{status:x} boot={_bootstrap} detaching={_detaching}");
        Volatile.Write(ref _stops, _stops + 1);
        if (!WIFSTOPPED(status))
        {
            if (WIFEXITED(status) || WIFSIGNALED(status))
                ThreadGone(pid, status);
            return;
        }

        ThreadState t = GetOrRegister(pid);
        int sig = WSTOPSIG(status);
        int ev = (status >> 16) & 0xff;

        if (!_probed)
        {
            _probed = true;
            if (!ProbeSyscallInfo(pid))
            {
                _startError = new TraceException(TraceErrorKind.UnsupportedKernel,
                    $"This kernel ({Environment.OSVersion.Version}) lacks PTRACE_GET_SYSCALL_INFO; Linux 5.3 or later is required.", EIO);
                _stopRequested = true; // kill (spawned) or detach (attached), then Start/Attach throws
            }
            else if (!_wantSeccomp)
            {
                _started.Set(); // else once the filter is in place or not (InstallFilter)
            }
        }

        if (sig == (SIGTRAP | 0x80))
        {
            if (_bootstrap == Bootstrap.AwaitingSyscall && pid == _mainPid)
            {
                InstallFilter(t);
                return;
            }
            SyscallStop(t);
            Continue(t, 0);
            return;
        }

        if (ev != 0)
        {
            switch (ev)
            {
                case PTRACE_EVENT_FORK:
                case PTRACE_EVENT_VFORK:
                case PTRACE_EVENT_CLONE:
                    {
                        ulong msg;
                        if (ptrace(PTRACE_GETEVENTMSG, pid, 0, (nint)(&msg)) == 0)
                            NewChild(t, (int)msg, ev);
                        Continue(t, 0);
                        return;
                    }
                case PTRACE_EVENT_EXEC:
                    Exec(t);
                    Continue(t, 0);
                    return;
                case PTRACE_EVENT_SECCOMP:
                    SyscallStop(t); // the filter's stop at syscall entry
                    Continue(t, 0);
                    return;
                case PTRACE_EVENT_STOP:
                    if (sig is SIGSTOP or SIGTSTP or SIGTTIN or SIGTTOU)
                        GroupStop(t);
                    else
                        Continue(t, 0); // PTRACE_INTERRUPT, first stop of a new child, SIGCONT notification
                    return;
                default:
                    Continue(t, 0);
                    return;
            }
        }

        // Signal-delivery-stop: pass the signal on, except the bootstrap shell's own SIGSTOP.
        if (_bootstrap == Bootstrap.AwaitingStop && pid == _mainPid && sig == SIGSTOP)
        {
            sig = 0;
            _bootstrap = AfterBootstrapStop;
        }
        Continue(t, sig);
    }

    private void GroupStop(ThreadState t)
    {
        if (_detaching)
        {
            Detach(t, 0);
        }
        else if (_bootstrap != Bootstrap.Done && t.Tid == _mainPid)
        {
            if (_bootstrap == Bootstrap.AwaitingStop)
                _bootstrap = AfterBootstrapStop;
            // The bootstrap shell stopped itself before we seized it: undo the job-control stop.
            kill(t.Tid, SIGCONT);
            Continue(t, 0);
        }
        else
        {
            // A real job-control stop (kill -STOP, ^Z): keep it stopped without resuming it, and
            // still get notified when it is continued (PTRACE_SEIZE semantics).
            if (ptrace(PTRACE_LISTEN, t.Tid, 0, 0) != 0 && LastErrno != ESRCH)
                Continue(t, 0); // never leave a thread parked in a ptrace-stop nobody will end
        }
    }

    private void Continue(ThreadState t, int sig)
    {
        if (_detaching)
        {
            Detach(t, sig);
            return;
        }
        int request;
        if (_bootstrap != Bootstrap.Done && t.Tid == _mainPid)
        {
            // The bootstrap shell runs with PTRACE_CONT (its syscalls are not traced), except for the
            // one syscall stop where the seccomp filter is put in.
            request = _bootstrap == Bootstrap.AwaitingSyscall ? PTRACE_SYSCALL : PTRACE_CONT;
        }
        else if (_seccomp)
        {
            // The filter stops the thread at the syscalls of interest; the exit stop is only asked for
            // when the result is needed (an I/O on a netlink socket in progress).
            request = t.Call != IoCall.None ? PTRACE_SYSCALL : PTRACE_CONT;
        }
        else
        {
            request = PTRACE_SYSCALL;
        }
        ptrace(request, t.Tid, 0, sig); // ESRCH: killed meanwhile; its exit status follows
    }

    private Bootstrap AfterBootstrapStop => _wantSeccomp ? Bootstrap.AwaitingSyscall : Bootstrap.AwaitingExec;

    /// <summary>
    /// The bootstrap shell's first syscall stop after its SIGSTOP: the entry of its exec of the command.
    /// The seccomp filter goes in there (<see cref="SeccompFilter"/>); either way the shell then runs on
    /// with PTRACE_CONT and re-issues the exec, and Launch returns knowing the mode.
    /// </summary>
    private void InstallFilter(ThreadState t)
    {
        PtraceSyscallInfo info;
        if (ptrace(PTRACE_GET_SYSCALL_INFO, t.Tid, sizeof(PtraceSyscallInfo), (nint)(&info)) <= 0 || info.Op != PTRACE_SYSCALL_INFO_ENTRY)
        {
            Continue(t, 0); // an exit stop (not expected): the entry of the next syscall will do
            return;
        }
        var deferred = new List<int>();
        SeccompFilter.Outcome outcome = SeccompFilter.TryInstall(t.Tid, info, deferred, out string reason, out int goneStatus);
        DebugLog?.Invoke($"seccomp filter: {outcome} {reason}");
        _bootstrap = Bootstrap.AwaitingExec;
        if (outcome == SeccompFilter.Outcome.Installed)
        {
            Volatile.Write(ref _seccomp, true);
            _modeDescription = FilteredSyscalls;
        }
        else
        {
            _modeDescription = EverySyscall + ": " + reason;
        }
        _started.Set();
        if (outcome == SeccompFilter.Outcome.Gone)
        {
            ThreadGone(t.Tid, goneStatus);
            return;
        }
        Continue(t, 0);
        foreach (int sig in deferred)
            kill(t.Tid, sig);
    }

    private void Detach(ThreadState t, int sig)
    {
        ptrace(PTRACE_DETACH, t.Tid, 0, sig);
        RemoveThread(t.Tid);
    }

    private bool ProbeSyscallInfo(int pid)
    {
        PtraceSyscallInfo info;
        if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(PtraceSyscallInfo), (nint)(&info)) >= 0)
            return true;
        return LastErrno == ESRCH; // gone: nothing to conclude
    }

    // ---------------------------------------------------------------- threads and processes

    private ThreadState GetOrRegister(int tid, int tgid = 0)
    {
        if (_threads.TryGetValue(tid, out ThreadState? t))
            return t;
        if (tgid <= 0)
            tgid = ReadTgid(tid);
        if (tgid <= 0)
            tgid = tid;
        return Register(tid, tgid, preExisting: false);
    }

    private ThreadState Register(int tid, int tgid, bool preExisting)
    {
        if (!_procs.TryGetValue(tgid, out ProcState? proc))
        {
            // A process that existed before Attach may share its fd table with anything.
            proc = new ProcState(tgid) { FdTableMaybeShared = preExisting };
            _procs[tgid] = proc;
            lock (_sync)
            {
                _liveTgids.Add(tgid);
                if (_spawned && _stopRequested)
                    kill(tgid, SIGKILL); // born after Stop(): the tree is being killed
            }
        }
        proc.Threads++;
        proc.Fds.Clear();
        var t = new ThreadState(tid, proc);
        _threads[tid] = t;
        return t;
    }

    private ThreadState? RemoveThread(int tid)
    {
        if (!_threads.Remove(tid, out ThreadState? t))
            return null;
        ProcState proc = t.Proc;
        proc.Fds.Clear();
        if (--proc.Threads <= 0)
        {
            _procs.Remove(proc.Tgid);
            lock (_sync)
                _liveTgids.Remove(proc.Tgid);
        }
        return t;
    }

    /// <summary>PTRACE_EVENT_FORK/VFORK/CLONE: register the child (its own first stop may come before or after).</summary>
    private void NewChild(ThreadState parent, int child, int ev)
    {
        bool known = parent.CloneFlagsKnown;
        ulong flags = parent.CloneFlags;
        int tgid = 0;
        if (known)
            tgid = (flags & CLONE_THREAD) != 0 ? parent.Tgid : child;
        else if (ev != PTRACE_EVENT_CLONE)
            tgid = child; // fork and vfork events never create threads
        ThreadState c = GetOrRegister(child, tgid);
        if (c.Proc != parent.Proc && (!known || (flags & CLONE_FILES) != 0))
        {
            // Two processes on one fd table: a close in one is invisible in the other's syscalls.
            c.Proc.FdTableMaybeShared = true;
            parent.Proc.FdTableMaybeShared = true;
            c.Proc.Fds.Clear();
            parent.Proc.Fds.Clear();
        }
    }

    private void ThreadGone(int tid, int status)
    {
        if (RemoveThread(tid) is null)
            return;
        if (tid == _mainPid)
        {
            // A traced group leader is reported last, after all its threads: the process is gone.
            lock (_sync)
            {
                if (WIFEXITED(status))
                    _exitCode = WEXITSTATUS(status);
                else
                    _terminatingSignal = WTERMSIG(status);
            }
            _hasExited = true;
        }
    }

    private void Exec(ThreadState t)
    {
        // After execve the caller has the thread group id as tid; if a non-leader thread exec'ed, the
        // event message holds its former tid, which vanishes without an exit report. The other
        // threads are reported as exited.
        ulong former;
        if (ptrace(PTRACE_GETEVENTMSG, t.Tid, 0, (nint)(&former)) == 0 && (int)former != t.Tid)
            RemoveThread((int)former);
        t.Call = IoCall.None;
        t.Socket = null;
        t.Proc.Fds.Clear(); // O_CLOEXEC fds are gone
        t.Proc.Comm = null; // new program name
        if (t.Tid == _mainPid && _bootstrap == Bootstrap.AwaitingSyscall)
        {
            _modeDescription = EverySyscall + ": the bootstrap shell made no syscall stop before its exec";
            _started.Set();
        }
        if (t.Tid == _mainPid && _bootstrap is Bootstrap.AwaitingExec or Bootstrap.AwaitingSyscall)
            _bootstrap = Bootstrap.Done; // the command proper starts now: trace its syscalls
    }

    private string Comm(ProcState proc)
    {
        if (proc.Comm is { } name)
            return name;
        try
        {
            name = File.ReadAllText("/proc/" + proc.Tgid + "/comm").TrimEnd('\n');
        }
        catch (IOException)
        {
            name = "?";
        }
        catch (UnauthorizedAccessException)
        {
            name = "?";
        }
        proc.Comm = name;
        return name;
    }

    private static int ReadTgid(int pid) => ReadStatusField(pid, "Tgid:") ?? 0;

    private static int? ReadStatusField(int pid, string field)
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/" + pid + "/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal) && int.TryParse(line.AsSpan(field.Length).Trim(), out int v))
                    return v;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static List<int> ListTasks(int tgid)
    {
        var tids = new List<int>();
        try
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc/" + tgid + "/task"))
            {
                if (int.TryParse(Path.GetFileName(dir), out int tid))
                    tids.Add(tid);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        tids.Sort(); // leader first
        return tids;
    }

    private void EmergencyCleanup()
    {
        // Best effort after an unexpected failure. Spawned: kill everything. Attached: the thread is
        // about to exit and the kernel then detaches every tracee (they keep running).
        if (_spawned)
        {
            foreach (ThreadState t in _threads.Values)
                kill(t.Tgid, SIGKILL);
            int st;
            while (_threads.Count > 0)
            {
                int pid = waitpid(-1, &st, __WALL | __WNOTHREAD);
                if (pid < 0 && LastErrno != EINTR)
                    break;
                if (pid > 0 && !WIFSTOPPED(st))
                    ThreadGone(pid, st);
            }
        }
    }

    // ---------------------------------------------------------------- syscalls

    private void SyscallStop(ThreadState t)
    {
        PtraceSyscallInfo info;
        if (ptrace(PTRACE_GET_SYSCALL_INFO, t.Tid, sizeof(PtraceSyscallInfo), (nint)(&info)) <= 0)
            return;

        if (info.Op is PTRACE_SYSCALL_INFO_ENTRY or PTRACE_SYSCALL_INFO_SECCOMP)
        {
            t.Call = IoCall.None;
            t.Socket = null;
            t.CloneFlagsKnown = false;
            IoCall call = SyscallTable.Classify(info.Arch, info.Nr);
            switch (call)
            {
                case IoCall.None:
                    return;
                case IoCall.FdClose:
                    t.Proc.Fds.Clear();
                    // And again at exit when that stop comes anyway. With the seccomp filter, clearing at
                    // entry is enough: the cache is only used by a single-threaded process with its own fd
                    // table, which makes no other syscall before this one returns.
                    if (!_seccomp)
                        t.Call = call;
                    return;
                case IoCall.Fork:
                    t.CloneFlags = 0;
                    t.CloneFlagsKnown = true;
                    return;
                case IoCall.Clone:
                    t.CloneFlags = info.Arg0;
                    t.CloneFlagsKnown = true;
                    return;
                case IoCall.Clone3:
                    {
                        ulong flags = 0;
                        t.CloneFlagsKnown = info.Arg0 != 0 && ReadExact(t.Tid, info.Arg0, (byte*)&flags, sizeof(ulong));
                        t.CloneFlags = t.CloneFlagsKnown ? flags : 0;
                        return;
                    }
            }

            if (IsPeek(call, info))
                return; // a peek (iproute2 sizes its buffer with MSG_PEEK|MSG_TRUNC) is not reported: no exit stop needed

            int fd = (int)info.Arg0;
            NetlinkSocket? sock = ResolveFd(t, fd);
            if (sock is null)
                return;
            t.Call = call;
            t.Fd = fd;
            t.Socket = sock;
            t.Arg1 = info.Arg1;
            t.Arg2 = info.Arg2;
            t.Arg3 = info.Arg3;
        }
        else if (info.Op == PTRACE_SYSCALL_INFO_EXIT)
        {
            IoCall call = t.Call;
            NetlinkSocket? sock = t.Socket;
            t.Call = IoCall.None;
            t.Socket = null;
            if (call == IoCall.FdClose)
            {
                t.Proc.Fds.Clear();
                return;
            }
            if (call == IoCall.None || sock is null || info.IsError != 0 || info.RVal <= 0)
                return; // not ours, or failed: errors produce nothing
            try
            {
                Capture(t, call, sock, info.RVal);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Unreadable memory or a racing exit must not stop the trace; drop this one syscall.
            }
        }
    }

    private static bool IsPeek(IoCall call, in PtraceSyscallInfo entry) => call switch
    {
        IoCall.RecvFrom or IoCall.RecvMmsg => ((int)entry.Arg3 & MSG_PEEK) != 0,
        IoCall.RecvMsg => ((int)entry.Arg2 & MSG_PEEK) != 0,
        _ => false,
    };

    private NetlinkSocket? ResolveFd(ThreadState t, int fd)
    {
        ProcState proc = t.Proc;
        bool cache = proc.CanCacheFds;
        if (cache && proc.Fds.TryGetValue(fd, out NetlinkSocket? cached))
        {
            if (cached is { Bound: false })
                _resolver.Refresh(t.Tid, cached);
            return cached;
        }
        if (!_resolver.TryResolve(t.Tid, fd, out NetlinkSocket? sock))
            return null; // not open (the syscall will fail) or the thread is gone: do not cache
        if (cache)
            proc.Fds[fd] = sock;
        return sock;
    }

    private void Capture(ThreadState t, IoCall call, NetlinkSocket sock, long rval)
    {
        if (!sock.Bound)
            _resolver.Refresh(t.Tid, sock); // autobind happened inside the first send
        int tid = t.Tid;
        switch (call)
        {
            case IoCall.Write:
            case IoCall.SendTo:
            case IoCall.Read:
                {
                    long len = Math.Min(rval, (long)Math.Min(t.Arg2, long.MaxValue));
                    Emit(t, call, sock, ReadRange(tid, t.Arg1, len, out bool capped), capped);
                    return;
                }
            case IoCall.RecvFrom:
                {
                    if (((int)t.Arg3 & MSG_PEEK) != 0)
                        return; // a peek (iproute2 sizes its buffer with MSG_PEEK|MSG_TRUNC); the real recv follows
                    // With MSG_TRUNC the return value is the datagram size, possibly more than the buffer.
                    long len = Math.Min(rval, (long)Math.Min(t.Arg2, long.MaxValue));
                    Emit(t, call, sock, ReadRange(tid, t.Arg1, len, out bool capped), capped || rval > len);
                    return;
                }
            case IoCall.Writev:
            case IoCall.Readv:
                {
                    Span<Native.IoVec> iov = t.Arg2 <= SmallIov ? stackalloc Native.IoVec[SmallIov] : new Native.IoVec[Math.Min(t.Arg2, MaxIov)];
                    iov = ReadIov(tid, t.Arg1, t.Arg2, iov);
                    Emit(t, call, sock, Gather(tid, iov, rval, out bool capped), capped);
                    return;
                }
            case IoCall.SendMsg:
            case IoCall.RecvMsg:
                {
                    if (call == IoCall.RecvMsg && ((int)t.Arg2 & MSG_PEEK) != 0)
                        return;
                    byte* hdr = stackalloc byte[MsghdrSize];
                    if (!ReadExact(tid, t.Arg1, hdr, MsghdrSize))
                        return;
                    EmitMsghdr(t, call, sock, hdr, rval);
                    return;
                }
            case IoCall.SendMmsg:
            case IoCall.RecvMmsg:
                {
                    if (call == IoCall.RecvMmsg && ((int)t.Arg3 & MSG_PEEK) != 0)
                        return;
                    // rval = number of messages processed; each msg_len says how many bytes.
                    long count = Math.Min(rval, (long)Math.Min(t.Arg2, 1024));
                    byte* mm = stackalloc byte[MmsghdrSize];
                    for (long i = 0; i < count; i++)
                    {
                        if (!ReadExact(tid, t.Arg1 + (ulong)(i * MmsghdrSize), mm, MmsghdrSize))
                            return;
                        uint msgLen = *(uint*)(mm + MsghdrSize);
                        EmitMsghdr(t, call, sock, mm, msgLen);
                    }
                    return;
                }
        }
    }

    /// <summary>One struct msghdr: msg_iov at +16, msg_iovlen at +24, msg_flags (output on receive) at +48.</summary>
    private void EmitMsghdr(ThreadState t, IoCall call, NetlinkSocket sock, byte* hdr, long length)
    {
        ulong iovPtr = *(ulong*)(hdr + 16);
        ulong iovLen = *(ulong*)(hdr + 24);
        int flags = *(int*)(hdr + 48);
        Span<Native.IoVec> iov = iovLen <= SmallIov ? stackalloc Native.IoVec[SmallIov] : new Native.IoVec[Math.Min(iovLen, MaxIov)];
        iov = ReadIov(t.Tid, iovPtr, iovLen, iov);
        byte[] data = Gather(t.Tid, iov, length, out bool capped);
        bool truncated = capped || (!SyscallTable.IsSend(call) && ((flags & MSG_TRUNC) != 0 || length > data.Length));
        Emit(t, call, sock, data, truncated);
    }

    private void Emit(ThreadState t, IoCall call, NetlinkSocket sock, byte[] data, bool truncated)
    {
        if (data.Length == 0)
            return;
        _events.Add(new TracedNetlinkIo
        {
            Timestamp = DateTimeOffset.UtcNow,
            ProcessId = t.Tgid,
            ThreadId = t.Tid,
            ProcessName = Comm(t.Proc),
            Direction = SyscallTable.IsSend(call) ? NetlinkDirection.ToKernel : NetlinkDirection.FromKernel,
            NetlinkProtocol = sock.Protocol,
            PortId = sock.PortId,
            FileDescriptor = t.Fd,
            Syscall = SyscallTable.Name(call),
            Data = data,
            Truncated = truncated,
        });
    }

    // ---------------------------------------------------------------- tracee memory

    private static bool ReadExact(int tid, ulong addr, byte* dst, int len)
    {
        var local = new Native.IoVec { Base = (ulong)dst, Len = (ulong)len };
        var remote = new Native.IoVec { Base = addr, Len = (ulong)len };
        return process_vm_readv(tid, &local, 1, &remote, 1, 0) == len;
    }

    private static byte[] ReadRange(int tid, ulong addr, long len, out bool capped)
    {
        Span<Native.IoVec> one = [new Native.IoVec { Base = addr, Len = (ulong)Math.Max(len, 0) }];
        return Gather(tid, one, len, out capped);
    }

    private const int SmallIov = 8; // iovec arrays up to this size are read onto the stack

    /// <summary>The tracee's iovec array (at most UIO_MAXIOV entries) into <paramref name="buffer"/>; empty if unreadable.</summary>
    private static Span<Native.IoVec> ReadIov(int tid, ulong addr, ulong count, Span<Native.IoVec> buffer)
    {
        if (addr == 0 || count == 0)
            return [];
        int n = (int)Math.Min(count, (ulong)buffer.Length);
        fixed (Native.IoVec* p = buffer)
        {
            if (!ReadExact(tid, addr, (byte*)p, n * sizeof(Native.IoVec)))
                return [];
        }
        return buffer[..n];
    }

    /// <summary>The first <paramref name="total"/> bytes spread over the tracee's iovecs, in one process_vm_readv.</summary>
    private static byte[] Gather(int tid, Span<Native.IoVec> iov, long total, out bool capped)
    {
        capped = total > MaxCapture;
        long want = Math.Min(total, MaxCapture);
        // The wanted prefix of the iovecs, compacted in place (empty entries dropped, the last one cut).
        int count = 0;
        long sum = 0;
        foreach (Native.IoVec v in iov)
        {
            if (sum >= want)
                break;
            if (v.Len == 0)
                continue;
            ulong take = Math.Min(v.Len, (ulong)(want - sum));
            iov[count++] = new Native.IoVec { Base = v.Base, Len = take };
            sum += (long)take;
        }
        if (sum == 0)
            return [];

        var data = new byte[sum];
        nint got;
        fixed (byte* d = data)
        fixed (Native.IoVec* r = iov)
        {
            var local = new Native.IoVec { Base = (ulong)d, Len = (ulong)sum };
            got = process_vm_readv(tid, &local, 1, r, (nuint)count, 0);
        }
        if (got <= 0)
            return [];
        if (got < sum)
        {
            // Partially unmapped buffer: keep what was readable.
            Array.Resize(ref data, (int)got);
            capped = true;
        }
        return data;
    }
}
