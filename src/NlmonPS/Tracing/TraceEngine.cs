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
internal sealed unsafe partial class TraceEngine
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
}
