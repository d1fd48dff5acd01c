using NlmonPS.Tracing;
using Xunit;

namespace NlmonPS.Tests.Trace;

/// <summary>
/// Where a started command's stdout and stderr go (<see cref="CommandOutput"/>): read line by line, /dev/null, or this
/// process's own. Over SSH remoting this process's stdout is the session's channel, so Stream is what the cmdlet uses
/// by default; the Pester files check the cmdlet and the remoting itself.
/// </summary>
public sealed class TraceOutputTests : IDisposable
{
    private readonly PowerShellHost _host = new();

    private static List<CommandOutputLine> Lines(NetlinkTracer tracer)
    {
        tracer.ReadEvents().ToList();
        Assert.True(tracer.WaitForOutputEnd(TimeSpan.FromSeconds(10)));
        var lines = new List<CommandOutputLine>();
        while (tracer.TryTakeOutput(out var line)) lines.Add(line);
        return lines;
    }

    [Fact]
    public void StreamReadsStdoutAndStderrLineByLine()
    {
        using var tracer = NetlinkTracer.Start("sh", ["-c", "echo one; echo two >&2; printf 'three\\r\\nfour'; ip link show lo >/dev/null"], null, CommandOutput.Stream);
        var lines = Lines(tracer);
        Assert.Equal(new[] { "one", "three", "four" }, lines.Where(l => !l.IsError).Select(l => l.Text));
        Assert.Equal(new[] { "two" }, lines.Where(l => l.IsError).Select(l => l.Text));
        Assert.Equal(0, tracer.ExitCode);
    }

    [Fact]
    public void StreamGivesDevNullAsStdin()
    {
        using var tracer = NetlinkTracer.Start("sh", ["-c", "cat; echo end"], null, CommandOutput.Stream);
        Assert.Equal(new[] { "end" }, Lines(tracer).Select(l => l.Text));
    }

    [Fact]
    public void StreamBoundsALineWithoutNewline()
    {
        using var tracer = NetlinkTracer.Start("sh", ["-c", "head -c 50000 /dev/zero | tr '\\000' y"], null, CommandOutput.Stream);
        var lines = Lines(tracer);
        Assert.Equal(50000, lines.Sum(l => l.Text.Length));
        Assert.All(lines, l => Assert.True(l.Text.Length <= 16 * 1024));
    }

    [Fact]
    public void NoneHasNoLines()
    {
        using var tracer = NetlinkTracer.Start("sh", ["-c", "echo hidden; ip link show lo"], null, CommandOutput.None);
        Assert.NotEmpty(tracer.ReadEvents().ToList());
        Assert.True(tracer.WaitForOutputEnd(TimeSpan.Zero));
        Assert.False(tracer.TryTakeOutput(out _));
    }

    [Fact]
    public void TheCmdletWritesTheLinesToTheInformationStream()
    {
        var r = _host.Run("""
            $m = Trace-NetlinkCommand { sh -c 'echo hello; echo bad >&2; ip link show lo >/dev/null' } -InformationVariable iv
            $m.Count -gt 0
            $iv | ForEach-Object { '{0}:{1}' -f $_.Tags[1], $_.MessageData }
            """);
        Assert.Null(r.Terminating);
        var output = r.Output.Select(o => o.ToString()).ToList();
        Assert.Equal("True", output[0]);
        Assert.Equal(new[] { "stderr:bad", "stdout:hello" }, output.Skip(1).Order(StringComparer.Ordinal));
    }

    public void Dispose() => _host.Dispose();
}
