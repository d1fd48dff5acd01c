using System.Diagnostics;
using System.Management.Automation;
using NlmonPS.Cmdlets;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Trace;

/// <summary>
/// Trace-NetlinkCommand on this machine's kernel (no nlmon needed): real commands, traced with ptrace, their
/// netlink conversation decoded. Commands that change anything run in a private network namespace (unshare -n).
/// </summary>
public sealed class TraceCommandTests : IDisposable
{
    private readonly PowerShellHost _shell = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("nlmonps-trace-").FullName;

    private PowerShellHost.Result Run(string script) => _shell.Run(script, new Dictionary<string, object?> { ["dir"] = _dir });

    private static void Clean(PowerShellHost.Result r)
    {
        if (r.Terminating is not null || r.Errors.Count > 0) Assert.Fail(r.ToString());
    }

    [Fact]
    public void LinkShowRequestsAndRepliesWithDirectionsAndProcess()
    {
        var r = Run("Trace-NetlinkCommand { unshare -n ip link show } -Verbose");
        Clean(r);
        var m = r.Messages;
        int pid = TraceProcesses.TracedPid(r.Verbose);

        var request = Assert.Single(m, x => x.TypeName == "RTM_GETLINK");
        Assert.Equal(NetlinkDirection.ToKernel, request.Direction);
        Assert.False(request.DirectionInferred);
        Assert.Contains("DUMP", request.FlagNames);
        var replies = m.Where(x => x.TypeName == "RTM_NEWLINK" && x.Direction == NetlinkDirection.FromKernel).ToList();
        Assert.Equal("lo", Assert.Single(replies).Attributes["ifname"]); // a fresh namespace has only lo
        Assert.Equal(request.Sequence, replies[0].Sequence);
        var done = Assert.Single(m, x => x.TypeName == "NLMSG_DONE");
        Assert.Equal(NetlinkDirection.FromKernel, done.Direction);
        Assert.Equal(request.Sequence, done.Sequence);

        // unshare execs ip: same pid throughout, named ip after the exec.
        Assert.All(m, x =>
        {
            Assert.Equal(pid, x.ProcessId);
            Assert.Equal(pid, x.ThreadId);
            Assert.Equal("ip", x.ProcessName);
            Assert.Equal($"trace:ip[{pid}]", x.Source);
            Assert.Equal(NetlinkProtocol.Route, x.Protocol);
            Assert.False(x.IsMalformed, x.MalformedReason);
        });
        Assert.True(m.Zip(m.Skip(1)).All(p => p.First.RecordNumber < p.Second.RecordNumber
            || (p.First.RecordNumber == p.Second.RecordNumber && p.First.Index < p.Second.Index)), "records numbered in order");
        Assert.Equal(0, _shell.Variable("LASTEXITCODE"));
    }

    [Fact]
    public void MultiMessageRepliesAreSplit()
    {
        // Four links (lo and two veth pairs... ) in one dump reply buffer: one record, several messages.
        var r = Run("Trace-NetlinkCommand { unshare -n sh -c 'ip link add v0 type veth peer v1 && ip link add w0 type veth peer w1 && ip link show >/dev/null' } -MessageType RTM_NEWLINK, NLMSG_DONE");
        Clean(r);
        var replies = r.Messages.Where(x => x.Direction == NetlinkDirection.FromKernel && x.TypeName == "RTM_NEWLINK").ToList();
        Assert.Equal(new[] { "lo", "v1", "v0", "w1", "w0" }.Order(), replies.Select(x => (string)x.Attributes["ifname"]!).Order());
        var record = replies.GroupBy(x => x.RecordNumber).OrderByDescending(g => g.Count()).First();
        Assert.True(record.Count() >= 2, "a dump reply buffer holds several messages");
        Assert.Equal(Enumerable.Range(record.First().Index, record.Count()), record.Select(x => x.Index));
        // The creation requests are there too, with their flags read as NEW requests.
        var creates = r.Messages.Where(x => x.Direction == NetlinkDirection.ToKernel && x.TypeName == "RTM_NEWLINK" && x.FlagNames.Contains("CREATE")).ToList();
        Assert.Equal(2, creates.Count);
        Assert.Equal(new[] { "v0", "w0" }, creates.Select(c => (string)c.Attributes["ifname"]!));
        Assert.All(creates, c => Assert.Equal("veth", c.Attributes["linkinfo"] is NetlinkFields li ? li["kind"] : null));
    }

