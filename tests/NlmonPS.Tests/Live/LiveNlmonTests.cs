using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.KernelClients;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Live;

/// <summary>
/// nlmon on a real kernel: module loading, device management, live capture of real tools, the kernel filter,
/// drops, privileges, namespaces, attribution. Runs inside kernel/ (Debian's stock kernel under qemu), where .NET
/// is ~30x slower than native: one class, one runspace, generous timeouts.
/// </summary>
[Trait("Category", "Live")]
public sealed class LiveNlmonTests : IClassFixture<LiveRig>
{
    private static readonly TimeSpan Start = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(3);
    private readonly LiveRig _rig;

    public LiveNlmonTests(LiveRig rig) => _rig = rig;

    private static void Log(string text) => TestContext.Current.TestOutputHelper?.WriteLine($"{DateTime.Now:HH:mm:ss} {text}");

    private static string Id(Exception? ex) => (ex as System.Management.Automation.IContainsErrorRecord)?.ErrorRecord.FullyQualifiedErrorId.Split(',')[0] ?? $"(no error record: {ex})";

    private static bool IsLinkRequest(NetlinkMessage m, string ifname) =>
        m.Direction == NetlinkDirection.ToKernel && m.TypeName == "RTM_NEWLINK" && m.Attributes["ifname"] as string == ifname;

    private static int IndexOf(List<NetlinkMessage> messages, Func<NetlinkMessage, bool> match, int from = 0)
    {
        for (int i = from; i < messages.Count; i++) if (match(messages[i])) return i;
        Assert.Fail("expected message not found; captured:\n" + string.Join("\n", messages.Skip(from).Select(m => $"  {m.Direction} {m.TypeName} seq {m.Sequence}: {m.Summary}")));
        return -1;
    }

