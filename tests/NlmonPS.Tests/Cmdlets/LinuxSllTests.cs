using System.Buffers.Binary;
using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>
/// `tcpdump -i any` writes LINUX_SLL (113) or LINUX_SLL2 (276) captures in which nlmon's frames carry ARPHRD 824;
/// the netlink frames are read, the others skipped and counted. The netlink bytes are real (kernel fixture).
/// </summary>
public sealed class LinuxSllTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nlmonps-sll-").FullName;

    private static readonly List<NetlinkRecord> Real = Fixtures.ReadNetlinkPcap(NlmonPS.Tests.Wire.KernelFixtureRecorder.FixturePath).Take(6).ToList();

    private static byte[] Sll(NetlinkRecord r, ushort arphrd, int linkType)
    {
        var payload = r.Data.ToArray();
        if (linkType == 113)
        {
            var h = new byte[16];
            BinaryPrimitives.WriteUInt16BigEndian(h, 4);
            BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), arphrd);
            BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(14), (ushort)r.Protocol);
            return h.Concat(payload).ToArray();
        }
        var h2 = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(h2, (ushort)r.Protocol);
        BinaryPrimitives.WriteUInt32BigEndian(h2.AsSpan(4), 7);          // interface index
        BinaryPrimitives.WriteUInt16BigEndian(h2.AsSpan(8), arphrd);
        h2[10] = 4;
        return h2.Concat(payload).ToArray();
    }

    private string Write(int linkType)
    {
        var path = Path.Combine(_dir, $"any-{linkType}.pcap");
        using var f = File.Create(path);
        var g = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(g, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(g.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(g.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(g.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(g.AsSpan(20), (uint)linkType);
        f.Write(g);
        foreach (var r in Real)
        {
            // Each netlink frame is followed by an Ethernet frame of another device, as on `tcpdump -i any`.
            foreach (var frame in new[] { Sll(r, 824, linkType), Sll(r, 1, linkType) })
            {
                var h = new byte[16];
                BinaryPrimitives.WriteUInt32LittleEndian(h, 1_700_000_000);
                BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(8), (uint)frame.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(12), (uint)frame.Length);
                f.Write(h);
                f.Write(frame);
            }
        }
        return path;
    }

    [Theory]
    [InlineData(113)]
    [InlineData(276)]
    public void NetlinkFramesOfAnAnyCaptureAreRead(int linkType)
    {
        using var host = new PowerShellHost();
        var r = host.Run("Get-NetlinkMessage -Path $p -Verbose 4>&1", new Dictionary<string, object?> { ["p"] = Write(linkType) });
        Assert.Empty(r.Errors);
        var messages = r.Output.Select(o => o.BaseObject).OfType<NetlinkMessage>().ToList();
        Assert.Equal(Real.Sum(x => new NetlinkDecoder().Decode(x).Count), messages.Count);
        Assert.Contains(messages, m => m.TypeName == "RTM_NEWLINK" && (string?)m.Attributes["ifname"] == "lo");
        Assert.Contains(r.Output, o => o.ToString().Contains($"skipped {Real.Count} frames that are not netlink", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
