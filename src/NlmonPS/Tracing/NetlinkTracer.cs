using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace NlmonPS.Tracing;

/// <summary>
/// Runs a command (or attaches to a process) under ptrace and reports every buffer it sends to or
/// receives from an AF_NETLINK socket, across forks, threads and execs.
///
/// Typical use (cmdlet): Start/Attach, loop on <see cref="TryTake"/> until <see cref="IsCompleted"/>,
/// call <see cref="Stop"/> from StopProcessing, then look at <see cref="Error"/> and
/// <see cref="ExitCode"/>/<see cref="TerminatingSignal"/>.
///
/// The event queue is unbounded on purpose: a slow consumer must never stall the traced command.
/// </summary>
internal sealed class NetlinkTracer : IDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly BlockingCollection<TracedNetlinkIo> _events;
    private readonly TraceEngine _engine;

    private readonly CommandStdio? _stdio;

    private NetlinkTracer(BlockingCollection<TracedNetlinkIo> events, TraceEngine engine, CommandStdio? stdio = null)
    {
        _events = events;
        _engine = engine;
        _stdio = stdio;
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> (PATH is searched, relative to <paramref name="workingDirectory"/>
    /// for relative entries) with the given arguments and traces it from its first instruction. The
    /// command gets this process' environment (.NET view, i.e. $env:); its stdin/stdout/stderr are this process's
    /// (<see cref="CommandOutput.Host"/>, the default), /dev/null, or read line by line (<see cref="TryTakeOutput"/>).
    /// When the tracer goes away the whole traced tree is killed (PTRACE_O_EXITKILL).
    /// </summary>
    /// <exception cref="TraceException">CommandNotFound, PtraceNotPermitted, UnsupportedKernel, Other.</exception>
    public static NetlinkTracer Start(string fileName, IReadOnlyList<string> arguments, string? workingDirectory = null, CommandOutput output = CommandOutput.Host) =>
        Start(fileName, arguments, workingDirectory, seccomp: Environment.GetEnvironmentVariable("NLMONPS_TRACE_SECCOMP") != "0", output);

    /// <param name="seccomp">
    /// Try the seccomp-bpf filter (only the syscalls the tracer decodes stop). False forces the stop at
    /// every syscall entry and exit, as for an attached process (also NLMONPS_TRACE_SECCOMP=0 in the
    /// environment, for comparisons).
    /// </param>
    internal static NetlinkTracer Start(string fileName, IReadOnlyList<string> arguments, string? workingDirectory, bool seccomp,
        CommandOutput output = CommandOutput.Host)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        if (workingDirectory is not null)
        {
            workingDirectory = Path.GetFullPath(workingDirectory);
            if (!Directory.Exists(workingDirectory))
                throw new TraceException(TraceErrorKind.Other, $"Working directory '{workingDirectory}' does not exist.", Native.ENOENT);
        }
        string path = Spawner.ResolveCommand(fileName, workingDirectory);
        var events = new BlockingCollection<TracedNetlinkIo>();
        var stdio = CommandStdio.Create(output);
        TraceEngine engine;
        try
        {
            engine = TraceEngine.Launch(events, spawned: true, path, arguments.ToArray(), workingDirectory, 0, seccomp, stdio.Streams);
        }
        catch
        {
            stdio.Dispose();
            throw;
        }
        stdio.Started();
        return new NetlinkTracer(events, engine, stdio);
    }

    /// <summary>
    /// Attaches to every thread of a running process (and follows what it forks from now on).
    /// <see cref="Stop"/> detaches and leaves the process running.
    /// </summary>
    /// <exception cref="TraceException">ProcessNotFound, PtraceNotPermitted, UnsupportedKernel, Other.</exception>
    public static NetlinkTracer Attach(int processId)
    {
        if (processId <= 0)
            throw new TraceException(TraceErrorKind.ProcessNotFound, $"Invalid process id {processId}.", Native.ESRCH);
        var events = new BlockingCollection<TracedNetlinkIo>();
        TraceEngine engine = TraceEngine.Launch(events, spawned: false, null, [], null, processId);
        return new NetlinkTracer(events, engine);
    }

    /// <summary>The started command's pid, or the attached process' thread group id.</summary>
    public int ProcessId => _engine.MainPid;

    /// <summary>True for <see cref="Attach"/>, false for <see cref="Start"/>.</summary>
    public bool IsAttached => !_engine.IsSpawned;

    /// <summary>
    /// True when a seccomp-bpf filter limits the stops to the syscalls that can move netlink data or change
    /// what an fd is (started commands on x86-64 when the kernel allows it); false when every syscall stops.
    /// </summary>
    public bool UsesSeccompFilter => _engine.UsesSeccomp;

    /// <summary>Wait statuses handled so far (ptrace stops and exits): what tracing costs the command.</summary>
    internal long StopCount => _engine.StopCount;

    /// <summary>The tracing mode in words, with the reason when the seccomp filter is not used.</summary>
    public string ModeDescription => _engine.ModeDescription;

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the next event. False on timeout, and (at once) when
    /// tracing has ended and every event was taken: then <see cref="IsCompleted"/> is true.
    /// </summary>
    public bool TryTake([NotNullWhen(true)] out TracedNetlinkIo? item, TimeSpan timeout) =>
        _events.TryTake(out item, timeout);

    /// <summary>
    /// Blocking enumeration of the events; ends when tracing has ended (command and everything it
    /// started exited, or Stop) and throws <see cref="Error"/> at the end if the tracer failed.
    /// Cancelling the token throws OperationCanceledException but does not stop tracing.
    /// </summary>
    public IEnumerable<TracedNetlinkIo> ReadEvents(CancellationToken cancellationToken = default)
    {
        foreach (TracedNetlinkIo item in _events.GetConsumingEnumerable(cancellationToken))
            yield return item;
        if (_engine.Error is { } error)
            throw error;
    }

    /// <summary>
    /// The next line the started command wrote to its stdout or stderr, when started with <see cref="CommandOutput.Stream"/>.
    /// Never blocks; the lines of each stream come in order.
    /// </summary>
    public bool TryTakeOutput([NotNullWhen(true)] out CommandOutputLine? line)
    {
        line = null;
        return _stdio is not null && _stdio.TryTake(out line) && line is not null;
    }

    /// <summary>Waits up to <paramref name="timeout"/> until the command's output has ended (every process holding it exited).</summary>
    public bool WaitForOutputEnd(TimeSpan timeout) => _stdio is null || _stdio.WaitForEnd(timeout);

    /// <summary>Tracing has ended and all events have been taken.</summary>
    public bool IsCompleted => _events.IsCompleted;

    /// <summary>Why tracing ended early, if it did (the event stream still completes normally).</summary>
    public TraceException? Error => _engine.Error;

    /// <summary>The started (or attached) process itself has exited; its descendants may still run and be traced.</summary>
    public bool HasExited => _engine.HasExited;

    /// <summary>Exit status of the process when it exited normally; null while running, when killed by a signal, or after a detach.</summary>
    public int? ExitCode => _engine.ExitCode;

    /// <summary>The signal that killed the process (shells report 128 + this), null otherwise.</summary>
    public int? TerminatingSignal => _engine.TerminatingSignal;

    /// <summary>Waits until tracing has ended (the event queue may still hold events).</summary>
    public bool WaitForCompletion(TimeSpan timeout) => _engine.Join(timeout);

    /// <summary>
    /// Ends tracing. Started command: SIGKILL to every traced process (the command's tree).
    /// Attached process: every thread is detached (pending signals passed on; a job-control-stopped
    /// process stays stopped) and keeps running. Waits up to 10 s for that to finish; events already
    /// captured stay available. Safe to call from any thread, more than once.
    /// </summary>
    public void Stop()
    {
        _engine.RequestStop();
        _engine.Join(StopTimeout);
    }

    public void Dispose() => Stop();
}
