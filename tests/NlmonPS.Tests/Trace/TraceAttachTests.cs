using System.Diagnostics;
using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Trace;

/// <summary>
/// -ProcessId attaches to a running process and detaches cleanly on every way out (-Duration, -Count, Ctrl+C);
/// Ctrl+C on a started command kills it. The process to attach to is a shell loop that runs ip every 0.2 s.
/// </summary>
public sealed class TraceAttachTests : IDisposable
{
    private const string Loop = "while :; do ip link >/dev/null; sleep 0.2; done";
    private readonly PowerShellHost _shell = new();
    private readonly List<int> _started = new();

    private int StartLoop()
    {
        int pid = TraceProcesses.SpawnDetached(Loop);
        _started.Add(pid);
        Assert.True(TraceProcesses.IsAlive(pid));
        return pid;
    }

    /// <summary>Detached means: alive, traced by nobody, not parked in a stop, and still doing its work.</summary>
    private static void AssertRunningUntraced(int pid)
    {
        var clock = Stopwatch.StartNew();
        while (TraceProcesses.TracerPid(pid) != 0 && clock.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(20);
        Assert.True(TraceProcesses.IsAlive(pid), "the process keeps running");
        Assert.Equal(0, TraceProcesses.TracerPid(pid));
        Thread.Sleep(300);
        Assert.NotEqual('t', TraceProcesses.State(pid));
        Assert.NotEqual('T', TraceProcesses.State(pid));
        // Still looping: it starts new ip processes (children come and go, so look a few times).
        var children = new HashSet<string>();
        for (int i = 0; i < 20 && children.Count < 2; i++)
        {
            var task = $"/proc/{pid}/task/{pid}/children";
            if (File.Exists(task)) foreach (var c in File.ReadAllText(task).Split(' ', StringSplitOptions.RemoveEmptyEntries)) children.Add(c);
            Thread.Sleep(100);
        }
        Assert.True(children.Count >= 2, "the loop keeps starting commands after the detach");
    }

    [Fact]
    public void AttachForADurationFollowsForksAndDetaches()
    {
        int pid = StartLoop();
        var clock = Stopwatch.StartNew();
        var r = _shell.Run("Trace-NetlinkCommand -ProcessId $p -Duration 2 -Verbose", new Dictionary<string, object?> { ["p"] = pid });
        clock.Stop();
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(15));
        var m = r.Messages;
        Assert.Contains(m, x => x.TypeName == "RTM_GETLINK" && x.Direction == NetlinkDirection.ToKernel);
        Assert.Contains(m, x => x.TypeName == "RTM_NEWLINK" && x.Direction == NetlinkDirection.FromKernel);
        // The netlink traffic is the forked ip children's, never the shell's own.
        Assert.All(m, x => Assert.Equal("ip", x.ProcessName));
        // No seccomp filter for an attached process: it could not be taken away again at the detach.
        Assert.Contains(r.Verbose, v => v.StartsWith("Tracing mode: every syscall stops", StringComparison.Ordinal) && v.Contains("attached process"));
        Assert.All(m, x => Assert.NotEqual(pid, x.ProcessId));
        Assert.True(m.Select(x => x.ProcessId).Distinct().Count() >= 2, "several loop iterations in 2 s");
        Assert.Contains(r.Verbose, v => v.Contains("keeps running", StringComparison.Ordinal));
        AssertRunningUntraced(pid);
    }

    [Fact]
    public void AttachUntilCountDetaches()
    {
        int pid = StartLoop();
        var r = _shell.Run("Trace-NetlinkCommand -Id $p -Count 3", new Dictionary<string, object?> { ["p"] = pid });
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal(3, r.Messages.Count);
        AssertRunningUntraced(pid);
    }

    [Fact]
    public void CtrlCDetachesFromAnAttachedProcess()
    {
        int pid = StartLoop();
        using var running = _shell.Start("Trace-NetlinkCommand -ProcessId $p", new Dictionary<string, object?> { ["p"] = pid });
        Assert.True(running.WaitForOutput(5, TimeSpan.FromSeconds(20)), "messages arrive while tracing");
        var took = running.Stop();
        Assert.True(running.Wait(TimeSpan.FromSeconds(15)));
        Assert.True(took < TimeSpan.FromSeconds(11), $"the stop took {took}");
        AssertRunningUntraced(pid);
    }

    [Fact]
    public void CtrlCKillsAStartedCommand()
    {
        using var running = _shell.Start("Trace-NetlinkCommand { sh -c 'while :; do ip link >/dev/null; sleep 0.1; done' } -Verbose");
        Assert.True(running.WaitForOutput(3, TimeSpan.FromSeconds(20)), "messages arrive while tracing");
        int pid = TraceProcesses.TracedPid(running.Verbose);
        running.Stop();
        Assert.True(running.Wait(TimeSpan.FromSeconds(15)));
        var clock = Stopwatch.StartNew();
        while (TraceProcesses.IsAlive(pid) && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
        Assert.False(TraceProcesses.IsAlive(pid), "the traced command was killed with the trace");
    }

    [Fact]
    public void APipelineTornDownEndsTheTrace()
    {
        // A downstream command failing ends the pipeline: the cmdlet is disposed and the traced tree killed at once.
        // (Select-Object -First does the same; the hosted engine has no Select-Object, the Pester suite checks it.)
        var clock = Stopwatch.StartNew();
        var r = _shell.Run("$n = 0; Trace-NetlinkCommand { sh -c 'while :; do ip link >/dev/null; sleep 0.1; done' } -Verbose | ForEach-Object { $_; if (++$n -ge 4) { throw 'enough' } }");
        Assert.Contains("enough", r.Terminating?.Message ?? string.Join(" ", r.Errors));
        Assert.Equal(4, _shell.Variable("n"));
        int pid = TraceProcesses.TracedPid(r.Verbose);
        while (TraceProcesses.IsAlive(pid) && clock.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(20);
        Assert.False(TraceProcesses.IsAlive(pid), "the traced command was killed with the trace");
    }

    [Fact]
    public void DurationEndsAStartedCommand()
    {
        var r = _shell.Run("Trace-NetlinkCommand { sh -c 'while :; do ip link >/dev/null; sleep 0.1; done' } -Duration 1.5 -Verbose");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.NotEmpty(r.Messages);
        Assert.Contains(r.Verbose, v => v.StartsWith("-Duration ended the trace", StringComparison.Ordinal));
        Assert.False(TraceProcesses.IsAlive(TraceProcesses.TracedPid(r.Verbose)));
    }

    public void Dispose()
    {
        foreach (var pid in _started) TraceProcesses.Kill(pid);
        _shell.Dispose();
    }
}
