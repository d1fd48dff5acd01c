using System.Runtime.InteropServices;
using NlmonPS.Decoding;
using NlmonPS.Tracing;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Trace;

/// <summary>
/// The seccomp-bpf path of the ptrace engine: for a started command only the syscalls the engine decodes stop
/// (PTRACE_EVENT_SECCOMP), the rest run untouched; the stop at every syscall remains as the fallback (forced here
/// through the internal switch) and for attach. Both paths must see exactly the same netlink traffic.
/// </summary>
public sealed class TraceSeccompTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nlmonps-seccomp-").FullName;

    private static bool X64 => RuntimeInformation.ProcessArchitecture == Architecture.X64;

    private sealed record Trace(List<TracedNetlinkIo> Events, bool Seccomp, string Mode, long Stops, int? ExitCode);

    private static Trace Run(bool seccomp, string file, params string[] args)
    {
        using var tracer = NetlinkTracer.Start(file, args, null, seccomp);
        var events = tracer.ReadEvents().ToList();
        Assert.True(tracer.WaitForCompletion(TimeSpan.FromSeconds(30)));
        Assert.Null(tracer.Error);
        return new Trace(events, tracer.UsesSeccompFilter, tracer.ModeDescription, tracer.StopCount, tracer.ExitCode);
    }

    /// <summary>What a netlink buffer says apart from sequence numbers and port ids (which change per run): its message types and lengths.</summary>
    private static string Shape(TracedNetlinkIo io)
    {
        var parts = new List<string>();
        int off = 0;
        while (off + 16 <= io.Data.Length)
        {
            uint len = BitConverter.ToUInt32(io.Data, off);
            ushort type = BitConverter.ToUInt16(io.Data, off + 4);
            parts.Add($"{type}/{len}");
            if (len < 16) break;
            off += (int)((len + 3) & ~3u);
        }
        return $"{io.ProcessName} {io.Direction} {io.Syscall} {(NetlinkProtocol)io.NetlinkProtocol} [{string.Join(' ', parts)}]";
    }

    /// <summary>The buffer is a run of complete netlink messages, the last one ending exactly at its end.</summary>
    private static bool WholeMessages(byte[] data)
    {
        int off = 0;
        while (off + 16 <= data.Length)
        {
            int len = (int)BitConverter.ToUInt32(data, off);
            if (len < 16 || off + len > data.Length) return false;
            off += (len + 3) & ~3;
        }
        return off == data.Length;
    }

    [Fact]
    public void FilterTracesExactlyTheSyscallsTheEngineClassifies()
    {
        foreach (uint arch in new[] { SyscallTable.AUDIT_ARCH_X86_64, SyscallTable.AUDIT_ARCH_AARCH64 })
        {
            byte[] program = SeccompFilter.Build(arch);
            for (uint nr = 0; nr < 1024; nr++)
            {
                uint expected = SyscallTable.Classify(arch, nr) == IoCall.None ? SeccompFilter.SECCOMP_RET_ALLOW : SeccompFilter.SECCOMP_RET_TRACE;
                Assert.Equal(expected, SeccompFilter.Evaluate(program, arch, nr));
            }
            // The netlink I/O calls, close and clone are among them; execve (an event stop anyway) is not.
            Assert.Equal(SeccompFilter.SECCOMP_RET_TRACE, SeccompFilter.Evaluate(program, arch, arch == SyscallTable.AUDIT_ARCH_X86_64 ? 47u : 212u)); // recvmsg
            Assert.Equal(SeccompFilter.SECCOMP_RET_ALLOW, SeccompFilter.Evaluate(program, arch, arch == SyscallTable.AUDIT_ARCH_X86_64 ? 59u : 221u)); // execve
            // Another arch's syscall (a 32-bit int 0x80 call, ignored by the engine) and x32 numbers run untraced.
            Assert.Equal(SeccompFilter.SECCOMP_RET_ALLOW, SeccompFilter.Evaluate(program, 0x40000003 /* i386 */, 102));
            Assert.Equal(SeccompFilter.SECCOMP_RET_ALLOW, SeccompFilter.Evaluate(program, arch, 0x40000000 | 47));
        }
        Assert.Contains(3u, SyscallTable.Traced(SyscallTable.AUDIT_ARCH_X86_64)); // close
        Assert.Contains(56u, SyscallTable.Traced(SyscallTable.AUDIT_ARCH_X86_64)); // clone
    }

    [Fact]
    public void ManyOtherSyscallsStillYieldExactlyTheNetlinkTraffic()
    {
        // Lots of file I/O, directory walks and pipes (read/write/close stop at the filter, the rest does not),
        // netlink in between, and the data the command moves must arrive intact (no syscall may fail with ENOSYS).
        string script = $"""
            set -e
            dd if=/dev/zero of={_dir}/zero bs=512 count=2000 2>/dev/null
            ls -lR /usr/share/doc >/dev/null 2>&1 || true
            ip link show lo >/dev/null
            printf 'netlink\n' | cat | tr a-z A-Z > {_dir}/out
            ip -d addr show dev lo >/dev/null
            cat {_dir}/zero | wc -c > {_dir}/count
            """;
        var filtered = Run(seccomp: true, "/bin/sh", "-c", script);
        var every = Run(seccomp: false, "/bin/sh", "-c", script);

        Assert.Equal(0, filtered.ExitCode);
        Assert.Equal(0, every.ExitCode);
        Assert.Equal("NETLINK", File.ReadAllText(Path.Combine(_dir, "out")).Trim());
        Assert.Equal("1024000", File.ReadAllText(Path.Combine(_dir, "count")).Trim());

        Assert.Equal(X64, filtered.Seccomp);
        Assert.False(every.Seccomp);
        Assert.Contains("turned off", every.Mode);
        if (X64) Assert.StartsWith("seccomp filter", filtered.Mode);

        // Same traffic, buffer for buffer: the two ip runs, nothing from dd, ls, cat or tr.
        Assert.NotEmpty(filtered.Events);
        Assert.Equal(every.Events.Select(Shape), filtered.Events.Select(Shape));
        Assert.All(filtered.Events, e => Assert.Equal("ip", e.ProcessName));
        Assert.Contains(filtered.Events, e => e.Direction == NetlinkDirection.ToKernel);
        Assert.Contains(filtered.Events, e => e.Direction == NetlinkDirection.FromKernel);
        Assert.Equal(2, filtered.Events.Select(e => e.ProcessId).Distinct().Count());

        // And far fewer stops: only read/write/close/clone and the netlink calls stop, once (twice for netlink).
        if (X64) Assert.True(filtered.Stops * 4 < every.Stops, $"seccomp {filtered.Stops} stops, every syscall {every.Stops}");
    }

    [Fact]
    public void ThreadsAndChildrenOfTheCommandAreTraced()
    {
        // nltest threads 4: four threads, each a dump on its own unbound socket (sendto + recv); started from a
        // shell (fork + exec), with a second child after it: the filter is inherited by every one of them.
        string nltest = NetlinkTestProgram.Path;
        var t = Run(seccomp: true, "/bin/sh", "-c", $"{nltest} threads 4 && ip link show lo >/dev/null");
        Assert.Equal(0, t.ExitCode);
        Assert.Equal(X64, t.Seccomp);

        var threads = t.Events.Where(e => e.ProcessName == "nltest").ToList();
        int pid = Assert.Single(threads.Select(e => e.ProcessId).Distinct());
        var tids = threads.Select(e => e.ThreadId).Distinct().ToList();
        Assert.Equal(4, tids.Count);
        Assert.DoesNotContain(pid, tids); // the main thread only waits
        foreach (int tid in tids)
        {
            var mine = threads.Where(e => e.ThreadId == tid).ToList();
            Assert.Equal("sendto", Assert.Single(mine, e => e.Direction == NetlinkDirection.ToKernel).Syscall);
            Assert.Contains(mine, e => e.Direction == NetlinkDirection.FromKernel);
            Assert.All(mine, e => Assert.NotEqual(0u, e.PortId)); // autobind seen after the first send
        }
        var ip = t.Events.Where(e => e.ProcessName == "ip").ToList();
        Assert.NotEmpty(ip);
        Assert.NotEqual(pid, ip[0].ProcessId);
    }

    [Fact]
    public void BuffersSplitOverIovecsAreGatheredInBothModes()
    {
        // sendmsg over two iovecs, recvmsg into three (16 + 100 + 64k bytes), then the same with writev/readv.
        foreach (bool seccomp in new[] { true, false })
        {
            var t = Run(seccomp, NetlinkTestProgram.Path, "iov");
            Assert.Equal(0, t.ExitCode);
            var sends = t.Events.Where(e => e.Direction == NetlinkDirection.ToKernel).ToList();
            Assert.Equal(new[] { "sendmsg", "writev" }, sends.Select(e => e.Syscall));
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(20, sends[i].Data.Length); // nlmsghdr + rtgenmsg, from both iovecs
                Assert.Equal(18, BitConverter.ToUInt16(sends[i].Data, 4)); // RTM_GETLINK
                Assert.Equal(42u + (uint)i, BitConverter.ToUInt32(sends[i].Data, 8));
            }
            foreach (string call in new[] { "recvmsg", "readv" })
            {
                var replies = t.Events.Where(e => e.Syscall == call).ToList();
                Assert.NotEmpty(replies);
                Assert.All(replies, e => Assert.Equal(NetlinkDirection.FromKernel, e.Direction));
                // Every buffer is a whole run of messages across the iovec boundaries; the last one ends the dump.
                Assert.All(replies, e => Assert.True(WholeMessages(e.Data), Shape(e)));
                Assert.Contains(replies, e => e.Data.Length > 116); // spans all three iovecs
                Assert.Contains("3/20", Shape(replies[^1])); // NLMSG_DONE
                Assert.All(replies, e => Assert.False(e.Truncated));
            }
        }
    }

    [Fact]
    public void ForcedFallbackTracesEverySyscallAndStillWorks()
    {
        var t = Run(seccomp: false, "ip", "link", "show");
        Assert.Equal(0, t.ExitCode);
        Assert.False(t.Seccomp);
        Assert.StartsWith("every syscall stops", t.Mode);
        Assert.Contains(t.Events, e => e.Direction == NetlinkDirection.ToKernel && BitConverter.ToUInt16(e.Data, 4) == 18); // RTM_GETLINK
        Assert.Contains(t.Events, e => e.Direction == NetlinkDirection.FromKernel && BitConverter.ToUInt16(e.Data, 4) == 16); // RTM_NEWLINK
    }

    [Fact]
    public void SignalsAndExitStatusPassThroughTheFilteredCommand()
    {
        // A trap handler runs (signals reach the command), the exit code is the command's, and a command that fails
        // to exec is reported like a shell would (the filter went into the bootstrap shell before that exec).
        var trapped = Run(seccomp: true, "/bin/sh", "-c", $"trap 'echo caught > {_dir}/trap; exit 7' USR1; kill -USR1 $$; sleep 5");
        Assert.Equal(7, trapped.ExitCode);
        Assert.Equal("caught", File.ReadAllText(Path.Combine(_dir, "trap")).Trim());
        Assert.Equal(X64, trapped.Seccomp);

        string notExecutable = Path.Combine(_dir, "plain");
        File.WriteAllText(notExecutable, "");
        File.SetUnixFileMode(notExecutable, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var empty = Run(seccomp: true, notExecutable);
        Assert.Equal(0, empty.ExitCode); // an empty executable file is run by the shell as a script
        Assert.Empty(empty.Events);
    }

    [Fact]
    public void VerboseNamesTheMode()
    {
        using var shell = new PowerShellHost();
        var r = shell.Run("Trace-NetlinkCommand { ip link show lo } -Verbose");
        Assert.Empty(r.Errors);
        string mode = Assert.Single(r.Verbose, v => v.StartsWith("Tracing mode: ", StringComparison.Ordinal));
        Assert.Contains(X64 ? "seccomp filter" : "every syscall stops", mode);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