    [Fact]
    public void LoadsTheModuleAndManagesDevices()
    {
        LiveRig.RemoveAllNlmon();
        if (Directory.Exists("/sys/module/nlmon")) LiveRig.Sh("rmmod nlmon");
        Assert.False(Directory.Exists("/sys/module/nlmon"), "nlmon is unloaded before the test");

        // Where the kernel can load modules itself (request_module), it would load nlmon on its own; switch that
        // off so the cmdlet has to do it, as on systems whose kernel cannot run modprobe (containers, hardening).
        var helper = File.ReadAllText("/proc/sys/kernel/modprobe").Trim();
        File.WriteAllText("/proc/sys/kernel/modprobe", "/nonexistent/modprobe\n");
        PowerShellHost.Result created;
        try
        {
            Assert.False(LiveRig.TrySh("ip link add nlmonprobe type nlmon", out var refused), "the kernel cannot load nlmon by itself now");
            Assert.Contains("Unknown device type", refused);
            created = _rig.Run("New-NlmonDevice -Name nlmont0 -PassThru -Verbose");
        }
        finally
        {
            File.WriteAllText("/proc/sys/kernel/modprobe", helper + "\n");
        }
        Assert.Null(created.Terminating);
        Assert.Empty(created.Errors);
        var device = Assert.IsType<NlmonDevice>(Assert.Single(created.Output).BaseObject);
        Assert.True(Directory.Exists("/sys/module/nlmon"), "New-NlmonDevice loaded the module");
        Assert.Contains(created.Verbose, v => v.Contains("Loading the nlmon module", StringComparison.Ordinal));
        Assert.Equal("nlmont0", device.Name);
        Assert.Equal(NlmonDeviceState.Up, device.State);
        Assert.True(device.Index > 0);
        Assert.Equal(NlmonNetns.CurrentInode(), device.NetNamespaceInode);
        Assert.Contains("nlmont0", LiveRig.NlmonNames());
        Assert.Contains("UP", LiveRig.Sh("ip link show nlmont0"));

        // Again: the same device, nothing new.
        var again = _rig.Run("New-NlmonDevice -Name nlmont0 -PassThru");
        Assert.Empty(again.Errors);
        Assert.Equal(device.Index, Assert.IsType<NlmonDevice>(Assert.Single(again.Output).BaseObject).Index);
        Assert.Single(LiveRig.NlmonNames());

        _rig.Run("New-NlmonDevice -Name nlmont1 -Mtu 8192");
        Assert.Contains("mtu 8192", LiveRig.Sh("ip link show nlmont1"));
        var listed = _rig.Run("Get-NlmonDevice").Output.Select(o => (NlmonDevice)o.BaseObject).ToList();
        Assert.Equal(new[] { "nlmont0", "nlmont1" }, listed.Select(d => d.Name).Order());
        Assert.All(listed, d => Assert.Equal(NlmonDeviceState.Up, d.State));
        Assert.Single(_rig.Run("Get-NlmonDevice -Name *t1").Output);

        // A device of another kind with the name: an error, and it is left alone.
        LiveRig.Sh("ip link add nlmondummy type dummy");
        try
        {
            var taken = _rig.Run("New-NlmonDevice -Name nlmondummy");
            var error = Assert.Single(taken.Errors);
            Assert.Equal("NlmonDeviceNameInUse", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal(System.Management.Automation.ErrorCategory.ResourceExists, error.CategoryInfo.Category);
            Assert.Equal("nlmondummy", error.TargetObject);
            Assert.Contains("'dummy'", error.Exception.Message);
        }
        finally
        {
            LiveRig.Sh("ip link del nlmondummy");
        }

        var set = _rig.Run("Set-NlmonDevice -Name nlmont1 -State Down -Mtu 4000 -PassThru");
        var changed = (NlmonDevice)Assert.Single(set.Output).BaseObject;
        Assert.Equal(NlmonDeviceState.Down, changed.State);
        Assert.Equal(4000u, changed.Mtu);
        Assert.DoesNotContain(",UP", LiveRig.Sh("ip link show nlmont1"));
        // New-NlmonDevice makes sure it is up again.
        Assert.Equal(NlmonDeviceState.Up, ((NlmonDevice)Assert.Single(_rig.Run("New-NlmonDevice nlmont1 -PassThru").Output).BaseObject).State);

        var removed = _rig.Run("Get-NlmonDevice | Remove-NlmonDevice");
        Assert.Empty(removed.Errors);
        Assert.Empty(LiveRig.NlmonNames());
        Assert.Empty(_rig.Run("Get-NlmonDevice").Output);
    }

    [Fact]
    public void CapturesAndDecodesIpCommandsInOrder()
    {
        LiveRig.RemoveAllNlmon();
        Assert.Empty(_rig.Run("New-NlmonDevice").Errors);
        using var capture = _rig.Start("Get-NetlinkMessage -Protocol Route -Verbose");
        capture.WaitCapturing(Start);
        try
        {
            LiveRig.Sh("ip link add lt0 type veth peer name lt1");
            LiveRig.Sh("ip addr add 10.99.0.1/24 dev lt0");
            Assert.False(LiveRig.TrySh("ip link add lt0 type veth peer name lt1", out _), "adding lt0 twice fails");
            Assert.False(LiveRig.TrySh("ip link add lt6 numtxqueues 0 type veth peer name lt6p", out var said), "zero tx queues fail");
            Assert.Contains("Invalid number of transmit queues", said);
            LiveRig.Sh("ip link add ltmark type dummy");
            Assert.True(capture.WaitUntil(ms => ms.Any(m => IsLinkRequest(m, "ltmark")), Wait), "the marker arrives");
        }
        finally
        {
            LiveRig.TrySh("ip link del lt0", out _);
            LiveRig.TrySh("ip link del ltmark", out _);
        }
        capture.Stop();
        capture.Finish(Wait);
        var messages = capture.Messages;
        Log($"{messages.Count} messages");
        Assert.All(messages, m => Assert.Equal(NetlinkProtocol.Route, m.Protocol));
        Assert.All(messages, m => Assert.Equal("nlmon0", m.Source));

        int add = IndexOf(messages, m => IsLinkRequest(m, "lt0") && (m.Flags & Nl.NLM_F_CREATE) != 0 && m.Attributes["linkinfo"] is NetlinkFields li && li["kind"] as string == "veth");
        var request = messages[add];
        int ack = IndexOf(messages, m => m.Type == Nl.NLMSG_ERROR && m.Sequence == request.Sequence && m.Error!.IsAck, add);
        int address = IndexOf(messages, m => m.Direction == NetlinkDirection.ToKernel && m.TypeName == "RTM_NEWADDR" &&
            Equals(m.Attributes["local"], IPAddress.Parse("10.99.0.1")), ack);
        int exists = IndexOf(messages, m => m.Error is { ErrorName: "EEXIST" }, address);
        int invalid = IndexOf(messages, m => m.Error is { ErrorName: "EINVAL" }, exists);
        var einval = messages[invalid].Error!;
        Assert.Equal("Invalid number of transmit queues", einval.ExtendedMessage);
        Assert.Contains("Invalid number of transmit queues", messages[invalid].Summary);
        Assert.Equal("RTM_NEWLINK", einval.Request?.TypeName);
        Assert.Equal(NetlinkDirection.FromKernel, messages[exists].Direction);
        Assert.Equal("File exists", messages[exists].Error!.Text);
        Assert.True(add < ack && ack < address && address < exists && exists < invalid);
        // Kernel timestamps, in order.
        for (int i = 1; i < messages.Count; i++) Assert.True(messages[i].Timestamp >= messages[i - 1].Timestamp.AddMilliseconds(-1));
        Assert.InRange(messages[add].Timestamp, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow);
        Assert.Contains(capture.Verbose, v => v.StartsWith("Learned", StringComparison.Ordinal));
        LiveRig.RemoveAllNlmon();
    }

    [Fact]
    public void TheTemporaryDeviceGoesAwayWhateverEndsTheCapture()
    {
        LiveRig.RemoveAllNlmon();
        using var traffic = Process.Start("/bin/sh", new[] { "-c", "while :; do ip link show >/dev/null; sleep 0.2; done" });
        var file = Path.Combine(Path.GetTempPath(), $"nlmonps-live-{Environment.ProcessId}.pcap");
        try
        {
            // -Count, exported and read back.
            var counted = _rig.Run("Get-NetlinkMessage -Count 5 -Verbose | Export-NetlinkPcap -Path $f -PassThru", new Dictionary<string, object?> { ["f"] = file });
            Assert.Null(counted.Terminating);
            Assert.Equal(5, counted.Messages.Count);
            Assert.All(counted.Messages, m => Assert.StartsWith("nlmonps", m.Source));
            Assert.Contains(counted.Verbose, v => v.Contains("temporary", StringComparison.Ordinal));
            Assert.Empty(LiveRig.NlmonNames());
            var reread = _rig.Run("Get-NetlinkMessage -Path $f", new Dictionary<string, object?> { ["f"] = file }).Messages;
            Assert.Equal(counted.Messages.Select(m => m.Summary), reread.Take(5).Select(m => m.Summary));
            Log("count done");

            // -Duration.
            var clock = Stopwatch.StartNew();
            var timed = _rig.Run("Get-NetlinkMessage -Duration 3 -Verbose");
            Log(string.Join(" | ", timed.Verbose));
            Assert.Null(timed.Terminating);
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(3), $"ran {clock.Elapsed}");
            Assert.NotEmpty(timed.Messages);
            Assert.Empty(LiveRig.NlmonNames());
            Log($"duration done in {clock.Elapsed}");

            // Ctrl+C.
            using (var stopped = _rig.Start("Get-NetlinkMessage -Verbose"))
            {
                stopped.WaitCapturing(Start);
                Assert.Single(LiveRig.NlmonNames());
                stopped.Stop();
                stopped.Finish(Wait);
            }
            Assert.Empty(LiveRig.NlmonNames());
            Log("stop done");

            // Select-Object -First.
            var first = _rig.Run("Get-NetlinkMessage | Select-First 2");
            Assert.Null(first.Terminating);
            Assert.Equal(2, first.Messages.Count);
            Assert.Empty(LiveRig.NlmonNames());

            // An error further down the pipeline.
            var failed = _rig.Run("Get-NetlinkMessage | ForEach-Object { throw 'downstream failure' }");
            Assert.NotNull(failed.Terminating);
            Assert.Empty(LiveRig.NlmonNames());
        }
        finally
        {
            traffic.Kill();
            traffic.WaitForExit();
            File.Delete(file);
        }
    }

