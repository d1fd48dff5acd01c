using System.Collections.Concurrent;
using NlmonPS.Decoding;
using static NlmonPS.Tracing.Native;

namespace NlmonPS.Tracing;

// The tracer: tracee memory.
internal sealed unsafe partial class TraceEngine
{
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
