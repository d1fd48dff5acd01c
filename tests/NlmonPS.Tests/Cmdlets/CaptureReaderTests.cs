using System.Diagnostics;
using System.Management.Automation;
using NlmonPS.Decoding;
using Xunit;
using static NlmonPS.Tests.Cmdlets.CaptureFiles;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>
/// The capture reader against hostile and unusual files (issue 16): timestamps past 2038 and of every resolution,
/// snaplen cuts and skipped frames said as warnings, a stop honoured while skipping, special files and pipes, and
/// permission errors named as such. Every file is generated here.
/// </summary>
public sealed class CaptureReaderTests : IDisposable
{
    private readonly PowerShellHost _host = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("nlmonps-reader-").FullName;

    private PowerShellHost.Result Read(params string[] paths) =>
        _host.Run("Get-NetlinkMessage -LiteralPath $p", new Dictionary<string, object?> { ["p"] = paths });

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static List<NetlinkMessage> Messages(PowerShellHost.Result r) => r.Output.Select(o => (NetlinkMessage)o.BaseObject).ToList();

    [Fact]
    public void TimestampsAfter2038AndFractionsPastASecondReadRight()
    {
        var frame = NetlinkFrame(GetLink());
        var late = Write("late.pcap", Pcap(new[]
        {
            new Frame(0x80000000, 0, frame),                  // 2038-01-19 03:14:08: ts_sec is unsigned
            new Frame(0xFFFFFFFF, 999_999, frame),            // 2106-02-07 06:28:15.999999
            new Frame(0, 0x80000000, frame),                  // ts_usec >= 2^31 carries into seconds
        }));
        var good = Write("good.pcap", Pcap(new[] { new Frame(1_700_000_000, 5, frame) }));
        var r = Read(late, good);
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var times = Messages(r).Select(m => m.Timestamp).ToList();
        // The two files merge by time: good's 2023 record before late's first (2038); late keeps its own order.
        Assert.Equal(new[]
        {
            DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(50),
            new DateTimeOffset(2038, 1, 19, 3, 14, 8, TimeSpan.Zero),
            DateTimeOffset.FromUnixTimeSeconds(0xFFFFFFFF).AddTicks(9_999_990),
            DateTimeOffset.UnixEpoch.AddTicks(0x80000000L * 10),
        }, times);
    }

