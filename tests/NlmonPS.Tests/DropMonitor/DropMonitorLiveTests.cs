using System.Diagnostics;
using System.Net;
using System.Text;
using NlmonPS.Decoding;
using NlmonPS.DropMonitoring;
using NlmonPS.KernelClients;
using Xunit;

namespace NlmonPS.Tests.DropMonitoring;

/// <summary>
/// The drop monitor on Debian's stock kernel (kernel/ rig: drop_monitor module, packet mode, drop reasons).
/// UDP datagrams with a marker sent to a closed port on 127.0.0.1 are the drops. On a kernel without the drop
/// monitor these tests fail (the fixture cannot open NET_DM): they are never skipped.
/// </summary>
[Trait("Category", "Live")]
public sealed class DropMonitorLiveTests : IClassFixture<DropMonitorLiveFixture>
{
    private readonly DropMonitorLiveFixture _f;

    public DropMonitorLiveTests(DropMonitorLiveFixture fixture) => _f = fixture;

    private static string Text(PacketDrop d) => Encoding.ASCII.GetString(d.Packet);

    private DropMonitorConfiguration Configuration()
    {
        var r = _f.Run("Get-DropMonitorConfiguration");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        return Assert.Single(r.Objects<DropMonitorConfiguration>());
    }

    private void AssertConfigurationIsAsFound()
    {
        var now = Configuration();
        Assert.True(now.SameSettings(_f.Initial), $"configuration is {now}, was {_f.Initial}");
        Assert.False(now.Monitoring, "monitoring is off after the command");
    }

    private static string Dir() => Directory.CreateTempSubdirectory("nlmonps-dropmon-live-").FullName;

    [Fact]
    public void CountThreeGivesTheUdpDropsWithEveryFieldAndPutsTheConfigurationBack()
    {
        var before = DateTimeOffset.Now;
        using var sender = new ClosedPortSender("count");
        var r = _f.Run("Get-PacketDrop -Count 3 -Duration 120 -Verbose");
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Empty(r.Warnings);
        var drops = r.Objects<PacketDrop>().ToList();
        Assert.Equal(3, drops.Count);
        var symbols = KernelSymbols.Shared();
        foreach (var d in drops)
        {
            Assert.StartsWith(sender.Prefix, Text(d)[42..], StringComparison.Ordinal);
            int udpPayload = Text(d)[42..].Length;
            Assert.Equal(DropOrigin.Software, d.Origin);
            Assert.Equal("NO_SOCKET", d.Reason);
            // 6.1 reports the drop where kfree_skb_reason was called: inside __udp4_lib_rcv.
            Assert.Matches(@"^__udp4_lib_rcv\+0x[0-9a-f]+/0x[0-9a-f]+$", d.Location);
            Assert.Equal("__udp4_lib_rcv", d.Symbol);
            Assert.NotNull(d.Pc);
            Assert.Equal("__udp4_lib_rcv", symbols.Resolve(d.Pc!.Value)?.Name);
            Assert.Equal(symbols.Resolve(d.Pc!.Value)!.Location, d.Location);
            Assert.Equal((1, "lo", (ushort?)772), (d.InterfaceIndex!.Value, d.InterfaceName, d.InterfaceType));
            Assert.Equal(((ushort)0x0800, "IPv4"), (d.Protocol, d.ProtocolName));
            Assert.Equal(14 + 20 + 8 + udpPayload, d.OriginalLength);
            Assert.Equal(d.OriginalLength, d.Length);
            Assert.False(d.IsTruncated);
            Assert.Equal((14, "Ethernet"), (d.NetworkOffset, d.LinkLayer));
            Assert.Equal((IPAddress.Loopback, IPAddress.Loopback), (d.SourceAddress, d.DestinationAddress));
            Assert.Equal(("UDP", ClosedPortSender.ClosedPort), (d.TransportProtocol, d.DestinationPort!.Value));
            Assert.NotNull(d.SourcePort);
            Assert.Equal($"UDP 127.0.0.1:{d.SourcePort} > 127.0.0.1:9 len {udpPayload}", d.PacketSummary);
            Assert.NotNull(d.ParsedPacket);
            Assert.InRange(d.Timestamp, before.AddSeconds(-5), DateTimeOffset.Now.AddSeconds(5));
            Assert.Equal((long)(d.TimestampNs / 100), (d.Timestamp - DateTimeOffset.UnixEpoch).Ticks);
            Assert.InRange(d.ReceivedAt - d.Timestamp, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(30));
            Assert.Null(d.HardwareTrapName);
            Assert.Equal("NET_DM", d.Message.Family);
            Assert.Equal(d.FamilyId, d.Message.Type);
            Assert.Equal(d.Bytes, d.Message.Bytes);
        }
        if (_f.Initial.AlertMode != DropAlertMode.Packet)
            Assert.Contains(r.Verbose, v => v.StartsWith("Restored the drop monitor configuration", StringComparison.Ordinal));
        Assert.Contains(r.Verbose, v => v.StartsWith("No alerts lost", StringComparison.Ordinal));
        AssertConfigurationIsAsFound();
    }

