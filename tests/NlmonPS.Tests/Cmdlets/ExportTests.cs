using System.Diagnostics;
using System.Management.Automation;
using NlmonPS.Decoding;
using Xunit;
using static NlmonPS.Tests.Cmdlets.CaptureFiles;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>
/// Export-NetlinkPcap: records kept exactly (issue 14), file safety on full disks, read-only targets and planted
/// links (issue 16), deserialized input and pcapng with one interface per source (issue 13).
/// </summary>
public sealed class ExportTests : IDisposable
{
    private readonly PowerShellHost _host = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("nlmonps-export-").FullName;
    private static string Fixtures => Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures");

    private PowerShellHost.Result Run(string script, params (string Name, object? Value)[] variables) =>
        _host.Run(script, variables.Append(("dir", _dir)).ToDictionary<(string Name, object? Value), string, object?>(v => v.Name, v => v.Value));

    public static TheoryData<string> EveryCapture()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Fixtures, "*.pcap", SearchOption.AllDirectories).Order())
            data.Add(Path.GetRelativePath(Fixtures, f));
        return data;
    }

    /// <summary>Every committed capture, read and exported with -RevealSecrets, comes back byte for byte (file header included).</summary>
    [Theory]
    [MemberData(nameof(EveryCapture))]
    public void ReexportReproducesEveryFixtureByteForByte(string name)
    {
        var source = Path.Combine(Fixtures, name);
        var r = Run("Get-NetlinkMessage -LiteralPath $src -RevealSecrets -ErrorAction SilentlyContinue | Export-NetlinkPcap -LiteralPath \"$dir/copy.pcap\"", ("src", source));
        Assert.Null(r.Terminating);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Combine(_dir, "copy.pcap")));
    }

    /// <summary>The netlink captures of other projects (../shared/captures, when present): every record's bytes, header and length.</summary>
    [Theory]
    [InlineData("pyroute2-nl0.pcap")]
    [InlineData("nldecap-two_packets_le.pcap")]
    [InlineData("nldecap-two_packets_be.pcap")]
    public void ReexportReproducesSharedNetlinkCapturesRecordByRecord(string name)
    {
        var source = ModuleLoader.SharedCapture(name);
        Assert.SkipWhen(source is null, $"../shared/captures/{name} is not present");
        var r = Run("Get-NetlinkMessage -LiteralPath $src -RevealSecrets -ErrorAction SilentlyContinue | Export-NetlinkPcap -LiteralPath \"$dir/copy.pcap\"", ("src", source));
        Assert.Null(r.Terminating);
        var original = ReadAll(source!);
        var copy = ReadAll(Path.Combine(_dir, "copy.pcap"));
        Assert.Equal(original.Count, copy.Count);
        foreach (var (a, b) in original.Zip(copy))
        {
            Assert.Equal(a.Frame, b.Frame);
            Assert.Equal(a.Length, b.Length);
            Assert.Equal(a.Time, b.Time);
        }
    }

    /// <summary>Records through the module's own reader (any byte order, resolution or format): frame bytes, length, time.</summary>
    private static List<(byte[] Frame, long Length, DateTimeOffset Time)> ReadAll(string path)
    {
        var list = new List<(byte[], long, DateTimeOffset)>();
        using var reader = NlmonPS.Capture.NetlinkCaptureReader.Open(path);
        while (reader.ReadNext() is { } record)
        {
            var frame = new byte[16 + record.Data.Length];
            NlmonPS.Capture.LinkTypes.WriteHeader(frame, record.Protocol, record.LinkHeader);
            record.Data.Span.CopyTo(frame.AsSpan(16));
            list.Add((frame, 16 + (record.OriginalLength ?? record.Data.Length), record.Timestamp));
        }
        return list;
    }

    /// <summary>
    /// `ip route show table all` (iproute2 6.1, recorded through nlmon): one RTM_GETROUTE of 28 bytes followed by
    /// the 128 zero bytes of the rest of iproute2's request struct, 172 bytes with the nlmon header. All 172 come back.
    /// </summary>
    [Fact]
    public void ARealIproute2RequestKeepsItsTrailingBytes()
    {
        var source = Path.Combine(Fixtures, "route-route-neigh-rule.pcap");
        var r = Run("Get-NetlinkMessage -LiteralPath $src | Where-Object RecordNumber -eq 58 | Export-NetlinkPcap -LiteralPath \"$dir/one.pcap\" -PassThru", ("src", source));
        var request = (NetlinkMessage)Assert.Single(r.Output).BaseObject;
        Assert.Equal(("RTM_GETROUTE", 28u, 156, true), (request.TypeName, request.Length, request.RecordLength, request.IsLastInRecord));
        var original = Records(source)[57];
        var copy = Assert.Single(Records(Path.Combine(_dir, "one.pcap")));
        Assert.Equal(172, copy.Frame.Length);
        Assert.Equal(original.Frame, copy.Frame);
    }

    /// <summary>A record's nlmon header is kept as captured (packet type, the unused address bytes), from pcap and pcapng input.</summary>
    [Fact]
    public void TheCookedHeaderIsKeptFromPcapAndPcapng()
    {
        var header = new byte[16];
        header[1] = 0;                                                    // PACKET_HOST, not nlmon's 4
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 824);
        for (int i = 6; i < 14; i++) header[i] = (byte)(0xa0 + i);        // address bytes nlmon leaves unused
        var frame = NetlinkFrame(GetLink(), header: header);
        var pcap = Path.Combine(_dir, "h.pcap");
        File.WriteAllBytes(pcap, Pcap(new[] { new Frame(1, 2, frame) }));
        var pcapng = Path.Combine(_dir, "h.pcapng");
        File.WriteAllBytes(pcapng, Pcapng(new[] { (1_000_002UL, frame) }));
        foreach (var input in new[] { pcap, pcapng })
        {
            Assert.Null(Run("Get-NetlinkMessage -LiteralPath $src | Export-NetlinkPcap -LiteralPath \"$dir/out.pcap\" -Force", ("src", input)).Terminating);
            var copy = Assert.Single(Records(Path.Combine(_dir, "out.pcap")));
            Assert.Equal(frame, copy.Frame);
            Assert.Equal((1u, 2u), (copy.Seconds, copy.Micros));
        }
    }

    /// <summary>A filtered record (some of its messages left out) is written as its messages alone: no stale trailing bytes.</summary>
    [Fact]
    public void APartOfARecordIsWrittenWithoutTheRecordsTrailingBytes()
    {
        var two = GetLink(1).Concat(GetLink(2)).Concat(new byte[40]).ToArray();
        var input = Path.Combine(_dir, "two.pcap");
        File.WriteAllBytes(input, Pcap(new[] { new Frame(1, 0, NetlinkFrame(two)) }));
        Run("Get-NetlinkMessage -LiteralPath $src | Where-Object Sequence -eq 1 | Export-NetlinkPcap -LiteralPath \"$dir/first.pcap\"", ("src", input));
        Assert.Equal(16 + 32, Assert.Single(Records(Path.Combine(_dir, "first.pcap"))).Frame.Length);
        Run("Get-NetlinkMessage -LiteralPath $src | Export-NetlinkPcap -LiteralPath \"$dir/all.pcap\"", ("src", input));
        Assert.Equal(16 + two.Length, Assert.Single(Records(Path.Combine(_dir, "all.pcap"))).Frame.Length);
    }

    /// <summary>
    /// A capture appended to itself gets one copy: the reader reads the file as it was when it began (it used to read
    /// its own output until the disk was full), whether the messages are handed to the export or piped.
    /// </summary>
    [Fact]
    public void AppendingACaptureToItselfAppendsOneCopy()
    {
        var target = Path.Combine(_dir, "self.pcap");
        File.Copy(Path.Combine(Fixtures, "route-link-addr.pcap"), target);
        var original = Records(target);
        var handed = Run("Get-NetlinkMessage -LiteralPath $t -ErrorAction SilentlyContinue | Export-NetlinkPcap -LiteralPath $t -Append", ("t", target));
        Assert.Null(handed.Terminating);
        var once = Records(target);
        Assert.Equal(2 * original.Count, once.Count);
        Assert.Equal(original.Select(r => r.Frame), once.Skip(original.Count).Select(r => r.Frame));
        var piped = Run("Get-NetlinkMessage -LiteralPath $t -ErrorAction SilentlyContinue | ForEach-Object { $_ } | Export-NetlinkPcap -LiteralPath $t -Append", ("t", target));
        Assert.Null(piped.Terminating);
        Assert.Equal(4 * original.Count, Records(target).Count);
    }

    /// <summary>A 64 KB tmpfs: the export fails with ENOSPC named, how many records were lost, and the old file intact.</summary>
    [Fact]
    public void AFullDiskIsATerminatingErrorAndTheTargetIsUnchanged()
    {
        var mount = Path.Combine(_dir, "small");
        Directory.CreateDirectory(mount);
        Assert.SkipUnless(Sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount) == 0, "mounting a tmpfs needs root (CAP_SYS_ADMIN)");
        try
        {
            var target = Path.Combine(mount, "big.pcap");
            File.WriteAllBytes(target, new byte[] { 1, 2, 3 });
            var source = Path.Combine(Fixtures, "route-link-addr.pcap");   // 343 records, ~170 KB
            var r = Run("Get-NetlinkMessage -LiteralPath $src -ErrorAction SilentlyContinue | Export-NetlinkPcap -LiteralPath $t -Force", ("src", source), ("t", target));
            var error = ErrorOf(r);
            Assert.Equal("NetlinkPcapWriteFailed", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("ENOSPC", error.Exception.Message);
            Assert.Contains(target, error.Exception.Message);
            Assert.Matches(@"none of the \d+ records given to it was kept", error.Exception.Message);
            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(target));
            Assert.Equal(new[] { "big.pcap" }, Directory.GetFiles(mount).Select(Path.GetFileName));   // no temporary file left

            // An append that runs out of room is cut back to the file as it was.
            var small = Path.Combine(mount, "small.pcap");
            Run("Get-NetlinkMessage -LiteralPath $src -Count 2 | Export-NetlinkPcap -LiteralPath $t", ("src", source), ("t", small));
            File.Delete(target);
            var before = File.ReadAllBytes(small);
            File.WriteAllBytes(Path.Combine(mount, "filler"), new byte[40_000]);
            var append = Run("Get-NetlinkMessage -LiteralPath $src -ErrorAction SilentlyContinue | Export-NetlinkPcap -LiteralPath $t -Append", ("src", source), ("t", small));
            Assert.Contains("cut back", ErrorOf(append).Exception.Message);
            Assert.Equal(before, File.ReadAllBytes(small));

            // Export-PacketDropPcap writes through the same writer: the same error, and no file.
            var drops = Enumerable.Repeat(NlmonPS.Tests.DropMonitoring.DropMonitorCmdletTests.SampleDrops(), 400).SelectMany(d => d).ToArray();
            var frames = Path.Combine(mount, "drops.pcap");
            var dropped = Run("$drops | Export-PacketDropPcap -LiteralPath $t", ("drops", drops), ("t", frames));
            Assert.Equal("NetlinkPcapWriteFailed", ErrorOf(dropped).FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("ENOSPC", ErrorOf(dropped).Exception.Message);
            Assert.False(File.Exists(frames));
        }
        finally
        {
            Sh("umount", mount);
        }
    }

    [Fact]
    public void AReadOnlyTargetIsRefusedWithoutForceAndWhatIfChangesNothing()
    {
        var target = Path.Combine(_dir, "ro.pcap");
        File.WriteAllBytes(target, new byte[] { 9 });
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var src = ("src", (object?)Path.Combine(Fixtures, "native", "route-addr.pcap"));
        var refused = Run("Get-NetlinkMessage -LiteralPath $src | Export-NetlinkPcap -LiteralPath $t", src, ("t", target));
        Assert.Equal("NetlinkPcapFileReadOnly", ErrorOf(refused).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal(ErrorCategory.PermissionDenied, ErrorOf(refused).CategoryInfo.Category);
        Assert.Equal("NetlinkPcapFileReadOnly", ErrorOf(Run("Get-NetlinkMessage -LiteralPath $src | Export-NetlinkPcap -LiteralPath $t -Append", src, ("t", target))).FullyQualifiedErrorId.Split(',')[0]);
        Run("Get-NetlinkMessage -LiteralPath $src | Export-NetlinkPcap -LiteralPath $t -Force -WhatIf", src, ("t", target));
        Assert.Equal((UnixFileMode)0b100_100_100, File.GetUnixFileMode(target));
        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(target));
        Assert.Null(Run("Get-NetlinkMessage -LiteralPath $src | Export-NetlinkPcap -LiteralPath $t -Force", src, ("t", target)).Terminating);
        Assert.Equal(File.ReadAllBytes((string)src.Item2!), File.ReadAllBytes(target));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
    }

    /// <summary>A link planted where the export goes (another user's, in /tmp) is never written through, -Force or not.</summary>
    [Fact]
    public void ASymbolicLinkTargetIsRefused()
    {
        var victim = Path.Combine(_dir, "victim");
        File.WriteAllText(victim, "precious");
        var link = Path.Combine(_dir, "planted.pcap");
        File.CreateSymbolicLink(link, victim);
        foreach (var options in new[] { "", "-Force", "-Append", "-Force -NoClobber" })
        {
            var r = Run($"Get-NetlinkMessage -LiteralPath $src | Export-NetlinkPcap -LiteralPath $t {options}",
                ("src", Path.Combine(Fixtures, "native", "route-addr.pcap")), ("t", link));
            var error = ErrorOf(r);
            Assert.Equal("NetlinkPcapTargetIsLink", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Equal("precious", File.ReadAllText(victim));
            Assert.Equal(victim, new FileInfo(link).LinkTarget);
        }
    }

    /// <summary>A FIFO (a live Wireshark reading it) and /dev/null are written as they are: never replaced by a file.</summary>
    [Fact]
    public void AFifoOrDeviceTargetIsWrittenInPlace()
    {
        var source = Path.Combine(Fixtures, "native", "route-addr.pcap");
        var fifo = Path.Combine(_dir, "live.fifo");
        Assert.Equal(0, Sh("mkfifo", fifo));
        byte[]? received = null;
        var reader = new Thread(() => { using var f = new FileStream(fifo, FileMode.Open, FileAccess.Read); using var m = new MemoryStream(); f.CopyTo(m); received = m.ToArray(); });
        reader.Start();
        Assert.Null(Run("Get-NetlinkMessage -LiteralPath $src | Export-NetlinkPcap -LiteralPath $t", ("src", source), ("t", fifo)).Terminating);
        Assert.True(reader.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal(File.ReadAllBytes(source), received);
        Assert.Equal(0, Sh("test", "-p", fifo));

        Assert.Empty(Run("Get-NetlinkMessage -LiteralPath $src | Export-NetlinkPcap -LiteralPath /dev/null -Force", ("src", source)).Errors);
        Assert.Equal(0, Sh("test", "-c", "/dev/null"));
    }

    [Fact]
    public void AppendingToAFileThatIsNoCaptureSaysSo()
    {
        var target = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(target, "my notes, not a capture");
        var r = Run("Get-NetlinkMessage -LiteralPath $src | Export-NetlinkPcap -LiteralPath $t -Append",
            ("src", Path.Combine(Fixtures, "native", "route-addr.pcap")), ("t", target));
        Assert.Contains("is not a pcap or pcapng capture file", ErrorOf(r).Exception.Message);
        // No "-1" (a length or offset leaking into the text); the path is left out: its random part may hold one.
        Assert.DoesNotContain("-1", ErrorOf(r).Exception.Message.Replace(target, "<target>", StringComparison.Ordinal));
        Assert.Equal("my notes, not a capture", File.ReadAllText(target));
    }

    /// <summary>
    /// Serialized as Export-Clixml and remoting do (depth 2): deserialized where the module is loaded, messages come back
    /// rehydrated; where it is not, as Deserialized.* property bags. Both export exactly as a local export does.
    /// </summary>
    [Fact]
    public void DeserializedMessagesExportTheSameRecords()
    {
        var source = Path.Combine(Fixtures, "route-route-neigh-rule.pcap");
        var xml = Run("[System.Management.Automation.PSSerializer]::Serialize(@(Get-NetlinkMessage -LiteralPath $src -ErrorAction SilentlyContinue), 2)", ("src", source));
        var clixml = (string)Assert.Single(xml.Output).BaseObject;
        var rehydrated = Run("$m = [System.Management.Automation.PSSerializer]::Deserialize($xml); $m | Export-NetlinkPcap -LiteralPath \"$dir/local.pcap\"; $m[0]", ("xml", clixml));
        Assert.Empty(rehydrated.Errors);
        var first = Assert.IsType<NetlinkMessage>(rehydrated.Output[0].BaseObject);
        Assert.Equal("RTM_NEWROUTE", first.TypeName);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Combine(_dir, "local.pcap")));

        // Outside any session with the module, the same XML gives Deserialized.* property bags: exported all the same.
        var bags = ((System.Collections.IEnumerable)((PSObject)PSSerializer.Deserialize(clixml)).BaseObject).Cast<object>().Select(PSObject.AsPSObject).ToArray();
        Assert.Contains("Deserialized.NlmonPS.Decoding.NetlinkMessage", bags[0].TypeNames);
        Assert.IsNotType<NetlinkMessage>(bags[0].BaseObject);
        var r = Run("$bags | Export-NetlinkPcap -LiteralPath \"$dir/bags.pcap\"", ("bags", bags));
        Assert.Empty(r.Errors);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Path.Combine(_dir, "bags.pcap")));
    }

    [Fact]
    public void AnythingElseIsAnErrorPerObject()
    {
        var r = Run("'not a message', 42 | Export-NetlinkPcap -LiteralPath \"$dir/x.pcap\"");
        Assert.Equal(2, r.Errors.Count(e => e.FullyQualifiedErrorId.StartsWith("NetlinkPcapInputNotAMessage,", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Two hosts' messages (PSComputerName as remoting adds it) arriving out of time order: one pcapng,
    /// an interface per host and file, records in time order, read back with each message's host and device; tshark
    /// reads both interfaces.
    /// </summary>
    [Fact]
    public void ManySourcesMergeIntoOnePcapngThatReadsBackWithTheirNames()
    {
        var a = Path.Combine(Fixtures, "native", "route-addr.pcap");
        var b = Path.Combine(Fixtures, "native", "route-link.pcap");
        var r = Run("""
            # As Invoke-Command -HostName h1, h2 gives them: each object with a PSComputerName note.
            $h1 = Get-NetlinkMessage -LiteralPath $a | ForEach-Object { $o = [psobject]$_; $o.psobject.Properties.Add([psnoteproperty]::new('PSComputerName', 'h1')); $o }
            $h2 = Get-NetlinkMessage -LiteralPath $b | ForEach-Object { $o = [psobject]$_; $o.psobject.Properties.Add([psnoteproperty]::new('PSComputerName', 'h2')); $o }
            # h1's capture began a second after h2's: written h1 first, the file must be sorted at the end.
            @($h1) + @($h2) | Export-NetlinkPcap -LiteralPath "$dir/fleet.pcapng"
            Get-NetlinkMessage -LiteralPath "$dir/fleet.pcapng"
            """, ("a", a), ("b", b));
        Assert.Null(r.Terminating);
        var messages = r.Output.Select(o => (NetlinkMessage)o.BaseObject).ToList();
        Assert.Equal(messages.OrderBy(m => m.Timestamp).Select(m => m.Timestamp), messages.Select(m => m.Timestamp));
        var groups = messages.GroupBy(m => (m.ComputerName, m.Device)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(2, groups.Count);
        Assert.Equal(NlmonPS.Tests.Fixtures.Decode(a).Count, groups[("h1", "route-addr.pcap")]);
        Assert.Equal(NlmonPS.Tests.Fixtures.Decode(b).Count, groups[("h2", "route-link.pcap")]);

        var tshark = new[] { "/usr/bin/tshark", "/usr/local/bin/tshark" }.FirstOrDefault(File.Exists);
        Assert.SkipWhen(tshark is null, "tshark is not installed");
        var psi = new ProcessStartInfo(tshark!, new[] { "-r", Path.Combine(_dir, "fleet.pcapng"), "-T", "fields", "-e", "frame.interface_name", "-e", "frame.interface_description" })
            { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["HOME"] = _dir;
        using var p = Process.Start(psi)!;
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().Order().ToList();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(new[] { "h1/route-addr.pcap\tNlmonPS source: host=h1; device=route-addr.pcap", "h2/route-link.pcap\tNlmonPS source: host=h2; device=route-link.pcap" }, lines);
    }

    /// <summary>Re-exporting a merged pcapng keeps its interfaces; -Format Pcap flattens to one link.</summary>
    [Fact]
    public void AMergedPcapngReexportsWithItsInterfaces()
    {
        var r = Run("""
            Get-NetlinkMessage -LiteralPath $a, $b | Export-NetlinkPcap -LiteralPath "$dir/m.pcapng"
            Get-NetlinkMessage -LiteralPath "$dir/m.pcapng" | Export-NetlinkPcap -LiteralPath "$dir/again.pcapng"
            Get-NetlinkMessage -LiteralPath "$dir/m.pcapng" | Export-NetlinkPcap -LiteralPath "$dir/flat.pcap" -Format Pcapng -Force -WhatIf
            """, ("a", Path.Combine(Fixtures, "native", "route-addr.pcap")), ("b", Path.Combine(Fixtures, "native", "route-rule.pcap")));
        Assert.Null(r.Terminating);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "m.pcapng")), File.ReadAllBytes(Path.Combine(_dir, "again.pcapng")));
        Assert.False(File.Exists(Path.Combine(_dir, "flat.pcap")));
    }

    /// <summary>The error that stopped the export (a cmdlet's terminating error ends its statement, not the script).</summary>
    private static ErrorRecord ErrorOf(PowerShellHost.Result r) =>
        (r.Terminating as IContainsErrorRecord)?.ErrorRecord ?? Assert.Single(r.Errors);

    private static int Sh(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode;
    }

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_dir, true);
    }
}