    [Fact]
    public void AddressAddIsAcknowledged()
    {
        var r = Run("Trace-NetlinkCommand { unshare -n ip addr add 10.9.0.1/24 dev lo }");
        Clean(r);
        var request = Assert.Single(r.Messages, x => x.TypeName == "RTM_NEWADDR");
        Assert.Equal(NetlinkDirection.ToKernel, request.Direction);
        Assert.Equal("10.9.0.1", request.Attributes["local"]?.ToString());
        Assert.Equal((byte)24, request.Header["prefixlen"]);
        var ack = Assert.Single(r.Messages, x => x.TypeName == "NLMSG_ERROR" && x.Sequence == request.Sequence);
        Assert.Equal(NetlinkDirection.FromKernel, ack.Direction);
        Assert.True(ack.Error!.IsAck);
        Assert.Equal(0, _shell.Variable("LASTEXITCODE"));
    }

    [Fact]
    public void FailingCommandShowsTheKernelErrorWithItsExtendedAck()
    {
        // ipvlan is not built into this kernel: EOPNOTSUPP with the text "Unknown device type". (ip first probes
        // with a RTM_NEWLINK of sequence 0, which gets ENODEV.)
        var r = Run("Trace-NetlinkCommand { unshare -n ip link add bad0 type ipvlan mode l3 }; $ok = $?");
        Assert.Null(r.Terminating);
        var error = Assert.Single(r.Messages, x => x.Error is { IsAck: false } && x.Sequence != 0);
        Assert.Equal(NetlinkDirection.FromKernel, error.Direction);
        Assert.Equal("EOPNOTSUPP", error.Error!.ErrorName);
        Assert.Equal("Unknown device type", error.Error.ExtendedMessage);
        Assert.Equal("RTM_NEWLINK", error.Error.Request!.TypeName);
        Assert.Equal("bad0", error.Error.Request.Attributes["ifname"]);

        var failed = Assert.Single(r.Errors);
        Assert.Equal("TracedCommandFailed,NlmonPS.Cmdlets.TraceNetlinkCommandCommand", failed.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, failed.CategoryInfo.Category);
        Assert.Equal("unshare -n ip link add bad0 type ipvlan mode l3", failed.TargetObject);
        var e = Assert.IsType<TracedCommandFailedException>(failed.Exception);
        Assert.Equal(2, e.ExitCode);
        Assert.Null(e.Signal);
        Assert.Contains("exited with code 2", e.Message);
        Assert.Contains("Unknown device type", e.Message);
        Assert.Equal("EOPNOTSUPP", e.LastKernelError!.ErrorName);
        Assert.Equal(false, _shell.Variable("ok"));
        Assert.Equal(2, _shell.Variable("LASTEXITCODE"));
    }

    [Fact]
    public void InvalidArgumentErrors()
    {
        // macvlan on lo: EINVAL (this kernel sends no text for it); an MTU over a veth's maximum: EINVAL with the
        // extended ACK's text and the offending attribute.
        var r = Run("Trace-NetlinkCommand { unshare -n sh -c 'ip link add bad0 link lo type macvlan; ip link add v0 type veth peer v1; ip link set v0 mtu 100000' } -MessageType NLMSG_ERROR");
        var errors = r.Messages.Where(x => x.Error is { IsAck: false } && x.Sequence != 0).ToList(); // not ip's ENODEV probes
        Assert.Equal(2, errors.Count);
        Assert.All(errors, x => Assert.Equal("EINVAL", x.Error!.ErrorName));
        Assert.Equal("bad0", errors[0].Error!.Request!.Attributes["ifname"]);
        Assert.Equal("macvlan", ((NetlinkFields)errors[0].Error!.Request!.Attributes["linkinfo"]!)["kind"]);
        Assert.Equal("mtu greater than device maximum", errors[1].Error!.ExtendedMessage);
        Assert.Equal(100000u, errors[1].Error!.Request!.Attributes["mtu"]);
        Assert.StartsWith("EINVAL Invalid argument (RTM_NEWLINK seq ", errors[1].Summary);
        Assert.EndsWith(": mtu greater than device maximum", errors[1].Summary);
        // The shell's exit code is the last command's.
        var failed = Assert.Single(r.Errors);
        Assert.Equal(2, ((TracedCommandFailedException)failed.Exception).ExitCode);
    }