    [Fact]
    public void TwoCapturesAtOnceEachHaveTheirOwnTemporaryDevice()
    {
        // Two sessions (or two remoting "hosts" of one kernel) capturing at once: the second must not borrow the
        // first's temporary device, which goes away when the first ends (the second then failed: ENODEV, ENETDOWN).
        LiveRig.RemoveAllNlmon();
        using var first = Capture.NlmonLiveCapture.Start(new Capture.LiveCaptureOptions { ResolveProcesses = false });
        using var second = Capture.NlmonLiveCapture.Start(new Capture.LiveCaptureOptions { ResolveProcesses = false });
        Assert.True(first.IsTemporaryDevice && second.IsTemporaryDevice);
        Assert.NotEqual(first.InterfaceName, second.InterfaceName);
        Assert.Equal(2, LiveRig.NlmonNames().Count);

        first.Stop();
        Assert.Null(first.RemoveFailure);
        Assert.Equal([second.InterfaceName], LiveRig.NlmonNames());
        var deadline = DateTime.UtcNow + Wait;
        bool seen = false;
        while (!seen && DateTime.UtcNow < deadline)
        {
            LiveRig.Sh("ip link show lo >/dev/null");
            while (second.TryTake(out var record, 500)) seen |= record.Device == second.InterfaceName;
            Assert.Null(second.Fault);
        }
        Assert.True(seen, "the second capture read nothing after the first ended");
        second.Stop();
        Assert.Empty(LiveRig.NlmonNames());
    }

