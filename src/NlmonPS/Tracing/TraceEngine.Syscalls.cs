using System.Collections.Concurrent;
using NlmonPS.Decoding;
using static NlmonPS.Tracing.Native;

namespace NlmonPS.Tracing;

// The tracer: syscalls.
internal sealed unsafe partial class TraceEngine
{
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
}
