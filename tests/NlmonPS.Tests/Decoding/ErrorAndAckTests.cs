using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>NLMSG_ERROR from a real kernel: errno, text, echoed request, extended ACK and its attribute path.</summary>
public class ErrorAndAckTests
{
    private static List<NetlinkMessage> Kernel() => Fixtures.Decode(NlmonPS.Tests.Wire.KernelFixtureRecorder.FixturePath);

    [Fact]
    public void ExtendedAckOffsetBecomesAnAttributePath()
    {
        var error = Kernel().Single(m => m.Error is { Errno: 22 });
        var e = error.Error!;
        Assert.Equal("EINVAL", e.ErrorName);
        Assert.Equal("Invalid argument", e.Text);
        Assert.Equal("Attribute failed policy validation", e.ExtendedMessage);
        Assert.NotNull(e.ErrorOffset);
        Assert.Equal(".family_name", e.AttributePath);
        Assert.NotNull(e.Request);
        Assert.Equal("nlctrl", e.Request!.Family);
        Assert.Equal("CTRL_CMD_GETFAMILY", e.Request.Command);
        Assert.Equal(error.Sequence, e.Request.Sequence);
        Assert.Contains("Attribute failed policy validation [at .family_name]", error.Summary);
        Assert.Contains("ACK_TLVS", error.FlagNames);
    }

    [Fact]
    public void ErrorsNameTheErrnoAndEchoTheRequest()
    {
        var messages = Kernel();
        var eexist = messages.Single(m => m.Error is { Errno: 17 });
        Assert.Equal("EEXIST", eexist.Error!.ErrorName);
        Assert.Equal("File exists", eexist.Error.Text);
        Assert.Equal("d0", eexist.Error.Request!.Attributes["ifname"]);
        Assert.StartsWith("EEXIST File exists (RTM_NEWLINK seq ", eexist.Summary);

        var unsupported = messages.Single(m => m.Error is { Errno: 95 });
        Assert.Equal("Unknown device type", unsupported.Error!.ExtendedMessage);
    }

    [Fact]
    public void ErrorZeroIsAnAck()
    {
        var ack = Kernel().Single(m => m.Error is { IsAck: true });
        Assert.Equal("ACK", ack.Error!.ErrorName);
        Assert.Contains("CAPPED", ack.FlagNames);
        Assert.StartsWith("ACK to CTRL_CMD_GETFAMILY seq ", ack.Summary);
    }

    [Fact]
    public void TruncatedErrorIsMalformedNotAnException()
    {
        var bytes = new byte[18];
        new NetlinkHeader(18, Nl.NLMSG_ERROR, 0, 1, 0).Write(bytes, ByteOrder.LittleEndian);
        var m = new NetlinkDecoder().Decode(new NetlinkRecord(bytes, NetlinkProtocol.Route)).Single();
        Assert.True(m.IsMalformed);
    }
}