    [Fact]
    public void TheProtocolFilterRunsInTheKernelAndFamiliesComeFromTheKernel()
    {
        LiveRig.RemoveAllNlmon();
        Assert.Empty(_rig.Run("New-NlmonDevice").Errors);
        // A generic family whose id this capture will never see looked up: only the start-up dump can name it.
        var families = NlctrlFamilyDump.Query();
        var (id, family) = families.Where(f => f.Value != "nlctrl").OrderBy(f => f.Value == "devlink" ? 0 : 1).First();
        Log($"family {family} = {id}");
        ulong before = ((NlmonDevice)_rig.Run("Get-NlmonDevice nlmon0").Output.Single().BaseObject).ReceivedPackets;

        // The request and its answer: the only generic netlink traffic during the capture.
        using var capture = _rig.Start("Get-NetlinkMessage -Protocol Generic -Count 2 -Verbose");
        capture.WaitCapturing(Start);
        for (int i = 0; i < 3; i++) LiveRig.Sh("ip link show >/dev/null; ip addr show >/dev/null");
        using (var socket = new NetlinkSocket(NetlinkProtocol.Generic))
        {
            socket.Send(new MessageBuilder((ushort)id, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK, 4242).AddBytes(new byte[] { 0, 1, 0, 0 }).ToArray());
            socket.Receive(10_000);
        }
        capture.Finish(Wait);
        Log(string.Join(" | ", capture.Verbose));
        var messages = capture.Messages;
        Assert.All(messages, m => Assert.Equal(NetlinkProtocol.Generic, m.Protocol));
        Assert.Equal(2, messages.Count);
        var request = Assert.Single(messages, m => m.Sequence == 4242 && m.Direction == NetlinkDirection.ToKernel);
        Assert.Single(messages, m => m.Sequence == 4242 && m.Direction == NetlinkDirection.FromKernel);
        Assert.Equal(family, request.Family);
        Assert.DoesNotContain(messages, m => m.Family == "nlctrl" && m.Attributes["family_name"] as string == family);

        // The device passed the rtnetlink frames too; the filter, in the kernel, kept them from the socket.
        var passed = Regex.Match(capture.Verbose.Single(v => v.StartsWith("Read ", StringComparison.Ordinal)), @"filter passed (\d+)");
        ulong after = ((NlmonDevice)_rig.Run("Get-NlmonDevice nlmon0").Output.Single().BaseObject).ReceivedPackets;
        Log($"device counted {after - before}, filter passed {passed.Groups[1].Value}");
        Assert.True(after - before > ulong.Parse(passed.Groups[1].Value) + 6, "the kernel filter dropped the rtnetlink frames");
        LiveRig.RemoveAllNlmon();
    }