    [Fact]
    public void ForkingCommandGivesEachProcessItsOwnPid()
    {
        var r = Run("Trace-NetlinkCommand { unshare -n sh -c 'ip link >/dev/null; ip addr >/dev/null; true' } -Verbose");
        Clean(r);
        int shell = TraceProcesses.TracedPid(r.Verbose);
        var link = r.Messages.First(x => x.TypeName == "RTM_GETLINK");
        var addr = r.Messages.First(x => x.TypeName == "RTM_GETADDR");
        Assert.All(r.Messages.Where(x => x.TypeName == "RTM_GETADDR"), x => Assert.Equal(addr.ProcessId, x.ProcessId));
        Assert.DoesNotContain(r.Messages, x => x.ProcessId == link.ProcessId && x.TypeName is "RTM_GETADDR" or "RTM_NEWADDR");
        Assert.NotEqual(link.ProcessId, addr.ProcessId);
        Assert.NotEqual(shell, link.ProcessId);
        Assert.NotEqual(shell, addr.ProcessId);
        Assert.All(r.Messages, x => Assert.Equal("ip", x.ProcessName));
        // Each process' replies carry its own pid, and go to its own socket.
        Assert.All(r.Messages.Where(x => x.Sequence == addr.Sequence && x.Direction == NetlinkDirection.FromKernel), x =>
        {
            Assert.Equal(addr.ProcessId, x.ProcessId);
            Assert.Equal($"trace:ip[{addr.ProcessId}]", x.Source);
        });
        Assert.Contains(r.Messages, x => x.TypeName == "NLMSG_DONE" && x.Sequence == addr.Sequence && x.ProcessId == addr.ProcessId);
    }

    [Fact]
    public void ThreadsAreToldApart()
    {
        var r = _shell.Run("Trace-NetlinkCommand -FilePath unshare -ArgumentList '-n', $p, 'threads', '4' -Verbose",
            new Dictionary<string, object?> { ["p"] = NetlinkTestProgram.Path });
        Clean(r);
        int pid = TraceProcesses.TracedPid(r.Verbose);
        var requests = r.Messages.Where(x => x.TypeName == "RTM_GETLINK").ToList();
        Assert.Equal(4, requests.Count);
        Assert.All(r.Messages, x => Assert.Equal(pid, x.ProcessId));
        Assert.All(r.Messages, x => Assert.Equal("nltest", x.ProcessName));
        var threads = requests.Select(x => x.ThreadId!.Value).Distinct().ToList();
        Assert.Equal(4, threads.Count);
        Assert.DoesNotContain(pid, threads);
        // Every thread's reply came back on that thread, to its own (autobound) socket.
        foreach (var q in requests)
        {
            var done = Assert.Single(r.Messages, x => x.TypeName == "NLMSG_DONE" && x.Sequence == q.Sequence);
            Assert.Equal(q.ThreadId, done.ThreadId);
            Assert.NotEqual(0u, done.PortId);
            Assert.Contains(r.Messages, x => x.TypeName == "RTM_NEWLINK" && x.Sequence == q.Sequence && x.ThreadId == q.ThreadId);
        }
    }

    [Fact]
    public void CommandKilledBySignal()
    {
        var r = Run("Trace-NetlinkCommand { sh -c 'ip link >/dev/null; kill -9 $$' } -Verbose");
        Assert.Null(r.Terminating);
        int shell = TraceProcesses.TracedPid(r.Verbose);
        Assert.Contains(r.Messages, x => x.TypeName == "RTM_NEWLINK" && x.ProcessName == "ip" && x.ProcessId != shell);
        var failed = Assert.Single(r.Errors);
        Assert.Equal("TracedCommandFailed,NlmonPS.Cmdlets.TraceNetlinkCommandCommand", failed.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationStopped, failed.CategoryInfo.Category);
        var e = Assert.IsType<TracedCommandFailedException>(failed.Exception);
        Assert.Equal(9, e.Signal);
        Assert.Equal("SIGKILL", e.SignalName);
        Assert.Null(e.ExitCode);
        Assert.Contains("killed by signal 9 (SIGKILL)", e.Message);
        Assert.Equal(137, _shell.Variable("LASTEXITCODE"));
    }

