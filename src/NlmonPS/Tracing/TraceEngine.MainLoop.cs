using System.Collections.Concurrent;
using NlmonPS.Decoding;
using static NlmonPS.Tracing.Native;

namespace NlmonPS.Tracing;

// The tracer: main loop.
internal sealed unsafe partial class TraceEngine
{
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
}