    [Fact]
    public void ABurstIsCapturedCompletelyAndNothingIsDropped()
    {
        // An `ip -batch` storm: each address add/delete is a request and its acknowledgement. The pipeline (~30x
        // slower in the rig) falls behind; the ring and the queue behind it hold the burst, so every message
        // arrives, in order, and the kernel reports no drop.
        const int n = 2000;
        LiveRig.RemoveAllNlmon();
        Assert.Empty(_rig.Run("New-NlmonDevice").Errors);
        LiveRig.Sh("ip link add ltburst0 type dummy && ip link set ltburst0 up");
        var batch = Path.Combine(Path.GetTempPath(), $"nlmonps-burst-{Environment.ProcessId}");
        File.WriteAllLines(batch, Enumerable.Range(1, n).Select(i => $"addr add 10.98.{i >> 8}.{i & 255}/32 dev ltburst0")
            .Concat(Enumerable.Range(1, n).Select(i => $"addr del 10.98.{i >> 8}.{i & 255}/32 dev ltburst0")));
        using var capture = _rig.Start($"Get-NetlinkMessage -Protocol Route -MessageType RTM_NEWADDR,RTM_DELADDR,NLMSG_ERROR -Count {4 * n} -Duration 600 -Verbose");
        try
        {
            capture.WaitCapturing(Start);
            var clock = Stopwatch.StartNew();
            LiveRig.Sh($"ip -batch {batch}");
            Log($"storm of {2 * n} commands took {clock.Elapsed.TotalSeconds:F1} s");
            capture.Finish(TimeSpan.FromMinutes(10));
            Log($"captured in {clock.Elapsed.TotalSeconds:F1} s; {string.Join(" | ", capture.Verbose.Where(v => v.StartsWith("Read ", StringComparison.Ordinal)))}");
        }
        finally
        {
            LiveRig.TrySh("ip link del ltburst0", out _);
            File.Delete(batch);
        }
        Assert.Null(capture.Terminating);
        Assert.Empty(capture.Warnings);
        var messages = capture.Messages;
        Assert.Equal(4 * n, messages.Count);
        Assert.Equal(n, messages.Count(m => m.TypeName == "RTM_NEWADDR" && m.Direction == NetlinkDirection.ToKernel));
        Assert.Equal(n, messages.Count(m => m.TypeName == "RTM_DELADDR" && m.Direction == NetlinkDirection.ToKernel));
        Assert.Equal(2 * n, messages.Count(m => m.Type == Nl.NLMSG_ERROR && m.Error!.IsAck));
        // In order: each acknowledgement right after its request.
        for (int i = 0; i < messages.Count; i += 2)
        {
            Assert.Equal(NetlinkDirection.ToKernel, messages[i].Direction);
            Assert.Equal(messages[i].Sequence, messages[i + 1].Sequence);
        }
        var summary = Regex.Match(capture.Verbose.Single(v => v.StartsWith("Read ", StringComparison.Ordinal)), @"filter passed (\d+), dropped (\d+)");
        Assert.True(summary.Success);
        Assert.Equal("0", summary.Groups[2].Value);
        Assert.Contains(capture.Verbose, v => v.Contains("ring buffer 33554432 bytes (128 blocks of 262144)", StringComparison.Ordinal));
        LiveRig.RemoveAllNlmon();
    }

