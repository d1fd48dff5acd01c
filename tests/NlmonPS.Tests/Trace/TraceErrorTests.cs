using System.Management.Automation;
using NlmonPS.Cmdlets;
using NlmonPS.Tracing;
using Xunit;

namespace NlmonPS.Tests.Trace;

/// <summary>Every way Trace-NetlinkCommand can fail names the cause, with a stable ErrorId, category and target.</summary>
public sealed class TraceErrorTests : IDisposable
{
    private readonly PowerShellHost _shell = new();

    private ErrorRecord SingleError(string script, IDictionary<string, object?>? variables = null)
    {
        var r = _shell.Run(script, variables);
        if (r.Terminating is RuntimeException { ErrorRecord: { } terminating }) return terminating;
        Assert.Empty(r.Output);
        return Assert.Single(r.Errors);
    }

    [Theory]
    [InlineData("Trace-NetlinkCommand -FilePath no-such-program-nlmonps", "no-such-program-nlmonps", "not found in PATH")]
    [InlineData("Trace-NetlinkCommand -FilePath /nonexistent/prog link", "/nonexistent/prog", "does not exist")]
    [InlineData("Trace-NetlinkCommand { no-such-program-nlmonps link show }", "no-such-program-nlmonps", "not found in PATH")]
    public void CommandNotFound(string script, string target, string text)
    {
        var e = SingleError(script);
        Assert.Equal("TraceCommandNotFound,NlmonPS.Cmdlets.TraceNetlinkCommandCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Equal(target, e.TargetObject);
        Assert.Contains(text, e.Exception.Message);
    }

    /// <summary>
    /// Issue #16.8: attaching, as nobody (no CAP_SYS_PTRACE), to a process of root names the owner, not Yama. The
    /// module runs in nlmonps-host under setpriv, since the test process itself is root.
    /// </summary>
    [Fact]
    public async Task AnotherUsersProcessNamesTheOwner()
    {
        var host = new[] { "Release", "Debug" }
            .Select(c => Path.Combine(ModuleLoader.RepoRoot, "src", "NlmonPS.Host", "bin", c, "net10.0", "nlmonps-host")).FirstOrDefault(File.Exists);
        if (host is null || !File.Exists("/usr/bin/setpriv") || Environment.UserName != "root") Assert.Skip("needs root, setpriv and a built nlmonps-host");
        using var target = System.Diagnostics.Process.Start("sleep", "60");
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/setpriv")
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
                Environment = { ["HOME"] = "/tmp", ["DOTNET_CLI_HOME"] = "/tmp", ["DOTNET_NOLOGO"] = "1" },
            };
            foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", host,
                         $"try {{ Trace-NetlinkCommand -ProcessId {target.Id} -ErrorAction Stop }} catch {{ 'ERROR ' + $_.FullyQualifiedErrorId + ' ' + $_.Exception.Message }}" })
                psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(120_000), "nlmonps-host as nobody finished");
            var text = await stdout + await stderr;
            if (text.Contains("Permission denied", StringComparison.Ordinal) && !text.Contains("ERROR", StringComparison.Ordinal))
                Assert.Skip($"nobody cannot run the host from this checkout: {text}");
            Assert.Contains("ERROR TracePtraceNotPermitted", text);
            Assert.Contains($"Process {target.Id} belongs to user 'root'", text);
            Assert.Contains("not to you (user 'nobody'", text);
            Assert.Contains("CAP_SYS_PTRACE", text);
            Assert.DoesNotContain("yama", text, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            target.Kill();
        }
    }

    [Fact]
    public void ProcessGone()
    {
        // A pid above pid_max never exists.
        int pid = int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim(), System.Globalization.CultureInfo.InvariantCulture) + 1;
        var e = SingleError("Trace-NetlinkCommand -ProcessId $p", new Dictionary<string, object?> { ["p"] = pid });
        Assert.Equal("TraceProcessNotFound,NlmonPS.Cmdlets.TraceNetlinkCommandCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Equal(pid, e.TargetObject);
    }

    [Fact]
    public void PtraceRefusedForAProcessAlreadyTraced()
    {
        // strace holds the sleep: a second tracer gets EPERM, and the message says who holds it.
        int strace = TraceProcesses.SpawnDetached("exec strace -f -o /dev/null sleep 60");
        try
        {
            int sleeper = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (sleeper == 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                var children = $"/proc/{strace}/task/{strace}/children";
                if (File.Exists(children) && File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var first, ..])
                    sleeper = int.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
                // strace forks short-lived probe children at start: wait for the traced sleep itself.
                if (sleeper != 0 && (TraceProcesses.TracerPid(sleeper) != strace || Comm(sleeper) != "sleep")) sleeper = 0;
                Thread.Sleep(20);
            }
            Assert.NotEqual(0, sleeper);
            var e = SingleError("Trace-NetlinkCommand -ProcessId $p", new Dictionary<string, object?> { ["p"] = sleeper });
            Assert.Equal("TracePtraceNotPermitted,NlmonPS.Cmdlets.TraceNetlinkCommandCommand", e.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.PermissionDenied, e.CategoryInfo.Category);
            Assert.Equal(sleeper, e.TargetObject);
            Assert.Contains($"already traced by process {strace}", e.Exception.Message);
        }
        finally
        {
            TraceProcesses.Kill(strace);
        }
    }

    private static string? Comm(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return null; }
    }

    [Fact]
    public void AChildOfThisProcessIsRefused()
    {
        // .NET reaps the children it starts on every SIGCHLD and would take the tracee's stop reports: attaching
        // would leave the child stopped for good (seen: the trace hangs). Refused up front instead.
        using var child = System.Diagnostics.Process.Start("/bin/sleep", "30");
        try
        {
            var e = SingleError("Trace-NetlinkCommand -ProcessId $p -Duration 1", new Dictionary<string, object?> { ["p"] = child.Id });
            Assert.Equal("TraceProcessIsChildOfHost,NlmonPS.Cmdlets.TraceNetlinkCommandCommand", e.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidOperation, e.CategoryInfo.Category);
            Assert.Contains("sh -c 'command &'", e.Exception.Message);
            Assert.Equal(0, TraceProcesses.TracerPid(child.Id));
            Assert.False(child.HasExited);
        }
        finally
        {
            child.Kill();
        }
    }

    [Fact]
    public void PtraceRefusedForItself()
    {
        var e = SingleError("Trace-NetlinkCommand -ProcessId $PID");
        Assert.Equal("TracePtraceNotPermitted,NlmonPS.Cmdlets.TraceNetlinkCommandCommand", e.FullyQualifiedErrorId);
        Assert.Equal(Environment.ProcessId, e.TargetObject);
    }

    /// <summary>ThrowTerminatingError inside a script ends the statement: the record lands in the error stream.</summary>
    private static ErrorRecord StatementTerminating(PowerShellHost.Result r)
    {
        if (r.Terminating is RuntimeException { ErrorRecord: { } thrown }) return thrown;
        Assert.True(r.Errors.Count == 1, r.ToString());
        return r.Errors[0];
    }

    [Theory]
    [InlineData(nameof(TraceErrorKind.CommandNotFound), 0, "TraceCommandNotFound", ErrorCategory.ObjectNotFound)]
    [InlineData(nameof(TraceErrorKind.PtraceNotPermitted), 1, "TracePtraceNotPermitted", ErrorCategory.PermissionDenied)]
    [InlineData(nameof(TraceErrorKind.ProcessNotFound), 3, "TraceProcessNotFound", ErrorCategory.ObjectNotFound)]
    [InlineData(nameof(TraceErrorKind.UnsupportedKernel), 5, "TraceUnsupportedKernel", ErrorCategory.NotInstalled)]
    [InlineData(nameof(TraceErrorKind.ChildOfTracer), 0, "TraceProcessIsChildOfHost", ErrorCategory.InvalidOperation)]
    [InlineData(nameof(TraceErrorKind.Other), 2, "TraceFailed", ErrorCategory.ObjectNotFound)]
    [InlineData(nameof(TraceErrorKind.Other), 12, "TraceFailed", ErrorCategory.InvalidOperation)]
    public void EngineErrorsMapToStableIds(string kindName, int errno, string id, ErrorCategory category)
    {
        var kind = Enum.Parse<TraceErrorKind>(kindName); // the engine's kinds are internal: rows name them
        // UnsupportedKernel (Linux < 5.3, no PTRACE_GET_SYSCALL_INFO) cannot happen on this kernel: checked here.
        var record = ErrorRecords.From(new TraceException(kind, "why", errno), "target");
        Assert.Equal(id, record.FullyQualifiedErrorId);
        Assert.Equal(category, record.CategoryInfo.Category);
        Assert.Equal("target", record.TargetObject);
    }

    [Theory]
    [InlineData(null, 11, ErrorCategory.OperationStopped, "killed by signal 11 (SIGSEGV)")]
    [InlineData(127, null, ErrorCategory.ObjectNotFound, "exited with code 127")]
    [InlineData(126, null, ErrorCategory.PermissionDenied, "exited with code 126")]
    [InlineData(1, null, ErrorCategory.InvalidResult, "exited with code 1")]
    public void CommandFailureCategories(int? exit, int? signal, ErrorCategory category, string text)
    {
        var record = ErrorRecords.CommandFailed("cmd", 42, exit, signal, null);
        Assert.Equal("TracedCommandFailed", record.FullyQualifiedErrorId);
        Assert.Equal(category, record.CategoryInfo.Category);
        Assert.Contains(text, record.Exception.Message);
    }

    [Fact]
    public void ShellCannotFindTheCommand()
    {
        // The program exists (sh), the command it runs does not: exit 127, ObjectNotFound.
        var r = _shell.Run("Trace-NetlinkCommand { sh -c 'exec no-such-program-nlmonps 2>/dev/null' }");
        var e = Assert.Single(r.Errors);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Equal(127, _shell.Variable("LASTEXITCODE"));
    }

    [Theory]
    [InlineData("{ ip link | Where-Object x }", "is a pipeline")]
    [InlineData("{ ip link; ip addr }", "holds 2 statements")]
    [InlineData("{ ip link > /dev/null }", "Redirections")]
    [InlineData("{ ip link 2>&1 }", "Redirections")]
    [InlineData("{ }", "is empty")]
    [InlineData("{ Where-Object x }", "'Where-Object' is a PowerShell cmdlet, not a native program")]
    [InlineData("{ where x }", "is a PowerShell alias of Where-Object")]
    [InlineData("{ function f {}; f }", "holds 2 statements")]
    [InlineData("{ if ($true) { ip link } }", "is a PowerShell statement")]
    [InlineData("{ 'ip link' }", "is an expression")]
    [InlineData("{ . ip link }", "Dot-sourcing")]
    [InlineData("{ param($x) ip link }", "param()")]
    [InlineData("{ ip --% link show\n}", "stop-parsing")]
    [InlineData("{ ip link { x } }", "script block argument")]
    public void ScriptBlocksThatAreNotOneNativeCommandLine(string block, string text)
    {
        var r = _shell.Run($"Trace-NetlinkCommand {block}");
        var e = StatementTerminating(r);
        Assert.Equal("TraceScriptBlockNotCommandLine,NlmonPS.Cmdlets.TraceNetlinkCommandCommand", e!.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.IsType<ScriptBlock>(e.TargetObject);
        Assert.Contains(text, e.Exception.Message);
        Assert.Empty(r.Output);
    }

    [Fact]
    public void AFunctionShadowingAProgramIsRefused()
    {
        var r = _shell.Run("function ip { 'not the program' }; Trace-NetlinkCommand { ip link }");
        var e = StatementTerminating(r);
        Assert.Contains("'ip' is a PowerShell function", e.Exception.Message);
        Assert.Matches(@"To trace the program /[a-z/]+/ip, write its path \(\{ /[a-z/]+/ip \.\.\. \}\) or use -FilePath ip\.", e.Exception.Message);
        Assert.Empty(r.Output);
        // -FilePath never looks at PowerShell commands.
        var ok = _shell.Run("Trace-NetlinkCommand -FilePath unshare -ArgumentList '-n', 'ip', 'link' -MessageType RTM_GETLINK");
        Assert.Single(ok.Output);
    }

    [Fact]
    public void DurationMustBePositive()
    {
        var r = _shell.Run("Trace-NetlinkCommand { true } -Duration 0");
        Assert.Equal("InvalidDuration,NlmonPS.Cmdlets.TraceNetlinkCommandCommand", StatementTerminating(r).FullyQualifiedErrorId);
    }

    public void Dispose() => _shell.Dispose();
}
