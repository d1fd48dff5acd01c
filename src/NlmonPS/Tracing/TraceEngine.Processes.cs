using System.Collections.Concurrent;
using NlmonPS.Decoding;
using static NlmonPS.Tracing.Native;

namespace NlmonPS.Tracing;

// The tracer: threads and processes.
internal sealed unsafe partial class TraceEngine
{
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
}
