using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using NlmonPS.Cmdlets;
using NlmonPS.Decoding;
using NlmonPS.DropMonitoring;
using NlmonPS.KernelClients;
using NlmonPS.Wire;
using SharpPcap;
using SharpPcap.LibPcap;
using Xunit;

namespace NlmonPS.Tests.DropMonitoring;

/// <summary>
/// The drop-monitor cmdlets on any machine: the error that names why the kernel has no drop monitor (this
/// machine's kernel has none), diagnosis of every cause, exports of real alerts read back through
/// Get-NetlinkMessage, SharpPcap and tshark, formatting, the module's shape and the uapi numbers.
/// </summary>
public sealed partial class DropMonitorCmdletTests : IDisposable
{
    private static readonly string[] CmdletNames =
        { "Get-PacketDrop", "Export-PacketDropPcap", "Get-DropMonitorConfiguration", "Set-DropMonitorConfiguration", "Get-DropMonitorStatistics" };

    private readonly PowerShellHost _host = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("nlmonps-dropmon-").FullName;

    public void Dispose()
    {
        _host.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>Two drops of the recorded alert, as separate alerts (one truncated to 34 bytes, as with -TruncateLength 34).</summary>
    internal static List<PacketDrop> SampleDrops()
    {
        var full = DropAlertParser.ParsePacketAlert(DropMonitorSamples.PacketAlert, ByteOrder.LittleEndian, DropMonitorSamples.FamilyId,
            new DropAlertContext { Interfaces = i => new InterfaceInfo(i, "lo", PacketDropPcapWriter.ArphrdLoopback), RecordNumber = 1, ReceivedAt = DateTimeOffset.Now });
        // The same alert cut to 34 bytes of payload: what the kernel sends with trunc_len 34.
        var attrs = GenericNetlinkClient.Attributes(DropMonitorSamples.PacketAlert, ByteOrder.LittleEndian);
        var b = new MessageBuilder(DropMonitorSamples.FamilyId, 0).AddBytes(new byte[] { NetDm.NET_DM_CMD_PACKET_ALERT, 2, 0, 0 });
        foreach (var a in attrs)
        {
            if (a.Type == NetDm.NET_DM_ATTR_IN_PORT) b.BeginNest(a.Type).AddU32(NetDm.NET_DM_ATTR_PORT_NETDEV_IFINDEX, 1).EndNest();
            else b.AddAttribute(a.Type, a.Type == NetDm.NET_DM_ATTR_PAYLOAD ? a.Payload.Span[..34] : a.Payload.Span);
        }
        var cut = DropAlertParser.ParsePacketAlert(b.ToArray(), Endian.Host, DropMonitorSamples.FamilyId,
            new DropAlertContext { Interfaces = i => new InterfaceInfo(i, "lo", PacketDropPcapWriter.ArphrdLoopback), RecordNumber = 2, ReceivedAt = DateTimeOffset.Now });
        return new List<PacketDrop> { full, cut };
    }

    private static bool KernelHasNetDm()
    {
        using var genl = new GenericNetlinkClient();
        return genl.GetFamily(NetDm.FamilyName) is not null;
    }

    [Fact]
    public void WithoutADropMonitorEveryCmdletSaysWhyAndWhatToDo()
    {
        Assert.SkipWhen(KernelHasNetDm(), "this kernel has NET_DM: the live tests (kernel/ rig) cover it");
        var facts = DropMonitorAvailability.Gather();
        var expected = DropMonitorAvailability.Diagnose(facts);
        Assert.True(expected is not null, $"NET_DM is missing and the facts tell why: {facts}");
        if (facts.ConfigValue == "n")
        {
            // This machine: the kernel config says CONFIG_NET_DROP_MONITOR is not set, and modules cannot be loaded.
            Assert.Equal("DropMonitorNotInKernel", expected!.ErrorId);
            Assert.Contains("CONFIG_NET_DROP_MONITOR is not set", expected.Message, StringComparison.Ordinal);
        }
        foreach (var script in new[] { "Get-PacketDrop -Count 1", "Get-DropMonitorConfiguration", "Get-DropMonitorStatistics", "Set-DropMonitorConfiguration -QueueLength 10 -ErrorAction Stop" })
        {
            var error = ErrorOf(_host.Run(script));
            Assert.StartsWith(expected!.ErrorId + ",", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Equal(expected.Message, error.Exception.Message);
            Assert.Equal(ErrorRecords.Category(expected.Kind), error.CategoryInfo.Category);
        }
    }

    [Fact]
    public void DiagnosisNamesEachCause()
    {
        var ok = new DropMonitorKernelFacts
        {
            KernelRelease = "6.1.0-56-amd64", ConfigValue = "m", ConfigSource = "/boot/config-6.1.0-56-amd64", ModulesSupported = true,
            ModuleFile = "/lib/modules/6.1.0-56-amd64/kernel/net/core/drop_monitor.ko", ModulesDirectoryExists = true, CanLoadModules = true, InInitialNetNamespace = true,
        };
        Assert.Null(DropMonitorAvailability.Diagnose(ok));
        Assert.Null(DropMonitorAvailability.Diagnose(ok with { ConfigValue = null, ConfigSource = null }));
        void Expect(DropMonitorKernelFacts f, string id, string words)
        {
            var e = DropMonitorAvailability.Diagnose(f);
            Assert.True(e is not null, $"{id} expected");
            Assert.Equal(id, e!.ErrorId);
            Assert.Contains(words, e.Message, StringComparison.Ordinal);
        }
        Expect(ok with { ConfigValue = "n" }, "DropMonitorNotInKernel", "CONFIG_NET_DROP_MONITOR is not set (/boot/config-6.1.0-56-amd64)");
        Expect(ok with { ConfigValue = "n", ModulesSupported = false }, "DropMonitorNotInKernel", "CONFIG_NET_DROP_MONITOR=y or =m");
        Expect(ok with { ConfigValue = null, ModulesSupported = false, ModuleFile = null }, "DropMonitorNoModuleSupport", "cannot load modules");
        Expect(ok with { ModuleFile = null }, "DropMonitorModuleNotFound", "linux-image-6.1.0-56-amd64");
        Expect(ok with { ModuleFile = null, ModulesDirectoryExists = false }, "DropMonitorModuleNotFound", "/lib/modules/6.1.0-56-amd64 is missing");
        Expect(ok with { CanLoadModules = false }, "DropMonitorModuleLoadDenied", "CAP_SYS_MODULE");
        Expect(ok with { InInitialNetNamespace = false }, "DropMonitorNotInInitialNamespace", "initial network namespace");
        Assert.Null(DropMonitorAvailability.Diagnose(ok with { ModuleFile = null, BuiltIn = true }));
    }

    [Theory]
    [InlineData("CONFIG_NET=y\n# CONFIG_NET_DROP_MONITOR is not set\n", "n")]
    [InlineData("CONFIG_NET_DROP_MONITOR=m\n", "m")]
    [InlineData("CONFIG_NET_DROP_MONITOR=y\nCONFIG_NET_DROP_MONITOR_X=y\n", "y")]
    [InlineData("CONFIG_NET=y\n", null)]
    public void KernelConfigIsRead(string text, string? expected) =>
        Assert.Equal(expected, DropMonitorAvailability.ParseConfig(new StringReader(text)));

    [Fact]
    public void PermissionAndBusyAnswersNameTheirCause()
    {
        static NetlinkKernelException Kernel(int errno, string? ext) => new(new NetlinkError { Errno = errno, ErrorName = Errno.NameOf(errno), Text = Errno.TextOf(errno), ExtendedMessage = ext }, "x");
        var busy = DropMonitorClient.FromKernel(Kernel(16, "Cannot configure drop monitor during monitoring"), "change the configuration");
        Assert.Equal("DropMonitorBusy", busy.ErrorId);
        Assert.Contains("EBUSY", busy.Message, StringComparison.Ordinal);
        Assert.Contains("monitoring is on", busy.Message, StringComparison.Ordinal);
        Assert.Contains("Cannot configure drop monitor during monitoring", busy.Message, StringComparison.Ordinal);
        Assert.Equal("DropMonitorBusy", DropMonitorClient.FromKernel(Kernel(11, "Trace state already set to requested state"), "start monitoring").ErrorId);
        var denied = DropMonitorClient.FromKernel(Kernel(1, null), "start monitoring");
        Assert.Equal("DropMonitorPermissionDenied", denied.ErrorId);
        Assert.Contains("CAP_NET_ADMIN", denied.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.ResourceBusy, ErrorRecords.Category(busy.Kind));
    }

    /// <summary>The error of a one-statement script: a terminating one, or the one in the error stream (statement-terminating errors land there).</summary>
    internal static ErrorRecord ErrorOf(PowerShellHost.Result r) =>
        r.Terminating is RuntimeException { ErrorRecord: { } terminating } ? terminating : Assert.Single(r.Errors);

    [Fact]
    public void ArgumentsAreCheckedBeforeTheKernelIsAsked()
    {
        Assert.Equal("DropMonitorFilterNeedsPacketMode,NlmonPS.Cmdlets.GetPacketDropCommand", ErrorOf(_host.Run("Get-PacketDrop -Mode Summary -InterfaceName lo")).FullyQualifiedErrorId);
        Assert.StartsWith("DropMonitorUnknownProtocol,", ErrorOf(_host.Run("Get-PacketDrop -Protocol carrier-pigeon")).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.StartsWith("InvalidDuration,", ErrorOf(_host.Run("Get-PacketDrop -Duration 0")).FullyQualifiedErrorId, StringComparison.Ordinal);
        var t = new SecondsToTimeSpanAttribute();
        Assert.Equal(TimeSpan.FromSeconds(2.5), t.Transform(null!, 2.5));
        Assert.Equal(TimeSpan.FromSeconds(3), t.Transform(null!, 3));
        Assert.Equal(TimeSpan.FromSeconds(4), t.Transform(null!, "4"));
        Assert.Equal(TimeSpan.FromSeconds(5), t.Transform(null!, "00:00:05"));
    }

    [Fact]
    public void DropsExportAsNetlinkMessagesWithTheFamilyPreamble()
    {
        var file = Path.Combine(_dir, "drops-netlink.pcap");
        var r = _host.Run("$drops | Export-NetlinkPcap -Path $f; Get-NetlinkMessage -Path $f",
            new Dictionary<string, object?> { ["drops"] = SampleDrops(), ["f"] = file });
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var messages = r.Output.Select(o => (NetlinkMessage)o.BaseObject).ToList();
        Assert.Equal(3, messages.Count);
        Assert.Equal(("nlctrl", "CTRL_CMD_NEWFAMILY"), (messages[0].Family, messages[0].Command));
        Assert.Equal(DropMonitorSamples.FamilyId, (ushort)messages[0].Attributes["family_id"]!);
        Assert.All(messages.Skip(1), m => Assert.Equal("NET_DM", m.Family));
        Assert.Equal(DropMonitorSamples.PacketAlert, messages[1].Bytes);

        var text = Tshark("-r", file, "-V");
        Assert.Contains("Family ID: 0x23 (NET_DM)", text, StringComparison.Ordinal);
        Assert.Contains("Drop location (symbol): __udp4_lib_rcv+0x9a2/0xc30", text, StringComparison.Ordinal);
        Assert.Contains("User Datagram Protocol, Src Port: 44339, Dst Port: 9", text, StringComparison.Ordinal);
    }

    [Fact]
    public void DropsExportAsFramesThatTcpdumpToolsRead()
    {
        var file = Path.Combine(_dir, "drops.pcap");
        var r = _host.Run("$drops | Export-PacketDropPcap -Path $f -PassThru", new Dictionary<string, object?> { ["drops"] = SampleDrops(), ["f"] = file });
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal(2, r.Output.Count);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        using (var reader = new CaptureFileReaderDevice(file))
        {
            reader.Open();
            Assert.Equal(276, (int)reader.LinkType);
            Assert.Equal(GetPacketStatus.PacketRead, reader.GetNextPacket(out var first));
            Assert.Equal(SampleDrops()[0].Packet[14..], first.Data[20..].ToArray());
        }
        // Record headers: caplen and len (the truncated drop keeps its real length, like a capture with a snaplen).
        var bytes = File.ReadAllBytes(file);
        var records = new List<(uint Caplen, uint Len)>();
        for (int at = 24; at + 16 <= bytes.Length; at += 16 + (int)BitConverter.ToUInt32(bytes, at + 8))
            records.Add((BitConverter.ToUInt32(bytes, at + 8), BitConverter.ToUInt32(bytes, at + 12)));
        Assert.Equal(new[] { (59u, 59u), (40u, 59u) }, records);

        var lines = Tshark("-r", file, "-T", "fields", "-e", "sll.ifindex", "-e", "sll.etype", "-e", "ip.src", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "frame.len", "-e", "frame.cap_len")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("1\t0x0800\t127.0.0.1\t44339\t9\t59\t59", lines[0]);
        Assert.StartsWith("1\t0x0800\t127.0.0.1\t", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("\t59\t40", lines[1], StringComparison.Ordinal);

        // -Append keeps adding frames; a file of another link type is refused.
        Assert.Null(_host.Run("$drops | Export-PacketDropPcap -Path $f -Append", new Dictionary<string, object?> { ["drops"] = SampleDrops(), ["f"] = file }).Terminating);
        Assert.Equal(4, Tshark("-r", file).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var netlink = Path.Combine(_dir, "n.pcap");
        _host.Run("$drops | Export-NetlinkPcap -Path $n", new Dictionary<string, object?> { ["drops"] = SampleDrops(), ["n"] = netlink });
        var refused = _host.Run("$drops | Export-PacketDropPcap -Path $n -Append", new Dictionary<string, object?> { ["drops"] = SampleDrops(), ["n"] = netlink });
        Assert.StartsWith("NetlinkPcapLinkTypeMismatch,", ErrorOf(refused).FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void DropsFormatAsTables()
    {
        var context = new DropAlertContext { Interfaces = i => new InterfaceInfo(i, "lo", 772) };
        var drop = DropAlertParser.ParsePacketAlert(DropMonitorSamples.PacketAlert, ByteOrder.LittleEndian, 0x23, context);
        var summaries = DropAlertParser.ParseSummaryAlert(DropMonitorSamples.SummaryAlert, ByteOrder.LittleEndian, 0x23, context);
        // One type per rendering: a second type in the same output is shown as a list.
        var table = PowerShellHost.Rendered("$d", new Dictionary<string, object?> { ["d"] = drop })
            + PowerShellHost.Rendered("$s", new Dictionary<string, object?> { ["s"] = summaries });
        // The views fit 80 columns (tests/Pester/Views.Tests.ps1): the function, not its offsets; protocol and length in Format-List.
        Assert.Matches(@"Time\s+Location\s+Reason\s+Dev\s+Packet", table);
        Assert.Matches(@"__udp4_lib_rcv\S*\s+NO_SOCKET\s+lo\s+UDP 127.0.0.1:44339 > 127.0.0.1:9 len 11", table);
        Assert.Matches(@"Time\s+Count\s+Interval\s+Origin\s+Location", table);
        Assert.Matches(@"\s5\s+\S+ s Software\s+0xffffffff834bcae2", table);
    }

    [Fact]
    public void CmdletsAreExportedTypedAndDocumented()
    {
        var r = _host.Run("Get-Command -Module NlmonPS -Name *PacketDrop*, *DropMonitor* | ForEach-Object { '{0}|{1}|{2}' -f $_.Name, ($_.OutputType.Name -join ','), $_.Parameters.ContainsKey('WhatIf') }");
        Assert.Null(r.Terminating);
        Assert.Equal(new[]
        {
            "Export-PacketDropPcap|NlmonPS.DropMonitoring.PacketDrop|True",
            "Get-DropMonitorConfiguration|NlmonPS.DropMonitoring.DropMonitorConfiguration|False",
            "Get-DropMonitorStatistics|NlmonPS.DropMonitoring.DropMonitorStatistics|False",
            "Get-PacketDrop|NlmonPS.DropMonitoring.PacketDrop,NlmonPS.DropMonitoring.DropSummary|False",
            "Set-DropMonitorConfiguration|NlmonPS.DropMonitoring.DropMonitorConfiguration|True",
        }, r.Output.Select(o => o.ToString()).Order(StringComparer.Ordinal));
        foreach (var name in CmdletNames)
        {
            var type = typeof(GetPacketDropCommand).Assembly.GetTypes().Single(t => t.GetCustomAttribute<CmdletAttribute>() is { } c && $"{c.VerbName}-{c.NounName}" == name);
            Assert.True(type.IsSealed, name);
            var vars = new Dictionary<string, object?> { ["c"] = name };
            Assert.True((int)_host.Run("@((Get-Help $c -Full).examples.example).Count", vars).Output.Single().BaseObject >= 2, $"{name}: examples");
            var documented = _host.Run("(Get-Help $c -Full).parameters.parameter | ForEach-Object name", vars).Output.Where(o => o is not null).Select(o => o.ToString()).ToHashSet();
            foreach (var p in type.GetProperties().Where(p => p.GetCustomAttributes<ParameterAttribute>().Any()))
                Assert.Contains(p.Name, documented);
        }
        // The help says which export is which.
        var export = string.Join(" ", _host.Run("(Get-Help Export-PacketDropPcap -Full).description | ForEach-Object Text").Output);
        Assert.Contains("Export-NetlinkPcap", export, StringComparison.Ordinal);
        Assert.Contains("LINUX_SLL2", export, StringComparison.Ordinal);
    }

    [Fact]
    public void UapiNumbersMatchTheHeaders()
    {
        Assert.SkipUnless(File.Exists("/usr/include/linux/net_dropmon.h"), "kernel headers (linux-libc-dev) not installed");
        var values = new Dictionary<string, long>();
        foreach (var h in new[] { "linux/netlink.h", "linux/genetlink.h", "linux/net_dropmon.h" })
            Parse(File.ReadAllText(Path.Combine("/usr/include", h)), values);
        int count = 0;
        foreach (var type in new[] { typeof(NetDm), typeof(Genl) })
        {
            foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType != typeof(string) && Uapi().IsMatch(f.Name)))
            {
                Assert.True(values.TryGetValue(f.Name, out var theirs), $"{f.Name} is not in the headers");
                Assert.Equal(theirs, Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture));
                count++;
            }
        }
        Assert.True(count >= 45, $"only {count} constants checked");
    }

    private static void Parse(string header, Dictionary<string, long> into)
    {
        header = Regex.Replace(header, @"/\*.*?\*/", " ", RegexOptions.Singleline);
        foreach (Match m in Regex.Matches(header, @"^\s*#define\s+([A-Z][A-Z0-9_]*)[ \t]+([^\n]+)$", RegexOptions.Multiline))
        {
            var v = m.Groups[2].Value.Trim();
            if (into.TryGetValue(v, out var known)) into[m.Groups[1].Value] = known;
            else if (v.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(v[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var hex)) into[m.Groups[1].Value] = hex;
            else if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var dec)) into[m.Groups[1].Value] = dec;
        }
        foreach (Match e in Regex.Matches(header, @"enum\s*[A-Za-z0-9_]*\s*\{([^}]*)\}", RegexOptions.Singleline))
        {
            long next = 0;
            foreach (var item in e.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = item.Split('=', 2, StringSplitOptions.TrimEntries);
                if (parts.Length == 2)
                {
                    if (into.TryGetValue(parts[1], out var known)) next = known;
                    else if (!long.TryParse(parts[1].TrimEnd('U'), NumberStyles.Integer, CultureInfo.InvariantCulture, out next)) continue;
                }
                into[parts[0]] = next++;
            }
        }
    }

    [GeneratedRegex(@"^(NET_DM|CTRL|GENL|NLMSG)_[A-Z0-9_]+$")]
    private static partial Regex Uapi();

    internal static string Tshark(params string[] args)
    {
        var tshark = new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" }.FirstOrDefault(File.Exists);
        Assert.True(tshark is not null, "tshark is installed (.ci/run installs it)");
        var psi = new ProcessStartInfo(tshark!, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["HOME"] = Path.GetTempPath();
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"tshark {string.Join(' ', args)} failed: {stderr.Result}");
        return text;
    }
}
