using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Hostile;

/// <summary>
/// Issue #16.10 and #16.6: text from the wire reaches the terminal escaped (the values stay exact), and a byte
/// order guessed from nlmsg_len alone that the header contradicts is flagged, never decoded silently wrong.
/// </summary>
public class WireTextTests
{
    // Retitles the terminal, clears the screen, and a C1 CSI and a right-to-left override for good measure.
    private const string Crafted = "ev\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eil";

    private static NetlinkMessage NewLink(string name)
    {
        var data = new MessageBuilder(16, 0, 5).AddBytes(new byte[16]).AddString(3, name).ToArray();   // RTM_NEWLINK, IFLA_IFNAME
        return new NetlinkDecoder().Decode(new NetlinkRecord(data, NetlinkProtocol.Route) { Direction = NetlinkDirection.FromKernel }).Single();
    }

    [Fact]
    public void ControlCharactersAreEscapedWhereShownAndExactInAttributes()
    {
        var m = NewLink(Crafted);
        Assert.Equal(Crafted, m.Attributes["ifname"]);
        foreach (var shown in new[] { m.Summary, m.Attributes.ToString(), m.ToString() })
        {
            Assert.False(SafeText.HasControls(shown), shown);
            Assert.Contains(@"ev\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eil", shown);
        }
    }

    [Fact]
    public void AGenericFamilyNameFromTheWireIsEscapedInTypeNameAndFamily()
    {
        // nlctrl's CTRL_CMD_NEWFAMILY teaches id 0x30 a crafted name: TypeName and Family, which Format-List and
        // Select-Object print as they are, carried it raw to the terminal (QA in real pwsh).
        var decoder = new NetlinkDecoder();
        var announce = new MessageBuilder(Nl.GENL_ID_CTRL, 0, 1).AddBytes(new byte[] { 1, 2, 0, 0 })   // CTRL_CMD_NEWFAMILY, version 2
            .AddU16(1, 0x30).AddString(2, Crafted + new string('x', 500)).ToArray();
        decoder.Decode(new NetlinkRecord(announce, NetlinkProtocol.Generic) { Direction = NetlinkDirection.FromKernel });
        var m = decoder.Decode(new NetlinkRecord(new MessageBuilder(0x30, 0, 2).AddBytes(new byte[] { 1, 1, 0, 0 }).ToArray(), NetlinkProtocol.Generic)
            { Direction = NetlinkDirection.FromKernel }).Single();
        foreach (var shown in new[] { m.TypeName, m.Family!, m.Summary })
        {
            Assert.False(SafeText.HasControls(shown), shown);
            Assert.Contains(@"ev\x1b]0;pwned\x07", shown);
            Assert.True(shown.Length < 200, shown);
        }
    }

    [Fact]
    public void APositiveErrorCodeIsMalformedButASubsystemsOwnIsNot()
    {
        // The kernel sends 0 or a negative error; ipset's own errors lie past -4095 (-4107 is IPSET_ERR_EXIST + ...).
        NetlinkMessage Error(int code) => new NetlinkDecoder().Decode(new NetlinkRecord(
            new MessageBuilder(Nl.NLMSG_ERROR, 0, 9).AddBytes(BitConverter.GetBytes(code)).AddBytes(new MessageBuilder(16, 5, 9).ToArray()).ToArray(),
            NetlinkProtocol.Route) { Direction = NetlinkDirection.FromKernel }).Single();
        Assert.Contains("carries error code 12345", Error(12345).MalformedReason);
        Assert.Null(Error(-4107).MalformedReason);
        Assert.Null(Error(-19).MalformedReason);
        Assert.Null(Error(0).MalformedReason);
    }

