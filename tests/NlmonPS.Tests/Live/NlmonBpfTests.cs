using System.Buffers.Binary;
using NlmonPS.KernelClients;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Live;

/// <summary>
/// The kernel filter program, run by a small classic BPF interpreter (the opcodes it uses), on frames as nlmon
/// hands them to packet sockets: the netlink message, with skb->protocol the netlink protocol.
/// </summary>
public sealed class NlmonBpfTests
{
    private static uint Run(Libc.SockFilter[] program, NetlinkProtocol protocol, byte[] frame)
    {
        uint a = 0;
        for (int pc = 0; pc < program.Length; pc++)
        {
            var i = program[pc];
            switch (i.Code)
            {
                case NlmonBpf.LdHalfAbs when i.K == NlmonBpf.SKF_AD_OFF + NlmonBpf.SKF_AD_PROTOCOL: a = (uint)protocol; break;
                case NlmonBpf.LdHalfAbs: if (i.K + 2 > frame.Length) return 0; a = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan((int)i.K)); break;
                case NlmonBpf.LdWordAbs: if (i.K + 4 > frame.Length) return 0; a = BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan((int)i.K)); break;
                case NlmonBpf.JeqK: pc += a == i.K ? i.Jt : i.Jf; break;
                case NlmonBpf.RetK: return i.K;
                default: throw new InvalidOperationException($"opcode 0x{i.Code:x} at {pc}");
            }
        }
        throw new InvalidOperationException("the program fell off its end");
    }

    private static byte[] Frame(uint portId) => new MessageBuilder(20, Nl.NLM_F_REQUEST, 1, portId).AddBytes(new byte[4]).ToArray();

    [Fact]
    public void NoFilterPassesEverything()
    {
        var p = NlmonBpf.Build(null);
        Assert.Equal(NlmonBpf.SnapLength, Run(p, NetlinkProtocol.Audit, Frame(0)));
    }

    [Fact]
    public void ProtocolsPassOnlyThemselves()
    {
        var p = NlmonBpf.Build(new[] { NetlinkProtocol.Route, NetlinkProtocol.Generic });
        Assert.NotEqual(0u, Run(p, NetlinkProtocol.Route, Frame(5)));
        Assert.NotEqual(0u, Run(p, NetlinkProtocol.Generic, Frame(5)));
        foreach (var other in NetlinkProtocols.SeenByNlmon.Except(new[] { NetlinkProtocol.Route, NetlinkProtocol.Generic }))
            Assert.Equal(0u, Run(p, other, Frame(5)));
    }

    [Fact]
    public void OwnPortIsLeftOutOfItsProtocolOnly()
    {
        var p = NlmonBpf.Build(null, new[] { (NetlinkProtocol.SockDiag, 4242u), (NetlinkProtocol.Generic, 77u) });
        Assert.Equal(0u, Run(p, NetlinkProtocol.SockDiag, Frame(4242)));
        Assert.Equal(0u, Run(p, NetlinkProtocol.Generic, Frame(77)));
        Assert.NotEqual(0u, Run(p, NetlinkProtocol.SockDiag, Frame(4243)));
        Assert.NotEqual(0u, Run(p, NetlinkProtocol.Route, Frame(4242)));
        Assert.NotEqual(0u, Run(p, NetlinkProtocol.Generic, Frame(4242)));
    }

    [Fact]
    public void ProtocolsAndExclusionsTogether()
    {
        var p = NlmonBpf.Build(new[] { NetlinkProtocol.SockDiag }, new[] { (NetlinkProtocol.SockDiag, 9u), (NetlinkProtocol.Route, 9u) });
        Assert.Equal(0u, Run(p, NetlinkProtocol.SockDiag, Frame(9)));
        Assert.NotEqual(0u, Run(p, NetlinkProtocol.SockDiag, Frame(10)));
        Assert.Equal(0u, Run(p, NetlinkProtocol.Route, Frame(10)));
        Assert.Equal(1 + 1 + 1 + 4 + 2, p.Length);   // the Route exclusion is dropped: Route never passes anyway
    }
}
