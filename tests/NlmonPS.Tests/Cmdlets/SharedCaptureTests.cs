using System.Text.Json;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>Public captures from other projects (../shared/captures); skipped cleanly when the folder is absent.</summary>
public class SharedCaptureTests
{
    private static string Need(string name) =>
        ModuleLoader.SharedCapture(name) ?? throw Xunit.Sdk.SkipException.ForSkip($"../shared/captures/{name} is not present");

    [Fact]
    public void Pyroute2CaptureYieldsEveryMessage()
    {
        var path = Need("pyroute2-nl0.pcap");
        // A plain walk of the nlmsghdrs, independent of the decoder.
        int expected = Fixtures.ReadNetlinkPcap(path).Sum(r => NetlinkMessageSplitter.Split(r.Data, ByteOrder.LittleEndian).Count);
        using var host = new PowerShellHost();
        var r = host.Run("Get-NetlinkMessage -Path $p", new Dictionary<string, object?> { ["p"] = path });
        Assert.Null(r.Terminating);
        Assert.Equal(expected, r.Output.Count);
        var messages = r.Output.Select(o => (NetlinkMessage)o.BaseObject).ToList();
        Assert.All(messages, m => Assert.True(m.Protocol is NetlinkProtocol.Generic or NetlinkProtocol.Route));
        Assert.DoesNotContain(r.Errors, e => e.FullyQualifiedErrorId.StartsWith("NetlinkMessageMalformed", StringComparison.Ordinal));
    }

    [Fact]
    public void Pyroute2LinksAndAddressesMatchPyroute2sOwnDecode()
    {
        var path = Need("pyroute2-nl0.pcap");
        var json = JsonDocument.Parse(File.ReadAllText(Need("pyroute2-nl0.json")));
        var messages = Fixtures.Decode(path);
        int compared = 0;
        foreach (var entry in json.RootElement.EnumerateArray())
        {
            if (entry.GetProperty("data").ValueKind != JsonValueKind.Object) continue;
            var data = entry.GetProperty("data");
            var header = data.GetProperty("header");
            uint seq = header.GetProperty("sequence_number").GetUInt32();
            int type = header.GetProperty("type").GetInt32();
            long index = data.GetProperty("index").GetInt64();
            var attrs = data.GetProperty("attrs").EnumerateArray().Where(a => a[0].GetString() != "UNKNOWN")
                .GroupBy(a => a[0].GetString()!).ToDictionary(g => g.Key, g => g.First()[1]);
            var family = data.GetProperty("family").GetInt32() switch { 2 => "inet", 10 => "inet6", _ => "unspec" };
            var m = messages.First(x => x.Sequence == seq && x.Type == type && Convert.ToInt64(x.Header["index"]) == index && Equals(x.Header["family"], family));
            if (type == 16)
            {
                Assert.Equal(attrs["IFLA_IFNAME"].GetString(), m.Attributes["ifname"]);
                Assert.Equal(attrs["IFLA_MTU"].GetUInt32(), m.Attributes["mtu"]);
                Assert.Equal(attrs["IFLA_OPERSTATE"].GetString(), m.Attributes["operstate"]);
                Assert.Equal(attrs["IFLA_TXQLEN"].GetUInt32(), m.Attributes["txqlen"]);
                if (attrs.TryGetValue("IFLA_ADDRESS", out var mac)) Assert.Equal(mac.GetString(), m.Attributes["address"]);
            }
            else
            {
                Assert.Equal(attrs["IFA_ADDRESS"].GetString(), m.Attributes["address"]?.ToString());
                if (attrs.TryGetValue("IFA_LABEL", out var label)) Assert.Equal(label.GetString(), m.Attributes["label"]);
                Assert.Equal(data.GetProperty("prefixlen").GetInt32(), Convert.ToInt32(m.Header["prefixlen"]));
            }
            compared++;
        }
        Assert.True(compared >= 5, $"compared {compared} messages with pyroute2's decode");
    }

    [Fact]
    public void Pyroute2ErrorEchoesTheRequestAndIpvsIsLearned()
    {
        var messages = Fixtures.Decode(Need("pyroute2-nl0.pcap"));
        var newFamily = messages.Single(m => m.Command == "CTRL_CMD_NEWFAMILY");
        Assert.Equal("IPVS", newFamily.Attributes["family_name"]);
        Assert.Equal((ushort)37, newFamily.Attributes["family_id"]);
        var error = messages.Single(m => m.Type == Nl.NLMSG_ERROR && m.Error is { Errno: 22 });
        Assert.Equal("EINVAL", error.Error!.ErrorName);
        Assert.Equal("IPVS", error.Error.Request!.Family);
        Assert.False(error.Error.Request.IsMalformed);
        Assert.True(error.Error.Request.Attributes.Count > 0, "the whole request is echoed, with its attributes");
        // Later messages of id 37 decode by family name; id 36 (nl80211) cannot be learned from the file.
        Assert.Contains(messages, m => m.Type == 37 && m.Family == "IPVS");
        Assert.Contains(messages, m => m.Type == 36 && m.Family == "genl(36)");
        var named = Fixtures.Decode(Need("pyroute2-nl0.pcap"), new DecodeOptions { GenericFamilies = new Dictionary<int, string> { [36] = "nl80211" } });
        Assert.Contains(named, m => m.Type == 36 && m.Family == "nl80211");
    }

    [Theory]
    [InlineData("nldecap-two_packets_le.pcap")]
    [InlineData("nldecap-two_packets_be.pcap")]
    public void FileByteOrderIsIndependentOfPayloadByteOrder(string name)
    {
        using var host = new PowerShellHost();
        var r = host.Run("Get-NetlinkMessage -Path $p", new Dictionary<string, object?> { ["p"] = Need(name) });
        Assert.Empty(r.Errors);
        var messages = r.Output.Select(o => (NetlinkMessage)o.BaseObject).ToList();
        Assert.Equal(4, messages.Count);
        Assert.Equal("RTM_GETADDR", messages[0].TypeName);
        Assert.Equal(NetlinkDirection.ToKernel, messages[0].Direction);
        Assert.All(messages.Skip(1), m => Assert.Equal("RTM_NEWADDR", m.TypeName));
        Assert.All(messages, m => Assert.Equal(ByteOrder.LittleEndian, m.ByteOrder));
        Assert.All(messages.Skip(1), m => Assert.Equal(2L, m.RecordNumber));
    }

    [Theory]
    [InlineData("nldecap-1pkt_not_netlink_le.pcap", "NetlinkCaptureWrongLinkType")]
    [InlineData("nldecap-1pkt_not_netlink_be.pcap", "NetlinkCaptureWrongLinkType")]
    [InlineData("nldecap-garbage", "NetlinkCaptureFileUnreadable")]
    [InlineData("tcpdump-nflog.pcap", "NetlinkCaptureWrongLinkType")]
    public void ForeignFilesGiveANamedError(string name, string errorId)
    {
        using var host = new PowerShellHost();
        var r = host.Run("Get-NetlinkMessage -Path $p", new Dictionary<string, object?> { ["p"] = Need(name) });
        Assert.Null(r.Terminating);
        Assert.Empty(r.Output);
        var error = Assert.Single(r.Errors);
        Assert.StartsWith(errorId, error.FullyQualifiedErrorId);
        Assert.Equal(Need(name), error.TargetObject);
    }
}