    [Fact]
    public void TruncationIsHonouredAndSummaryModeCounts()
    {
        using (var sender = new ClosedPortSender("trunc", payloadBytes: 300))
        {
            var r = _f.Run("Get-PacketDrop -Count 2 -Duration 120 -TruncateLength 60 -QueueLength 50 -Protocol UDP");
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            Assert.Equal(2, r.Objects<PacketDrop>().Count());
            foreach (var d in r.Objects<PacketDrop>())
            {
                Assert.Equal(60, d.Length);
                Assert.Equal(14 + 20 + 8 + 300, d.OriginalLength);
                Assert.True(d.IsTruncated);
                Assert.StartsWith(Text(d)[42..], sender.Prefix, StringComparison.Ordinal);   // the first 18 bytes of the marker
                Assert.Equal(9, d.DestinationPort);
            }
        }
        AssertConfigurationIsAsFound();

        using (var sender = new ClosedPortSender("summary", intervalMs: 50))
        {
            var r = _f.Run("Get-PacketDrop -Mode Summary -Duration 4.5 -Symbol '__udp4_lib_rcv'");
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            var summaries = r.Objects<DropSummary>().ToList();
            Assert.NotEmpty(summaries);
            Assert.All(summaries, s =>
            {
                Assert.Matches(@"^__udp4_lib_rcv\+0x[0-9a-f]+/0x[0-9a-f]+$", s.Location);
                Assert.Equal(DropOrigin.Software, s.Origin);
                Assert.True(s.Interval > TimeSpan.Zero);
                Assert.Equal("NET_DM", s.Message.Family);
            });
            long counted = summaries.Sum(s => (long)s.Count);
            _f.Log($"summary mode: {summaries.Count} locations, {counted} drops counted, {sender.Sent} sent");
            Assert.InRange(counted, 10, sender.Sent);
        }
        AssertConfigurationIsAsFound();

        var stats = Assert.Single(_f.Run("Get-DropMonitorStatistics").Objects<DropMonitorStatistics>());
        Assert.NotNull(stats.HardwareDropped);
    }