    [Fact]
    public void KernelDropsAreReportedAsAWarning()
    {
        LiveRig.RemoveAllNlmon();
        Assert.Empty(_rig.Run("New-NlmonDevice").Errors);
        // The storms go on until the capture has ended: a fixed number of rounds could be over before the capture has
        // started (in the rig its start can take minutes), leaving nothing to drop.
        var storms = Enumerable.Range(0, 2).Select(_ => Process.Start("/bin/sh", new[] { "-c", "while :; do ip link show; ip addr show; done >/dev/null 2>&1" })).ToList();
        try
        {
            var r = _rig.Run("Get-NetlinkMessage -BufferSize 1 -Duration 8 -Verbose");
            Assert.Null(r.Terminating);
            Log($"{r.Messages.Count} messages; {string.Join(" | ", r.Warnings)}");
            var warning = Assert.Single(r.Warnings, w => w.Contains("dropped", StringComparison.Ordinal));
            var m = Regex.Match(warning, @"The kernel dropped (\d+) of (\d+) netlink frames on nlmon0");
            Assert.True(m.Success, warning);
            Assert.True(ulong.Parse(m.Groups[1].Value) > 0);
            Assert.Contains("-BufferSize", warning);
        }
        finally
        {
            foreach (var p in storms) { try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } p.WaitForExit(); p.Dispose(); }
            LiveRig.RemoveAllNlmon();
        }
    }

    [Fact]
    public void WithoutPrivilegesEveryCmdletSaysPermissionDenied()
    {
        LiveRig.RemoveAllNlmon();
        Assert.Empty(_rig.Run("New-NlmonDevice").Errors);
        var config = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var host = Path.Combine(ModuleLoader.RepoRoot, "src", "NlmonPS.Host", "bin", config, "net10.0", "nlmonps-host");
        Assert.True(File.Exists(host), $"{host} is built");
        const string script = "foreach ($c in { New-NlmonDevice -Name nlmonu0 }, { Get-NetlinkMessage -InterfaceName nlmon0 -Count 1 }, { Set-NlmonDevice nlmon0 -State Down }, { Remove-NlmonDevice nlmon0 }) " +
            "{ try { & $c -ErrorAction Stop; 'NOERROR' } catch { 'ERR ' + $_.FullyQualifiedErrorId.Split(',')[0] + ' ' + $_.CategoryInfo.Category } }";
        var psi = new ProcessStartInfo("setpriv", new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp", host, script })
        {
            RedirectStandardOutput = true, WorkingDirectory = "/tmp",
        };
        using var p = Process.Start(psi)!;
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToList();
        p.WaitForExit();
        Log(string.Join(" | ", lines));
        Assert.Equal(4, lines.Count(l => l.StartsWith("ERR ", StringComparison.Ordinal)));
        Assert.All(lines.Where(l => l.StartsWith("ERR ", StringComparison.Ordinal)), l => Assert.Equal("ERR NlmonPermissionDenied PermissionDenied", l));
        Assert.Equal(new[] { "nlmon0" }, LiveRig.NlmonNames());
        Assert.Contains(",UP", LiveRig.Sh("ip link show nlmon0"));
        LiveRig.RemoveAllNlmon();
    }

    [Fact]
    public void ACaptureInAnotherNamespaceSeesOnlyThatNamespace()
    {
        const string ns = "nlmonps-live";
        LiveRig.RemoveAllNlmon();
        LiveRig.TrySh($"ip netns del {ns}", out _);
        LiveRig.Sh($"ip netns add {ns}");
        try
        {
            using var capture = _rig.Start("Get-NetlinkMessage -NetNamespace $ns -Protocol Route -Verbose", new Dictionary<string, object?> { ["ns"] = ns });
            capture.WaitCapturing(Start);
            Assert.Contains(capture.Verbose, v => v.StartsWith("Capturing on nlmonps", StringComparison.Ordinal) && v.Contains($"network namespace {ns}", StringComparison.Ordinal));
            Assert.Single(LiveRig.NlmonNames(ns));
            Assert.Empty(LiveRig.NlmonNames());
            LiveRig.Sh("ip link add hostonly0 type dummy");
            LiveRig.Sh($"ip -n {ns} link add nsonly0 type dummy");
            LiveRig.Sh($"ip -n {ns} link add nsmark0 type dummy");
            Assert.True(capture.WaitUntil(ms => ms.Any(m => IsLinkRequest(m, "nsmark0")), Wait), "the marker arrives");
            capture.Stop();
            capture.Finish(Wait);
            var messages = capture.Messages;
            Assert.Contains(messages, m => IsLinkRequest(m, "nsonly0"));
            Assert.DoesNotContain(messages, m => m.Attributes["ifname"] as string == "hostonly0");
            Assert.Empty(LiveRig.NlmonNames(ns));
            Assert.Empty(LiveRig.NlmonNames());
        }
        finally
        {
            LiveRig.TrySh("ip link del hostonly0", out _);
            LiveRig.TrySh($"ip netns del {ns}", out _);
        }
    }

    [Fact]
    public void MessagesNameTheIpProcess()
    {
        LiveRig.RemoveAllNlmon();
        Assert.Empty(_rig.Run("New-NlmonDevice").Errors);
        using var capture = _rig.Start("Get-NetlinkMessage -Protocol Route -Verbose");
        capture.WaitCapturing(Start);
        // ip -batch keeps one rtnetlink socket open while it reads commands: a process that is still there.
        var psi = new ProcessStartInfo("ip", new[] { "-batch", "-" }) { RedirectStandardInput = true };
        using var ip = Process.Start(psi)!;
        try
        {
            ip.StandardInput.WriteLine("link add attr0 type dummy");
            ip.StandardInput.Flush();
            Assert.True(capture.WaitUntil(ms => ms.Any(m => IsLinkRequest(m, "attr0")) && ms.Any(m => m.Error is { IsAck: true } && m.ProcessId is not null), Wait),
                "the request and its ACK arrive");
        }
        finally
        {
            ip.StandardInput.Close();
            ip.WaitForExit();
            LiveRig.TrySh("ip link del attr0", out _);
        }
        capture.Stop();
        capture.Finish(Wait);
        var messages = capture.Messages;
        var request = messages.First(m => IsLinkRequest(m, "attr0") && (m.Flags & Nl.NLM_F_CREATE) != 0);
        var reply = messages.First(m => m.Type == Nl.NLMSG_ERROR && m.Sequence == request.Sequence && m.Direction == NetlinkDirection.FromKernel);
        Log($"request port {request.PortId} pid {request.ProcessId} {request.ProcessName}; reply port {reply.PortId} pid {reply.ProcessId}; ip pid {ip.Id}");
        Assert.Equal(ip.Id, reply.ProcessId);
        Assert.Equal("ip", reply.ProcessName);
        Assert.Equal(ip.Id, request.ProcessId);
        Assert.Equal("ip", request.ProcessName);
        LiveRig.RemoveAllNlmon();
    }
}
