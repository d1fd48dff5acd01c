using System.Buffers.Binary;
using CsCheck;
using NlmonPS.Decoding;
using NlmonPS.DropMonitoring;
using NlmonPS.KernelClients;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Hostile;

/// <summary>
/// Issue #16.1: an NLMSG_ERROR echoing an NLMSG_ERROR echoing ... (13,000 deep in 260 KB) once cost a copy of the
/// rest of the buffer per level and a stack overflow. Every entry point into the decoder (files, live records,
/// traced buffers, drop monitor alerts and their packets) gets echo chains, nested errors and embedded packets, and
/// must answer in memory proportional to its input, without an exception.
/// </summary>
public class EchoChainTests
{
    /// <summary>A request wrapped in <paramref name="depth"/> NLMSG_ERRORs, each echoing the one inside it.</summary>
    internal static byte[] EchoChain(int depth, ushort innermostType = 16, byte[]? innermostPayload = null)
    {
        var inner = new MessageBuilder(innermostType, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK, 1).AddBytes(innermostPayload ?? new byte[16]).ToArray();
        var buffer = new byte[inner.Length + depth * 20];
        int at = buffer.Length - inner.Length;
        inner.CopyTo(buffer, at);
        for (int i = 0; i < depth; i++)
        {
            at -= 20;
            new NetlinkHeader((uint)(buffer.Length - at), Nl.NLMSG_ERROR, (ushort)(i % 3 == 0 ? Nl.NLM_F_ACK_TLVS : 0), (uint)i, 0).Write(buffer.AsSpan(at), Endian.Host);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at + 16), -22);
        }
        return buffer;
    }

    /// <summary>The decoder as each cmdlet drives it: file and live records (direction inferred), traced buffers (direction known, a filter).</summary>
    private static readonly (string Path, DecodeOptions Options, NetlinkDirection Direction, Func<NetlinkProtocol, ushort, bool>? Wanted)[] EntryPoints =
    {
        ("file", new DecodeOptions(), NetlinkDirection.Unknown, null),
        ("file -RevealSecrets -ByteOrder BigEndian", new DecodeOptions { RevealSecrets = true, ByteOrder = ByteOrder.BigEndian }, NetlinkDirection.Unknown, null),
        ("live", new DecodeOptions(), NetlinkDirection.Unknown, (_, t) => t == Nl.NLMSG_ERROR),
        ("trace", new DecodeOptions(), NetlinkDirection.FromKernel, (_, _) => true),
        ("trace send", new DecodeOptions(), NetlinkDirection.ToKernel, null),
    };

    /// <summary>Bytes allocated by one decode of each entry point (after a first decode paid the one-off costs), and reading every message's values.</summary>
    private static void AssertBounded(byte[] data, NetlinkProtocol protocol, long perByte = 8)
    {
        foreach (var (path, options, direction, wanted) in EntryPoints)
        {
            var record = new NetlinkRecord(data, protocol) { Direction = direction };
            Touch(new NetlinkDecoder(options).Decode(record, wanted));
            var decoder = new NetlinkDecoder(options);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var messages = decoder.Decode(record, wanted);
            Touch(messages);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 64 * 1024 + data.Length * perByte, $"{path}: {allocated} bytes allocated for {data.Length} input bytes");
        }
    }

    private static void Touch(List<NetlinkMessage> messages)
    {
        foreach (var m in messages)
        {
            _ = m.Summary;
            _ = m.Attributes.Count;
            for (var e = m.Error?.Request; e is not null; e = e.Error?.Request) { _ = e.Summary; _ = e.Attributes.Count; }
        }
    }

    [Fact]
    public void ThirteenThousandNestedErrorsDecodeOnceEach()
    {
        var data = EchoChain(13_000);
        Assert.Equal(260_000 + 32, data.Length);
        var m = Assert.Single(new NetlinkDecoder().Decode(new NetlinkRecord(data, NetlinkProtocol.Route)));
        Assert.Equal("EINVAL", m.Error!.ErrorName);
        // The echo is decoded one level deep, and says why it stops there.
        var echo = m.Error.Request!;
        Assert.Equal("NLMSG_ERROR", echo.TypeName);
        Assert.Null(echo.Error);
        Assert.Contains("kernel never sends", echo.MalformedReason);
        Assert.True(m.IsMalformed);
        AssertBounded(data, NetlinkProtocol.Route);
    }

    [Fact]
    public void ARealEchoStillDecodes()
    {
        // One level: the RTM_NEWLINK request is the echo, decoded as before.
        var m = Assert.Single(new NetlinkDecoder().Decode(new NetlinkRecord(EchoChain(1), NetlinkProtocol.Route)));
        Assert.Equal("RTM_NEWLINK", m.Error!.Request!.TypeName);
        Assert.False(m.IsMalformed, m.MalformedReason);
    }

    /// <summary>Echo chains of any depth, over any protocol, ending in any message, cut anywhere, many to a record.</summary>
    [Fact]
    public void EchoChainsNestedErrorsAndEmbeddedMessagesStayBounded()
    {
        var protocols = new[] { NetlinkProtocol.Route, NetlinkProtocol.Generic, NetlinkProtocol.Netfilter, NetlinkProtocol.SockDiag, NetlinkProtocol.Xfrm };
        var gen = Gen.Select(Gen.Int[0, 3000], Gen.Int[0, protocols.Length - 1], Gen.UShort, Gen.Int[1, 4], Gen.Byte.Array[0, 64])
            .Select((depth, p, type, copies, tail) =>
            {
                var chain = EchoChain(depth, type, tail);
                var data = Enumerable.Repeat(chain, copies).SelectMany(c => c).ToArray();
                return (data, protocols[p]);
            });
        gen.Sample(c => AssertBounded(c.data, c.Item2), iter: 40, threads: 1);
    }

    [Fact]
    public void AFileOfNestedErrorsReadsThroughGetNetlinkMessage()
    {
        var dir = Directory.CreateTempSubdirectory("nlmonps-echo-").FullName;
        try
        {
            var path = Path.Combine(dir, "echo.pcap");
            var chain = EchoChain(13_000);
            Fixtures.WriteNetlinkPcap(path, Enumerable.Range(0, 8).Select(_ => (DateTimeOffset.UnixEpoch, NetlinkProtocol.Route, chain)));
            using var host = new PowerShellHost();
            var r = host.Run("Get-NetlinkMessage -Path $p | ForEach-Object { [pscustomobject]@{ Malformed = $_.IsMalformed; Echo = $_.Error.Request.TypeName; Summary = $_.Summary } }",
                new Dictionary<string, object?> { ["p"] = path });
            Assert.Null(r.Terminating);
            // Each is emitted, and reported once as malformed (non-terminating), naming why.
            Assert.Equal(8, r.Errors.Count);
            Assert.All(r.Errors, e => Assert.Contains("the kernel never sends this", e.Exception.Message));
            Assert.Equal(8, r.Output.Count);
            Assert.All(r.Output, o =>
            {
                Assert.True((bool)o.Properties["Malformed"].Value);
                Assert.Equal("NLMSG_ERROR", o.Properties["Echo"].Value);
            });
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A real program (python, root: SO_SNDBUFFORCE) sends 1 MB of nested errors; Trace-NetlinkCommand decodes it.</summary>
    [Fact]
    public void TraceNetlinkCommandOfAOneMegabyteChainIsBounded()
    {
        var python = new[] { "/usr/bin/python3", "/usr/local/bin/python3" }.FirstOrDefault(File.Exists);
        if (python is null || Environment.UserName != "root") Assert.Skip("needs python3 and root (SO_SNDBUFFORCE)");
        var dir = Directory.CreateTempSubdirectory("nlmonps-echo-").FullName;
        try
        {
            var chain = Path.Combine(dir, "chain.bin");
            File.WriteAllBytes(chain, EchoChain((1 << 20) / 20 - 2));
            var script = Path.Combine(dir, "send.py");
            File.WriteAllText(script, "import socket, sys\n"
                + "s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)\n"
                + "s.setsockopt(socket.SOL_SOCKET, 32, 4 << 20)  # SO_SNDBUFFORCE\n"
                + "s.sendto(open(sys.argv[1], 'rb').read(), (0, 0))\n");
            using var shell = new PowerShellHost();
            var r = shell.Run($"Trace-NetlinkCommand {{ unshare -n {python} {script} {chain} }} | ForEach-Object {{ [pscustomobject]@{{ Malformed = $_.IsMalformed; Length = $_.Length; Echo = $_.Error.Request.TypeName }} }}");
            Assert.Null(r.Terminating);
            var sent = Assert.Single(r.Output, o => (uint)o.Properties["Length"].Value == (uint)new FileInfo(chain).Length);
            Assert.True((bool)sent.Properties["Malformed"].Value);
            Assert.Equal("NLMSG_ERROR", sent.Properties["Echo"].Value);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void TracedOneMegabyteSendIsBounded()
    {
        // What a root program can send with SO_SNDBUFFORCE: one buffer, errors echoing errors to the end.
        var data = EchoChain((1 << 20) / 20 - 2);
        AssertBounded(data, NetlinkProtocol.Route);
    }

    [Fact]
    public void DropMonitorAlertsAndTheirPacketsAreBounded()
    {
        // A datagram on the drop monitor socket full of nested errors, and a packet alert whose message ends in one.
        var family = new GenericNetlinkFamily { Id = 0x23, Name = NetDm.FamilyName, Version = 2 };
        var chain = EchoChain(5000);
        var context = new DropAlertContext { RecordNumber = 1 };
        Assert.Empty(DropAlertParser.ParseDatagram(chain, family, context));

        // IPv4 in IPv4 in IPv4 ... for 64 KB: the packet's short decode reads one level.
        var packet = new byte[65_000];
        for (int at = 0; at + 20 <= packet.Length; at += 20)
        {
            packet[at] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(at + 2), (ushort)(packet.Length - at));
            packet[at + 8] = 64;
            packet[at + 9] = 4; // IPPROTO_IPIP
        }
        var alert = new MessageBuilder(0x23, 0).AddBytes(new byte[] { NetDm.NET_DM_CMD_PACKET_ALERT, 2, 0, 0 })
            .AddU16(NetDm.NET_DM_ATTR_PROTO, DroppedPacketDecoder.EthIPv4)
            .AddAttribute(NetDm.NET_DM_ATTR_PAYLOAD, packet)
            .ToArray();
        DropAlertParser.ParsePacketAlert(alert, Endian.Host, 0x23, context);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var drop = DropAlertParser.ParsePacketAlert(alert, Endian.Host, 0x23, context);
        _ = drop.PacketSummary;
        _ = drop.ParsedPacket?.ToString();
        _ = drop.Message.Summary;
        _ = drop.Message.Attributes.Count;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024 + alert.Length * 16L, $"{allocated} bytes allocated for {alert.Length} input bytes");
        Assert.Contains("nested more than 8 deep, not decoded", drop.PacketSummary);
        Assert.Null(drop.ParsedPacket);

        // An IPv4 header length of 0 (IHL 0) with protocol IPIP: PacketDotNet would take the packet for its own payload.
        var loop = (byte[])packet[..40].Clone();
        loop[0] = 0x40;
        var self = new MessageBuilder(0x23, 0).AddBytes(new byte[] { NetDm.NET_DM_CMD_PACKET_ALERT, 2, 0, 0 })
            .AddU16(NetDm.NET_DM_ATTR_PROTO, DroppedPacketDecoder.EthIPv4).AddAttribute(NetDm.NET_DM_ATTR_PAYLOAD, loop).ToArray();
        var looped = DropAlertParser.ParsePacketAlert(self, Endian.Host, 0x23, context);
        Assert.Null(looped.ParsedPacket);
        Assert.Contains("nested more than 8 deep, not decoded", looped.PacketSummary);
    }
}
