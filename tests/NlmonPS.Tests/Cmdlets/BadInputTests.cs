using System.Buffers.Binary;
using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>Every kind of bad input gives a named error; what came before the fault is still emitted; nothing hangs.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly PowerShellHost _host = new();
    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("nlmonps-bad-").FullName;
    private static string Kernel => NlmonPS.Tests.Wire.KernelFixtureRecorder.FixturePath;
    private static readonly int KernelMessages = Fixtures.Decode(Kernel).Count;

    private PowerShellHost.Result Read(string path) => _host.Run("Get-NetlinkMessage -LiteralPath $p", new Dictionary<string, object?> { ["p"] = path });

    /// <summary>The one kind of error a read gave, leaving out the kernel fixture's deliberately malformed request.</summary>
    private static string ErrorId(PowerShellHost.Result r) => Assert.Single(r.Errors
        .Where(e => !(e.TargetObject is NetlinkMessage m && Equals(m.Attributes["ifname"], "bad1")))
        .Select(e => e.FullyQualifiedErrorId.Split(',')[0]).Distinct());

    [Fact]
    public void MissingFile()
    {
        var r = Read(Path.Combine(_dir, "nope.pcap"));
        Assert.Equal("NetlinkCaptureFileNotFound", ErrorId(r));
        Assert.Equal(System.Management.Automation.ErrorCategory.ObjectNotFound, r.Errors[0].CategoryInfo.Category);
        var wild = _host.Run("Get-NetlinkMessage -Path $p", new Dictionary<string, object?> { ["p"] = Path.Combine(_dir, "nope*.pcap") });
        Assert.Equal("NetlinkCaptureFileNotFound", ErrorId(wild));
    }

    [Fact]
    public void DirectoryPath() => Assert.Equal("NetlinkCapturePathIsDirectory", ErrorId(Read(_dir)));

    [Fact]
    public void EmptyFile()
    {
        var path = Path.Combine(_dir, "empty.pcap");
        File.WriteAllBytes(path, Array.Empty<byte>());
        Assert.Equal("NetlinkCaptureFileEmpty", ErrorId(Read(path)));
    }

    [Fact]
    public void Garbage()
    {
        var path = Path.Combine(_dir, "garbage.pcap");
        File.WriteAllBytes(path, System.Text.Encoding.ASCII.GetBytes("this is not a capture file at all, not even close"));
        var r = Read(path);
        Assert.Equal("NetlinkCaptureFileUnreadable", ErrorId(r));
        Assert.Contains("not a pcap or pcapng", r.Errors[0].Exception.Message);
    }

    [Fact]
    public void OtherLinkType()
    {
        var path = Path.Combine(_dir, "ether.pcap");
        var bytes = File.ReadAllBytes(Kernel);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), 1);
        File.WriteAllBytes(path, bytes);
        var r = Read(path);
        Assert.Equal("NetlinkCaptureWrongLinkType", ErrorId(r));
        Assert.Contains("LINKTYPE_ETHERNET", r.Errors[0].Exception.Message);
    }

    [Fact]
    public void TruncatedLastRecordKeepsWhatCameBefore()
    {
        var path = Path.Combine(_dir, "cut.pcap");
        var bytes = File.ReadAllBytes(Kernel);
        File.WriteAllBytes(path, bytes[..^10]);
        var r = Read(path);
        Assert.Equal("NetlinkCaptureTruncated", ErrorId(r));
        Assert.True(r.Output.Count > 0 && r.Output.Count < KernelMessages);
    }

    [Fact]
    public void SnaplenCutRecordSaysSo()
    {
        // One record of two messages whose caplen stops inside the second one.
        var two = new NlmonPS.Wire.MessageBuilder(18, 0x301).AddBytes(new byte[16]).ToArray().Concat(
            new NlmonPS.Wire.MessageBuilder(16, 2).AddBytes(new byte[16]).AddString(3, "eth0").ToArray()).ToArray();
        var path = Path.Combine(_dir, "snap.pcap");
        Fixtures.WriteNetlinkPcap(path, new[] { (DateTimeOffset.UtcNow, NlmonPS.Wire.NetlinkProtocol.Route, two) });
        var bytes = File.ReadAllBytes(path);
        int cut = 8;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24 + 8), (uint)(two.Length + 16 - cut));
        File.WriteAllBytes(path, bytes[..^cut]);
        var r = Read(path);
        Assert.Equal(2, r.Output.Count);
        var second = (NetlinkMessage)r.Output[1].BaseObject;
        Assert.True(second.IsMalformed);
        Assert.Contains("snaplen", second.MalformedReason);
        Assert.Equal("NetlinkMessageMalformed", ErrorId(r));
        Assert.Same(second, r.Errors[0].TargetObject);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(8u)]
    [InlineData(5000u)]
    public void BadNlmsgLenKeepsTheMessagesBeforeIt(uint badLength)
    {
        var good = new NlmonPS.Wire.MessageBuilder(18, 0x301).AddBytes(new byte[16]).ToArray();
        var bad = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bad, badLength);
        var path = Path.Combine(_dir, "len.pcap");
        Fixtures.WriteNetlinkPcap(path, new[]
        {
            (DateTimeOffset.UtcNow, NlmonPS.Wire.NetlinkProtocol.Route, good.Concat(bad).ToArray()),
            (DateTimeOffset.UtcNow, NlmonPS.Wire.NetlinkProtocol.Route, good),
        });
        var r = Read(path);
        Assert.Equal(3, r.Output.Count);
        var messages = r.Output.Select(o => (NetlinkMessage)o.BaseObject).ToList();
        Assert.False(messages[0].IsMalformed);
        Assert.True(messages[1].IsMalformed);
        Assert.Contains("offset 32", messages[1].MalformedReason);
        Assert.False(messages[2].IsMalformed);
        Assert.Equal("NetlinkMessageMalformed", ErrorId(r));
    }

    [Fact]
    public void OverrunningAttributeIsReportedNotThrown()
    {
        var m = new NlmonPS.Wire.MessageBuilder(16, 2).AddBytes(new byte[16]).AddString(3, "eth0").AddU32(4, 1500).ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(44), 200);
        var path = Path.Combine(_dir, "attr.pcap");
        Fixtures.WriteNetlinkPcap(path, new[] { (DateTimeOffset.UtcNow, NlmonPS.Wire.NetlinkProtocol.Route, m) });
        var r = Read(path);
        var message = (NetlinkMessage)Assert.Single(r.Output).BaseObject;
        Assert.Equal("eth0", message.Attributes["ifname"]);
        Assert.Contains("offset 44", message.MalformedReason);
        Assert.Equal("NetlinkMessageMalformed", ErrorId(r));
    }

    [Fact]
    public void OneBadFileDoesNotStopTheOthers()
    {
        var r = _host.Run("Get-NetlinkMessage -LiteralPath $a, $b", new Dictionary<string, object?> { ["a"] = Path.Combine(_dir, "missing.pcap"), ["b"] = Kernel });
        Assert.Equal(KernelMessages, r.Output.Count);
        Assert.Equal("NetlinkCaptureFileNotFound", ErrorId(r));
    }

    public void Dispose()
    {
        _host.Dispose();
        System.IO.Directory.Delete(_dir, true);
    }
}