    [Fact]
    public void GenericFamiliesOfTheKernelDecodeByName()
    {
        // The program sends to tcp_metrics by number, without asking nlctrl: the name comes from the kernel's list.
        int id = NetlinkTestProgram.FamilyId("tcp_metrics");
        var r = _shell.Run("Trace-NetlinkCommand -FilePath $p -ArgumentList genl, $id", new Dictionary<string, object?> { ["p"] = NetlinkTestProgram.Path, ["id"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Clean(r);
        Assert.DoesNotContain(r.Messages, x => x.Family == "nlctrl");
        var request = Assert.Single(r.Messages, x => x.Direction == NetlinkDirection.ToKernel);
        Assert.Equal(NetlinkProtocol.Generic, request.Protocol);
        Assert.Equal(id, request.Type);
        Assert.Equal("tcp_metrics", request.Family);

        // An id the kernel does not have: the user's -GenericFamily map names it; the kernel says ENOENT.
        var u = _shell.Run("Trace-NetlinkCommand -FilePath $p -ArgumentList genl, 999 -GenericFamily @{ 999 = 'myfamily' }", new Dictionary<string, object?> { ["p"] = NetlinkTestProgram.Path });
        var mine = Assert.Single(u.Messages, x => x.Direction == NetlinkDirection.ToKernel);
        Assert.Equal("myfamily", mine.Family);
        Assert.Equal("myfamily", Assert.Single(u.Messages, x => x.Error is { IsAck: false }).Error!.Request!.Family);
        Assert.Equal(4, ((TracedCommandFailedException)Assert.Single(u.Errors).Exception).ExitCode);
    }

    [Fact]
    public void NlctrlRepliesInTheTraceTeachFamilies()
    {
        // ip tcp_metrics resolves its family through nlctrl first: the reply is decoded and the family named.
        var r = Run("Trace-NetlinkCommand { unshare -n ip tcp_metrics show } -Protocol Generic");
        Clean(r);
        var ask = Assert.Single(r.Messages, x => x.Command == "CTRL_CMD_GETFAMILY");
        Assert.Equal("tcp_metrics", ask.Attributes["family_name"]);
        var answer = Assert.Single(r.Messages, x => x.Command == "CTRL_CMD_NEWFAMILY");
        Assert.Equal(NetlinkDirection.FromKernel, answer.Direction);
        Assert.Contains(r.Messages, x => x.Family == "tcp_metrics" && x.Direction == NetlinkDirection.ToKernel && x.Type == (ushort)answer.Attributes["family_id"]!);
        Assert.All(r.Messages, x => Assert.Equal(NetlinkProtocol.Generic, x.Protocol));
    }

    [Fact]
    public void FiltersAndCount()
    {
        // lo has its addresses once it is up.
        var types = Run("Trace-NetlinkCommand { unshare -n sh -c 'ip link set lo up && ip addr show >/dev/null' } -MessageType RTM_NEWADDR");
        Clean(types);
        Assert.NotEmpty(types.Messages);
        Assert.All(types.Messages, x => Assert.Equal("RTM_NEWADDR", x.TypeName));
        Assert.Contains(types.Messages, x => x.Attributes["address"]?.ToString() == "127.0.0.1");

        Assert.Empty(Run("Trace-NetlinkCommand { unshare -n ip addr show } -Protocol Generic").Messages);

        var two = Run("Trace-NetlinkCommand { unshare -n ip addr show } -Count 2 -Verbose");
        Assert.Equal(2, two.Messages.Count);
        Assert.Empty(two.Errors); // -Count ending the trace is not a failure of the command
        // Stopped by -Count, or (a short command) exited by itself as -Count came: then its own exit is reported.
        Assert.Contains(two.Verbose, v => v.StartsWith("-Count ended the trace", StringComparison.Ordinal) || v.Contains("exited with code 0", StringComparison.Ordinal));
    }

    [Fact]
    public void AFilterOnAnAttributeValueGivesWhatWhereObjectGives()
    {
        // -Filter's condition on ifname is judged on the bytes first (link messages that fail are not decoded); the
        // same command traced in full and piped to Where-Object gives the same messages.
        const string command = "{ unshare -n sh -c 'ip link add v0 type veth peer v1; ip link set v0 up; ip -d link show; ip addr show dev v0' }";
        var filtered = Run($"Trace-NetlinkCommand {command} -Filter {{ $_.Attributes.ifname -eq 'v0' -and $_.Attributes.linkinfo.kind -eq 'veth' }}");
        var all = Run($"Trace-NetlinkCommand {command} | Where-Object {{ $_.Attributes.ifname -eq 'v0' -and $_.Attributes.linkinfo.kind -eq 'veth' }}");
        Clean(filtered);
        Clean(all);
        static string[] Keys(IEnumerable<NetlinkMessage> ms) => ms.Select(m => $"{m.TypeName} {m.Direction} {m.Attributes["ifname"]}").ToArray();
        Assert.NotEmpty(filtered.Messages);
        Assert.Equal(Keys(all.Messages), Keys(filtered.Messages));
    }

    [Fact]
    public void ScriptBlockArgumentsAreEvaluatedInTheCallersScope()
    {
        var r = Run("$name = 'lo'; $opts = @('link', 'show'); Trace-NetlinkCommand { unshare -n ip -d @opts dev $name }");
        Clean(r);
        var requests = r.Messages.Where(x => x.TypeName == "RTM_GETLINK").ToList();
        Assert.NotEmpty(requests);
        Assert.All(requests, x => Assert.Equal("lo", x.Attributes["ifname"]));
        Assert.All(requests, x => Assert.DoesNotContain("DUMP", x.FlagNames));
    }

    [Fact]
    public void ExportAndReadBackGiveTheSameMessages()
    {
        var file = Path.Combine(_dir, "trace.pcap");
        var r = _shell.Run("$t = Trace-NetlinkCommand { unshare -n sh -c 'ip link add v0 type veth peer v1; ip -d link show; ip addr' } | Export-NetlinkPcap -Path $f -PassThru; $back = Get-NetlinkMessage -Path $f; ,$t; ,$back",
            new Dictionary<string, object?> { ["f"] = file });
        Clean(r);
        var traced = ((IEnumerable<object>)r.Output[0].BaseObject).Select(o => (NetlinkMessage)(o is PSObject p ? p.BaseObject : o)).ToList();
        var back = ((IEnumerable<object>)r.Output[1].BaseObject).Select(o => (NetlinkMessage)(o is PSObject p ? p.BaseObject : o)).ToList();
        Assert.True(traced.Count > 10);
        Assert.Equal(traced.Count, back.Count);
        foreach (var (a, b) in traced.Zip(back))
        {
            Assert.Equal(a.Bytes, b.Bytes);
            Assert.Equal(a.TypeName, b.TypeName);
            Assert.Equal(a.Protocol, b.Protocol);
            Assert.Equal(a.Direction, b.Direction); // re-read: inferred from NLM_F_REQUEST, and it agrees
            Assert.Equal(a.Summary, b.Summary);
            Assert.Equal(a.Index, b.Index);
            Assert.Equal(a.Timestamp.ToUnixTimeMilliseconds(), b.Timestamp.ToUnixTimeMilliseconds());
        }
        // One pcap record per traced buffer.
        Assert.Equal(traced.Select(m => m.RecordNumber).Distinct().Count(), Fixtures.ReadNetlinkPcap(file).Count());
    }

    [Fact]
    public void TheReadmeCommandWritesAPcapThatTsharkReads()
    {
        var tshark = new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" }.FirstOrDefault(File.Exists);
        Assert.True(tshark is not null, "tshark is installed (.ci/run installs it)");
        var r = _shell.Run("$ExecutionContext.SessionState.Path.SetLocation($d) >$null; Trace-NetlinkCommand { ip -d link show } | Where-Object Direction -eq FromKernel | Export-NetlinkPcap t.pcap",
            new Dictionary<string, object?> { ["d"] = _dir });
        Clean(r);
        var file = Path.Combine(_dir, "t.pcap");
        Assert.True(new FileInfo(file).Length > 24);
        var back = Run("Get-NetlinkMessage -Path \"$dir/t.pcap\"");
        Clean(back);
        Assert.All(back.Messages, x => Assert.Equal(NetlinkDirection.FromKernel, x.Direction));
        Assert.Contains(back.Messages, x => x.TypeName == "RTM_NEWLINK" && (string?)x.Attributes["ifname"] == "lo");

        var psi = new ProcessStartInfo(tshark!, new[] { "-r", file, "-V" }) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["HOME"] = _dir;
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("Encapsulation type: Linux Netlink", text);
        Assert.Contains("Netlink message header (type: Create network interface)", text);
        Assert.DoesNotContain("Malformed", text, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        _shell.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