    [Fact]
    public void NanosecondBigEndianAndPcapngResolutionsReadExactly()
    {
        var frame = NetlinkFrame(GetLink());
        var expected = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_567);   // .1234567 s
        var nano = Write("ns.pcap", Pcap(new[] { new Frame(1_700_000_000, 123_456_700, frame) }, magic: 0xa1b23c4d));
        var big = Write("be.pcap", Pcap(new[] { new Frame(1_700_000_000, 123_456_700, frame) }, magic: 0xa1b23c4d, bigEndian: true));
        // pcapng: 10^-9 (tsresol 9), 2^-20 (0x94) with an offset of one hour, and the default 10^-6.
        var ngNano = Write("ns.pcapng", Pcapng(new[] { (1_700_000_000_123_456_700UL, frame) }, tsresol: 9));
        var ngBinary = Write("bin.pcapng", Pcapng(new[] { ((1_700_000_000UL - 3600) << 20 | 1UL << 19, frame) }, tsresol: 0x94, tsoffset: 3600));
        var ngMicro = Write("us.pcapng", Pcapng(new[] { (1_700_000_000_123_456UL, frame) }));
        var r = Read(nano, big, ngNano, ngBinary, ngMicro);
        Assert.Empty(r.Errors);
        // Merged by time (records of one instant in the order the files were named): the microsecond file first.
        Assert.Equal(new[] { expected.AddTicks(-7), expected, expected, expected, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddMilliseconds(500) },
            Messages(r).Select(m => m.Timestamp));
        Assert.Equal(new[] { ngMicro, nano, big, ngNano, ngBinary }, Messages(r).Select(m => m.Source));
    }

    [Fact]
    public void AnImpossibleTimestampNamesTheFileAndRecordAndTheReadGoesOn()
    {
        var frame = NetlinkFrame(GetLink());
        // Seconds resolution (tsresol 0) and a 64-bit count: far past the year 9999.
        var bad = Write("far.pcapng", Pcapng(new[] { (1UL, frame), (ulong.MaxValue, frame), (2UL, frame) }, tsresol: 0));
        var good = Write("good.pcap", Pcap(new[] { new Frame(1, 0, frame) }));
        var r = Read(bad, good);
        Assert.Equal(4, r.Output.Count);
        var error = Assert.Single(r.Errors);
        Assert.Equal("NetlinkCaptureBadRecord", error.FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("Record 2 of", error.Exception.Message);
        Assert.Contains(bad, error.Exception.Message);
    }

    [Fact]
    public void ACorruptFileNamesTheRecordAndLaterFilesAreRead()
    {
        var frame = NetlinkFrame(GetLink());
        var bytes = Pcap(new[] { new Frame(1, 0, frame), new Frame(2, 0, frame) });
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24 + 16 + frame.Length + 8), 0xFFFFFFF0);   // record 2's caplen
        var bad = Write("corrupt.pcap", bytes);
        var good = Write("good.pcap", Pcap(new[] { new Frame(1, 0, frame) }));
        var r = Read(bad, good);
        Assert.Equal(2, r.Output.Count);
        var error = Assert.Single(r.Errors);
        Assert.Contains("record 2", error.Exception.Message);
        Assert.Contains(bad, error.Exception.Message);
    }

    [Fact]
    public void ASnaplenThatCutEveryRecordIsAWarningWithCounts()
    {
        // snaplen 16: each record kept only the nlmon header; nothing of the 3 messages survived.
        var frames = Enumerable.Range(0, 3).Select(i => new Frame(1, 0, NetlinkFrame(GetLink((uint)i))[..16], 48)).ToArray();
        var r = Read(Write("snap16.pcap", Pcap(frames, snaplen: 16)));
        Assert.Empty(r.Output);
        var warning = Assert.Single(r.Warnings);
        Assert.Contains("cut 3 of its 3 netlink records", warning);
        Assert.Contains("3 of them kept no netlink bytes", warning);
        Assert.Contains("snaplen 16", warning);
    }

    [Theory]
    [InlineData("Get-NetlinkTransaction")]
    [InlineData("Measure-NetlinkTransaction")]
    [InlineData("Get-PacketDrop")]
    public void EveryCmdletThatReadsFilesWarnsOfWhatTheFileLost(string cmdlet)
    {
        // The same cut file as above, and one of frames that are not netlink: each reader says what it lost.
        var frames = Enumerable.Range(0, 3).Select(i => new Frame(1, 0, NetlinkFrame(GetLink((uint)i))[..16], 48)).ToArray();
        var cut = Write("cut.pcap", Pcap(frames, snaplen: 16));
        var sll = new byte[16 + 20];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(sll.AsSpan(2), 1);
        var other = Write("other.pcap", Pcap(Enumerable.Repeat(new Frame(1, 0, sll), 5), linkType: 113));
        var r = _host.Run(cmdlet + " -LiteralPath $p", new Dictionary<string, object?> { ["p"] = new[] { cut, other } });
        Assert.Null(r.Terminating);
        Assert.Contains(r.Warnings, w => w.Contains("cut 3 of its 3 netlink records") && w.Contains("snaplen 16"));
        Assert.Contains(r.Warnings, w => w.Contains("none of its 5 frames is netlink"));
    }

    [Fact]
    public void FramesThatAreAllSkippedAreAWarning()
    {
        // LINUX_SLL frames of an Ethernet device (ARPHRD_ETHER), as `tcpdump -i any` writes for traffic that is not netlink.
        var sll = new byte[16 + 20];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(sll.AsSpan(2), 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(sll.AsSpan(14), 0x0800);
        var r = Read(Write("any.pcap", Pcap(Enumerable.Repeat(new Frame(1, 0, sll), 5), linkType: 113)));
        Assert.Empty(r.Output);
        Assert.Contains(r.Warnings, w => w.Contains("none of its 5 frames is netlink"));
    }

    [Fact]
    public void StopIsHonouredWhileSkippingEmptyFramesOfAnEightGigabyteSparseFile()
    {
        var path = Write("sparse.pcap", Pcap(Array.Empty<Frame>()));
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(8L << 30);   // sparse: zero-length records, no disk used
        using var runspace = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace(
            System.Management.Automation.Runspaces.InitialSessionState.CreateDefault2());
        runspace.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddScript($"Import-Module '{ModuleLoader.ManifestPath}'; Get-NetlinkMessage -LiteralPath '{path}'");
        var handle = ps.BeginInvoke();
        Thread.Sleep(1500);
        var clock = Stopwatch.StartNew();
        ps.Stop();
        Assert.True(handle.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)));
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the stop took {clock.Elapsed}");
    }

    [Fact]
    public void SpecialFilesAreNamedForWhatTheyAre()
    {
        var zero = Read("/dev/zero");
        Assert.Equal("NetlinkCaptureFileUnreadable", zero.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
        Assert.Contains("zero bytes", zero.Errors[0].Exception.Message);
        var proc = Read("/proc/self/status");
        Assert.Equal("NetlinkCaptureFileUnreadable", proc.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
        Assert.DoesNotContain("0 bytes", proc.Errors[0].Exception.Message);
        var empty = Read("/dev/null");
        Assert.DoesNotContain("is empty (0 bytes)", empty.Errors.Single().Exception.Message);
    }

    [Fact]
    public void AFifoIsReadLikeAFile()
    {
        var fifo = Path.Combine(_dir, "capture.fifo");
        using (var mk = Process.Start("mkfifo", new[] { fifo })) mk.WaitForExit();
        var bytes = Pcap(Enumerable.Range(0, 50).Select(i => new Frame((uint)i, 0, NetlinkFrame(GetLink((uint)i)))));
        var writer = new Thread(() => { using var f = new FileStream(fifo, FileMode.Open, FileAccess.Write); f.Write(bytes); });
        writer.Start();
        var r = Read(fifo);
        writer.Join(TimeSpan.FromSeconds(30));
        Assert.Empty(r.Errors);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (uint)i), Messages(r).Select(m => m.Sequence));
    }

    [Fact]
    public void APermissionErrorReadsAsPermissionDenied()
    {
        var path = Write("secret.pcap", Pcap(new[] { new Frame(1, 0, NetlinkFrame(GetLink())) }));
        File.SetUnixFileMode(path, UnixFileMode.None);
        // Root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH meets file modes like any user.
        var host = Path.Combine(ModuleLoader.RepoRoot, "src", "NlmonPS.Host", "bin", "Release", "net10.0", "nlmonps-host");
        Assert.True(File.Exists(host), "the build makes nlmonps-host");
        var psi = new ProcessStartInfo("/usr/bin/setpriv", new[] { "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", host,
            $"try {{ Get-NetlinkMessage -LiteralPath '{path}' -ErrorAction Stop }} catch {{ \"$($_.FullyQualifiedErrorId)|$($_.CategoryInfo.Category)|$($_.Exception.Message)\" }}" })
        { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["NLMONPS_MODULE_DIR"] = ModuleLoader.ModuleDirectory;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Contains("NetlinkCapturePermissionDenied", output);
        Assert.Contains("|PermissionDenied|", output);
        Assert.DoesNotContain("not a pcap", output);
    }

    // pcapng files of several devices and with corrupt blocks (found by a QA round in real pwsh): every interface is
    // judged by its own link type, a corrupt packet block is skipped with an error naming it, and frames cut inside
    // their link header are told as lost.
    private static readonly byte[] Ethernet = Enumerable.Repeat((byte)0xff, 60).ToArray();
    private static byte[] Netlink(uint seq) => NetlinkFrame(GetLink(seq));

    [Fact]
    public void ACaptureOfSeveralDevicesIsReadForItsNetlinkOne()
    {
        // dumpcap -i eth0 -i nlmon0: the Ethernet interface first (it was refused as a wrong link type).
        var bytes = new Blocks().Section().Interface(1).Interface(253)
            .Packet(0, 1_000_000, Ethernet).Packet(1, 2_000_000, Netlink(1)).Packet(0, 3_000_000, Ethernet).Packet(1, 4_000_000, Netlink(2)).ToArray();
        var r = Read(Write("two-devices.pcapng", bytes));
        Assert.Empty(r.Errors);
        Assert.Equal(new uint[] { 1, 2 }, Messages(r).Select(m => m.Sequence));
    }

    [Fact]
    public void ACaptureWithNoNetlinkInterfaceIsAWrongLinkType()
    {
        var r = Read(Write("ethernet.pcapng", new Blocks().Section().Interface(1).Interface(1).Packet(0, 1, Ethernet).ToArray()));
        Assert.Empty(r.Output);
        Assert.StartsWith("NetlinkCaptureWrongLinkType", Assert.Single(r.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void ACorruptPacketBlockIsSkippedWithAnErrorNamingItAndReadingGoesOn()
    {
        var bytes = new Blocks().Section().Interface(253)
            .Packet(0, 1_000_000, Netlink(1))
            .Packet(0, 2_000_000, Netlink(2), caplen: 5000)    // more than the block holds
            .Packet(7, 3_000_000, Netlink(3))                   // an interface never described
            .Packet(0, 4_000_000, Netlink(4)).ToArray();
        var path = Write("corrupt-blocks.pcapng", bytes);
        var r = Read(path);
        Assert.Equal(new uint[] { 1, 4 }, Messages(r).Select(m => m.Sequence));
        Assert.Equal(2, r.Errors.Count);
        Assert.All(r.Errors, e => Assert.StartsWith("NetlinkCaptureBadRecord", e.FullyQualifiedErrorId));
        Assert.Contains("packet block 2 ", r.Errors[0].Exception.Message);
        Assert.Contains("5000 captured bytes", r.Errors[0].Exception.Message);
        Assert.Contains("packet block 3 ", r.Errors[1].Exception.Message);
        Assert.Contains("interface 7", r.Errors[1].Exception.Message);
        Assert.Equal(path + "#2", r.Errors[0].TargetObject);
    }

    [Fact]
    public void ACorruptBlockBeforeAFilesFirstRecordIsToldOnceInAMergedRead()
    {
        // The merge reads each file's first record, closes it, and opens it again when its time comes.
        var a = Write("a.pcapng", new Blocks().Section().Interface(253)
            .Packet(0, 0, Netlink(9), caplen: 5000).Packet(0, 1_000_000, Netlink(1)).Packet(0, 3_000_000, Netlink(3)).ToArray());
        var b = Write("b.pcapng", new Blocks().Section().Interface(253).Packet(0, 2_000_000, Netlink(2)).ToArray());
        var r = Read(a, b);
        Assert.Equal(new uint[] { 1, 2, 3 }, Messages(r).Select(m => m.Sequence));
        Assert.Single(r.Errors);
    }

    [Fact]
    public void ASectionHeaderCutShortOrWithABadByteOrderMagicSaysSo()
    {
        var whole = new Blocks().Section().Interface(253).Packet(0, 1, Netlink(1)).ToArray();
        var cut = Read(Write("cut.pcapng", whole[..10]));
        Assert.StartsWith("NetlinkCaptureTruncated", Assert.Single(cut.Errors).FullyQualifiedErrorId);
        var bad = Read(Write("bom.pcapng", new Blocks().Section(0xdeadbeef).Interface(253).ToArray()));
        var error = Assert.Single(bad.Errors);
        Assert.StartsWith("NetlinkCaptureFileUnreadable", error.FullyQualifiedErrorId);
        Assert.Contains("byte-order magic reads EFBEADDE", error.Exception.Message);
    }

    [Fact]
    public void RecordsCutInsideTheirLinkHeaderAreToldAsLost()
    {
        // A snaplen of 10: less than nlmon's 16-byte header survives; it was skipped as "not netlink" without a word.
        var frames = Enumerable.Range(0, 2).Select(i => new Frame(1, 0, Netlink((uint)i)[..10], 48)).ToArray();
        var r = Read(Write("snap10.pcap", Pcap(frames, snaplen: 10)));
        Assert.Empty(r.Output);
        var warning = Assert.Single(r.Warnings);
        Assert.Contains("cut 2 of its 2 netlink records", warning);
        Assert.Contains("2 of them kept no netlink bytes", warning);

        // Zero-length records among good ones.
        var empty = Read(Write("empty-records.pcap", Pcap(new[] { new Frame(1, 0, Array.Empty<byte>()), new Frame(2, 0, Netlink(5)) })));
        Assert.Single(empty.Output);
        Assert.Contains(empty.Warnings, w => w.Contains("1 of its 2 netlink records hold no netlink message bytes"));
    }

    [Theory]
    [InlineData(0x7f)]
    [InlineData(0xff)]
    public void AnImpossibleTimestampResolutionIsReadInMicrosecondsAndSaid(byte tsresol)
    {
        // 10^-127 or 2^-127 s: every timestamp read as 1970, without a word.
        var r = Read(Write("tsresol.pcapng", Pcapng(new[] { (1_700_000_000_000_000UL, Netlink(1)) }, tsresol: tsresol)));
        Assert.Equal(new DateTimeOffset(2023, 11, 14, 22, 13, 20, TimeSpan.Zero), Assert.Single(Messages(r)).Timestamp);
        Assert.Contains(r.Warnings, w => w.Contains($"if_tsresol 0x{tsresol:x2}") && w.Contains("read in microseconds"));
    }

    public void Dispose()
    {
        _host.Dispose();
        Directory.Delete(_dir, true);
    }
}