    [Fact]
    public void ExtendedAckTextIsEscaped()
    {
        var data = new MessageBuilder(Nl.NLMSG_ERROR, (ushort)(Nl.NLM_F_CAPPED | Nl.NLM_F_ACK_TLVS), 5)
            .AddBytes(BitConverter.GetBytes(-22)).AddBytes(new MessageBuilder(16, Nl.NLM_F_REQUEST, 5).ToArray())
            .AddString(Nl.NLMSGERR_ATTR_MSG, "bad \u001b[2J thing").ToArray();
        var m = new NetlinkDecoder().Decode(new NetlinkRecord(data, NetlinkProtocol.Route)).Single();
        Assert.Equal("bad \u001b[2J thing", m.Error!.ExtendedMessage);
        Assert.Contains(@"bad \x1b[2J thing", m.Summary);
        Assert.Contains(@"bad \x1b[2J thing", m.Error.ToString());
        Assert.False(SafeText.HasControls(m.Summary));
    }

    [Fact]
    public void FormatViewsPrintNoControlCharacter()
    {
        var text = PowerShellHost.Rendered("$m; $m | Format-List", new Dictionary<string, object?> { ["m"] = NewLink(Crafted) });
        Assert.Contains(@"\x1b]0;pwned\x07", text);
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\u0007', text);
        Assert.DoesNotContain('\u009b', text);
    }

    [Fact]
    public void ABigEndianLengthInFrontOfALittleEndianHeaderIsFlagged()
    {
        // An RTM_NEWLINK of this (little-endian) host whose nlmsg_len alone was written big-endian.
        var data = new MessageBuilder(16, Nl.NLM_F_REQUEST, 1).AddBytes(new byte[16]).AddString(3, "eth0").ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(data, (uint)data.Length);
        var m = new NetlinkDecoder().Decode(new NetlinkRecord(data, NetlinkProtocol.Route)).Single();
        Assert.True(m.IsMalformed);
        Assert.Contains("byte order disagrees", m.MalformedReason);
        Assert.Contains("4096", m.MalformedReason);
        Assert.Contains("16", m.MalformedReason);
    }

    [Fact]
    public void AFileWithMixedByteOrderHeadersEndsWithAWarningThatCountsThem()
    {
        var data = new MessageBuilder(16, Nl.NLM_F_REQUEST, 1).AddBytes(new byte[16]).AddString(3, "eth0").ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(data, (uint)data.Length);
        var frames = Enumerable.Range(0, 3).Select(i => new NlmonPS.Tests.Cmdlets.CaptureFiles.Frame((uint)i, 0, NlmonPS.Tests.Cmdlets.CaptureFiles.NetlinkFrame(data)));
        string path = Path.Combine(Path.GetTempPath(), $"nlmonps-mixed-{Environment.ProcessId}.pcap");
        File.WriteAllBytes(path, NlmonPS.Tests.Cmdlets.CaptureFiles.Pcap(frames));
        try
        {
            using var shell = new PowerShellHost();
            var r = shell.Run("Get-NetlinkMessage -Path $p -ErrorAction SilentlyContinue", new Dictionary<string, object?> { ["p"] = path });
            Assert.Equal(3, r.Messages.Count);
            Assert.All(r.Messages, m => Assert.True(m.IsMalformed));
            var warning = Assert.Single(r.Warnings, w => w.Contains("mix byte orders", StringComparison.Ordinal));
            Assert.Contains("3 messages", warning);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AWholeBigEndianRecordIsNotDoubted()
    {
        var data = new MessageBuilder(16, Nl.NLM_F_REQUEST, 1).AddBytes(new byte[16]).ToArray();
        // Byte-swap every header field: a capture from a big-endian machine.
        var h = NetlinkHeader.Read(data, ByteOrder.LittleEndian);
        h.Write(data, ByteOrder.BigEndian);
        var m = new NetlinkDecoder().Decode(new NetlinkRecord(data, NetlinkProtocol.Route)).Single();
        Assert.Equal(ByteOrder.BigEndian, m.ByteOrder);
        Assert.Equal("RTM_NEWLINK", m.TypeName);
        Assert.False(m.IsMalformed, m.MalformedReason);
    }
}
