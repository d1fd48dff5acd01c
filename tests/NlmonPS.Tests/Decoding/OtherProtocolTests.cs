using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;
using static NlmonPS.Tests.Decoding.NetfilterFixtureData;

namespace NlmonPS.Tests.Decoding;

/// <summary>NETLINK_FIB_LOOKUP, NETLINK_USERSOCK and the legacy NETLINK_NFLOG (ipt_ULOG), and what stays unknown.</summary>
public class OtherProtocolTests
{
    [Fact]
    public void FibLookupAnswersMatchWhatThePythonClientRead()
    {
        var messages = Decode("other").Where(m => m.Protocol == NetlinkProtocol.FibLookup).ToList();
        Assert.Equal(4, messages.Count);
        Assert.All(messages, m => Assert.Equal("FIB_LOOKUP", m.TypeName));
        // fib lookup 127.0.0.1 table 255: tb_id=255 prefixlen=32 nh_sel=0 type=2 scope=254 err=0
        var printed = OutputOf("other", "python3 tests/fixtures/native/nl-other.py")
            .Select(l => Regex.Match(l, @"^fib lookup (\S+) table (\d+): tb_id=(\d+) prefixlen=(\d+) nh_sel=\d+ type=(\d+) scope=(\d+) err=(-?\d+)"))
            .Where(m => m.Success).ToList();
        Assert.Equal(2, printed.Count);
        var answers = messages.Where(m => m.Direction == NetlinkDirection.FromKernel).ToList();
        for (int i = 0; i < 2; i++)
        {
            var h = answers[i].Header;
            var p = printed[i].Groups;
            Assert.Equal(IPAddress.Parse(p[1].Value), h["fl_addr"]);
            Assert.Equal((byte)int.Parse(p[4].Value), h["prefixlen"]);
            Assert.Equal(int.Parse(p[7].Value), h["err"]);
        }
        Assert.Equal("local", answers[0].Header["tb_id"]);
        Assert.Equal("local", answers[0].Header["type"]);
        Assert.Equal("host", answers[0].Header["scope"]);
        Assert.Equal("lookup 127.0.0.1 table local: local/32 scope host", answers[0].Summary);
        Assert.Equal("lookup 192.0.2.1 table main: EAGAIN no route matches", answers[1].Summary);
        Assert.Equal("lookup 127.0.0.1 table local", messages[0].Summary);
    }

    [Fact]
    public void UsersockKeepsItsPayloadRaw()
    {
        var messages = Decode("other").Where(m => m.Protocol == NetlinkProtocol.Usersock).ToList();
        Assert.Equal(2, messages.Count);
        foreach (var m in messages)
        {
            Assert.Equal("USERSOCK_MSG", m.TypeName);
            Assert.Equal((ushort)0x20, m.Type);
            Assert.Empty(m.Attributes);
            Assert.StartsWith("hello from nlmonps", Encoding.ASCII.GetString((byte[])m.Header["payload"]!));
            Assert.False(m.IsMalformed);
        }
    }

    /// <summary>ipt_ULOG left the kernel in 3.17 (the recorder's socket() got EPROTONOSUPPORT): a message built by hand.</summary>
    [Fact]
    public void LegacyUlogPacketDecodes()
    {
        var output = OutputOf("other", "python3 tests/fixtures/native/nl-other.py");
        Assert.Contains("NETLINK_NFLOG: Protocol not supported", output);

        var ping = Convert.FromHexString("4500005400004000400100007f0000017f000001" + "0800f7ff1234000100000000");
        var msg = new byte[16 + 192 + ping.Length];
        var span = msg.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)msg.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], 111); // ULOG_NL_EVENT
        var pm = span[16..];
        BinaryPrimitives.WriteUInt64LittleEndian(pm, 7);          // mark
        BinaryPrimitives.WriteInt64LittleEndian(pm[8..], 1700000000);
        BinaryPrimitives.WriteUInt32LittleEndian(pm[24..], 1);    // NF_INET_LOCAL_IN
        Encoding.ASCII.GetBytes("eth0").CopyTo(pm[28..]);
        BinaryPrimitives.WriteUInt64LittleEndian(pm[64..], (ulong)ping.Length);
        Encoding.ASCII.GetBytes("ulog: ").CopyTo(pm[72..]);
        ping.CopyTo(pm[185..]);
        var m = new NetlinkDecoder(new DecodeOptions { ByteOrder = ByteOrder.LittleEndian })
            .Decode(new NetlinkRecord(msg, NetlinkProtocol.Nflog) { Direction = NetlinkDirection.FromKernel }).Single();
        Assert.Equal("ULOG_NL_EVENT", m.TypeName);
        Assert.False(m.IsMalformed, m.MalformedReason);
        Assert.Equal(7ul, m.Header["mark"]);
        Assert.Equal("input", m.Header["hook"]);
        Assert.Equal("eth0", m.Header["indev_name"]);
        Assert.Equal("ulog: ", m.Header["prefix"]);
        Assert.Equal((ulong)ping.Length, m.Header["data_len"]);
        Assert.StartsWith("ulog prefix \"ulog: \" hook input in eth0 mark 0x7: IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 4660, seq 1", m.Summary);
        Assert.Empty(m.Attributes);
    }

    [Fact]
    public void UnknownTypesStayUnknown()
    {
        static NetlinkMessage One(NetlinkProtocol protocol, ushort type, byte[] payload)
        {
            var msg = new byte[16 + payload.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(msg, (uint)msg.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(msg.AsSpan(4), type);
            payload.CopyTo(msg, 16);
            return new NetlinkDecoder(new DecodeOptions { ByteOrder = ByteOrder.LittleEndian }).Decode(new NetlinkRecord(msg, protocol)).Single();
        }
        var attribute = new byte[] { 2, 0, 0, 0, 8, 0, 1, 0, 0, 0, 0, 5 }; // nfgenmsg, then attribute 1 = 5
        Assert.Equal("unknown(112)", One(NetlinkProtocol.Nflog, 112, new byte[8]).TypeName);
        var nft = One(NetlinkProtocol.Netfilter, 10 << 8 | 99, attribute);
        Assert.Equal("nftables unknown(99)", nft.TypeName);
        Assert.Equal("ipv4", nft.Header["family"]);
        Assert.Equal("unknown_1", nft.Attributes[0].Name);
        var subsystem = One(NetlinkProtocol.Netfilter, 42 << 8 | 1, attribute);
        Assert.Equal("subsys(42) unknown(1)", subsystem.TypeName);
        Assert.False(subsystem.IsMalformed);
    }
}