    [Fact]
    public void ConfigurationRoundTripsAndIsRefusedWhileMonitoring()
    {
        var saved = Configuration();
        var set = Assert.Single(_f.Run("Set-DropMonitorConfiguration -AlertMode Packet -TruncateLength 77 -QueueLength 123 -PassThru").Objects<DropMonitorConfiguration>());
        Assert.Equal((DropAlertMode.Packet, 77u, 123u, (bool?)false), (set.AlertMode, set.TruncateLength, set.QueueLength, set.Monitoring));
        Assert.Empty(_f.Run("Set-DropMonitorConfiguration -QueueLength 5 -WhatIf").Errors);
        Assert.Equal(123u, Configuration().QueueLength);

        using (var client = DropMonitorClient.Open())
        {
            client.Start(DropMonitorOrigin.Software);
            using var stop = new Finally(() => client.Stop(DropMonitorOrigin.All));   // even when an assertion fails
            Assert.True(Configuration().Monitoring);
            var busy = _f.Run("Set-DropMonitorConfiguration -QueueLength 5").Error;
            Assert.StartsWith("DropMonitorBusy,", busy.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Equal(System.Management.Automation.ErrorCategory.ResourceBusy, busy.CategoryInfo.Category);
            Assert.Contains("EBUSY", busy.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("Cannot configure drop monitor during monitoring", busy.Exception.Message, StringComparison.Ordinal);
            var second = _f.Run("Get-PacketDrop -Count 1 -Duration 10").Error;
            Assert.StartsWith("DropMonitorBusy,", second.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Equal(123u, Configuration().QueueLength);
            Assert.Empty(_f.Run("Set-DropMonitorConfiguration -StopMonitoring -Confirm:$false").Errors);
            Assert.False(Configuration().Monitoring);
        }

        Assert.Empty(_f.Run("$saved | Set-DropMonitorConfiguration", new Dictionary<string, object?> { ["saved"] = saved }).Errors);
        Assert.True(Configuration().SameSettings(saved));
    }

    [Fact]
    public void StoppingByCtrlCOrAnErrorStillPutsTheConfigurationBack()
    {
        using var sender = new ClosedPortSender("stop");
        using (var running = _f.Start("Get-PacketDrop -TruncateLength 33 -QueueLength 77 -Duration 300"))
        {
            var wait = Stopwatch.StartNew();
            while (running.Output.Count == 0 && wait.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(100);
            Assert.True(running.Output.Count > 0, "drops arrive while it runs");
            using (var client = DropMonitorClient.Open())   // the engine is busy: ask the kernel directly
                Assert.Equal((77u, (bool?)true), (client.GetConfiguration().QueueLength, client.IsMonitoring()));
            running.Stop();
            var r = running.Finish();
            Assert.Equal(System.Management.Automation.PSInvocationState.Stopped, running.State);
            Assert.All(r.Output.Select(o => o.BaseObject), o => Assert.Equal(33, Assert.IsType<PacketDrop>(o).Length));
        }
        AssertConfigurationIsAsFound();

        var failed = _f.Run("Get-PacketDrop -QueueLength 66 -Duration 120 | ForEach-Object { throw 'downstream failure' }");
        Assert.Contains("downstream failure", (failed.Terminating?.Message ?? "") + string.Join("", failed.Errors.Select(e => e.ToString())), StringComparison.Ordinal);
        AssertConfigurationIsAsFound();
    }

    [Fact]
    public void FiltersBySymbolInterfaceReasonAndProtocol()
    {
        using var sender = new ClosedPortSender("filter");
        var r = _f.Run("Get-PacketDrop -Symbol '__udp4_lib_rcv' -InterfaceName 'l?' -Reason 'no_sock*' -Protocol IPv4, UDP -Count 2 -Duration 120");
        Assert.Null(r.Terminating);
        Assert.Equal(2, r.Objects<PacketDrop>().Count(d => Text(d).Contains(sender.Prefix, StringComparison.Ordinal)));

        // Software and hardware drops (NET_DM_ATTR_SW_DROPS and HW_DROPS on START and STOP): the rig has no
        // devlink devices, so only software drops come, and both kinds of monitoring end with the command.
        var all = _f.Run("Get-PacketDrop -Origin All -Protocol UDP -Count 1 -Duration 120");
        Assert.Null(all.Terminating);
        Assert.Empty(all.Errors);
        Assert.Equal(DropOrigin.Software, Assert.Single(all.Objects<PacketDrop>()).Origin);
        AssertConfigurationIsAsFound();

        var none = _f.Run("Get-PacketDrop -Symbol 'tcp_v4_rcv*' -Duration 2; Get-PacketDrop -InterfaceName 'eth*' -Duration 2; Get-PacketDrop -Protocol IPv6 -Duration 2");
        Assert.Null(none.Terminating);
        Assert.Empty(none.Errors);
        Assert.Empty(none.Output);

        var missing = _f.Run("Get-PacketDrop -InterfaceName nosuch0 -Count 1 -Duration 10").Error;
        Assert.StartsWith("DropMonitorNotFound,", missing.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal("nosuch0", missing.TargetObject);
        AssertConfigurationIsAsFound();
    }

    [Fact]
    public void DevicesOfAnotherNamespaceAreNamedWithNetNamespace()
    {
        // dm-a has dmv0 (10.99.0.1), dm-b its peer dmv1 (10.99.0.2): datagrams from dm-b to the closed port on
        // 10.99.0.1 are dropped in dm-a, received on dmv0 (an index that means nothing in this namespace).
        string a = $"dm-a-{Environment.ProcessId}", b = $"dm-b-{Environment.ProcessId}";
        PrivateNetns.Sh($"ip netns add {a} && ip netns add {b} && ip -n {a} link add dmv0 type veth peer name dmv1 netns {b} && " +
                        $"ip -n {a} addr add 10.99.0.1/24 dev dmv0 && ip -n {b} addr add 10.99.0.2/24 dev dmv1 && " +
                        $"ip -n {a} link set dmv0 up && ip -n {b} link set dmv1 up && ip -n {a} link set lo up");
        // Until killed: a fixed number of rounds could be over before a slow start of Get-PacketDrop in the rig.
        var loop = Process.Start("ip", new[] { "netns", "exec", b, "bash", "-c", "i=0; while :; do i=$((i + 1)); echo nlmonps-drop-ns-$i > /dev/udp/10.99.0.1/9; sleep 0.1; done" })!;
        try
        {
            var r = _f.Run($"Get-PacketDrop -NetNamespace {a} -InterfaceName dmv0 -Protocol UDP -Count 2 -Duration 120");
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            var drops = r.Objects<PacketDrop>().ToList();
            Assert.Equal(2, drops.Count);
            Assert.All(drops, d =>
            {
                Assert.Equal(("dmv0", a, (ushort?)1), (d.InterfaceName, d.NetNamespace, d.InterfaceType));
                Assert.Equal(IPAddress.Parse("10.99.0.2"), d.SourceAddress);
                Assert.Contains("nlmonps-drop-ns-", Text(d), StringComparison.Ordinal);
                Assert.Equal("NO_SOCKET", d.Reason);
            });
            Assert.StartsWith("DropMonitorNotFound,", _f.Run("Get-PacketDrop -NetNamespace no-such-ns -Count 1 -Duration 5").Error.FullyQualifiedErrorId, StringComparison.Ordinal);
        }
        finally
        {
            try { loop.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            loop.WaitForExit();
            loop.Dispose();
            PrivateNetns.Sh($"ip netns del {a}; ip netns del {b}");
        }
        AssertConfigurationIsAsFound();
    }

    [Fact]
    public void BothExportsReadBack()
    {
        var dir = Dir();
        var netlink = Path.Combine(dir, "drops-netlink.pcap");
        var frames = Path.Combine(dir, "drops.pcap");
        List<NetlinkMessage> written;
        string prefix;
        using (var sender = new ClosedPortSender("export"))
        {
            prefix = sender.Prefix;
            // Export-PacketDropPcap passes the drops on; Export-NetlinkPcap takes them as their NET_DM messages.
            var r = _f.Run("Get-PacketDrop -Count 2 -Duration 120 -Protocol UDP | Export-PacketDropPcap -Path $b -PassThru | Export-NetlinkPcap -Path $a -PassThru",
                new Dictionary<string, object?> { ["a"] = netlink, ["b"] = frames });
            Assert.Null(r.Terminating);
            Assert.Empty(r.Errors);
            written = r.Objects<PacketDrop>().Select(d => d.Message).ToList();   // -PassThru passes the drops on
            Assert.Equal(2, written.Count);
        }

        var back = _f.Run("Get-NetlinkMessage -Path $a", new Dictionary<string, object?> { ["a"] = netlink }).Objects<NetlinkMessage>().ToList();
        Assert.Equal(3, back.Count);
        Assert.Equal(("nlctrl", "CTRL_CMD_NEWFAMILY"), (back[0].Family, back[0].Command));
        Assert.Equal(written.Select(m => m.Bytes), back.Skip(1).Select(m => m.Bytes));
        Assert.All(back.Skip(1), m => Assert.Equal("NET_DM", m.Family));

        var text = DropMonitorCmdletTests.Tshark("-r", netlink, "-V");
        Assert.Contains("(NET_DM)", text, StringComparison.Ordinal);
        Assert.Contains("Drop location (symbol): __udp4_lib_rcv+", text, StringComparison.Ordinal);
        Assert.Contains("Dst Port: 9", text, StringComparison.Ordinal);

        var lines = DropMonitorCmdletTests.Tshark("-r", frames, "-T", "fields", "-e", "sll.ifindex", "-e", "ip.src", "-e", "udp.dstport", "-e", "udp.payload")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        foreach (var (line, m) in lines.Zip(written))
        {
            var fields = line.Split('\t');
            Assert.Equal(new[] { "1", "127.0.0.1", "9" }, fields[..3]);
            var payload = Encoding.ASCII.GetString(Convert.FromHexString(fields[3].Replace(":", "", StringComparison.Ordinal)));
            Assert.StartsWith(prefix, payload, StringComparison.Ordinal);
            Assert.Contains(payload, Encoding.ASCII.GetString(m.Bytes), StringComparison.Ordinal);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void WithoutCapNetAdminTheKernelRefusesAndTheErrorSaysSo()
    {
        DropMonitorException? caught = null;
        Exception? failure = null;
        DropMonitorConfiguration? read = null;
        var thread = new Thread(() =>
        {
            try
            {
                NlmonPS.Tests.Mirror.Capabilities.DropFromThisThread(NlmonPS.Tests.Mirror.Capabilities.CAP_NET_ADMIN);
                using var client = DropMonitorClient.Open();
                read = client.GetConfiguration();   // reading needs no privilege
                client.SetConfiguration(null, null, 10);
            }
            catch (DropMonitorException e) { caught = e; }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
        Assert.NotNull(read);
        Assert.NotNull(caught);
        Assert.Equal("DropMonitorPermissionDenied", caught!.ErrorId);
        Assert.Contains("CAP_NET_ADMIN", caught.Message, StringComparison.Ordinal);
        AssertConfigurationIsAsFound();
    }

    [Fact]
    public void LostAlertsAreReportedAsWarnings()
    {
        // A queue of one packet per CPU and bursts of datagrams: the kernel drops alerts and counts them. The bursts
        // go on for the whole run: a fixed number of rounds could end before the slow guest has started monitoring.
        using var sender = new ClosedPortSender("flood", intervalMs: 50, burst: 300);
        var r = _f.Run("Get-PacketDrop -QueueLength 1 -Duration 4 -Protocol UDP");
        Assert.Null(r.Terminating);
        _f.Log($"flood: {sender.Sent} sent, {r.Output.Count} drops written, warnings: {string.Join(" | ", r.Warnings)}");
        Assert.Contains(r.Warnings, w => w.Contains("lost", StringComparison.Ordinal) && w.Contains("NET_DM_ATTR_STATS_DROPPED", StringComparison.Ordinal));
        AssertConfigurationIsAsFound();
    }

    private sealed class Finally(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
