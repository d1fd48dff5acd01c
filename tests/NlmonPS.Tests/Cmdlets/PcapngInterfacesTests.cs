using System.Buffers.Binary;
using NlmonPS.Decoding;
using Xunit;
using static NlmonPS.Tests.Cmdlets.CaptureFiles;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>
/// pcapng files of several devices and with corrupt blocks (found by a QA round in real pwsh): every interface is
/// judged by its own link type, a corrupt packet block is skipped with an error naming it, and frames cut inside their
/// link header are told as lost.
/// </summary>
public sealed class PcapngInterfacesTests : IDisposable
{
    private readonly PowerShellHost _host = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("nlmonps-pcapng-").FullName;

    private PowerShellHost.Result Read(params string[] paths) =>
        _host.Run("Get-NetlinkMessage -LiteralPath $p", new Dictionary<string, object?> { ["p"] = paths });

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static List<NetlinkMessage> Messages(PowerShellHost.Result r) => r.Output.Select(o => (NetlinkMessage)o.BaseObject).ToList();

    /// <summary>Raw pcapng blocks, little-endian.</summary>
    private sealed class Blocks
    {
        private readonly MemoryStream _o = new();

        public Blocks Block(uint type, byte[] body, uint? claimedLength = null)
        {
            int length = 12 + (body.Length + 3) / 4 * 4;
            var b = new byte[length];
            BinaryPrimitives.WriteUInt32LittleEndian(b, type);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), claimedLength ?? (uint)length);
            body.CopyTo(b, 8);
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(length - 4), (uint)length);
            _o.Write(b);
            return this;
        }

        public Blocks Section(uint byteOrderMagic = 0x1A2B3C4D)
        {
            var shb = new byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(shb, byteOrderMagic);
            BinaryPrimitives.WriteUInt16LittleEndian(shb.AsSpan(4), 1);
            BinaryPrimitives.WriteInt64LittleEndian(shb.AsSpan(8), -1);
            return Block(0x0A0D0D0A, shb);
        }

        public Blocks Interface(ushort linkType)
        {
            var idb = new byte[8];
            BinaryPrimitives.WriteUInt16LittleEndian(idb, linkType);
            return Block(1, idb);
        }

        public Blocks Packet(uint iface, ulong microseconds, byte[] frame, uint? caplen = null, uint? original = null)
        {
            var epb = new byte[20 + frame.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(epb, iface);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(4), (uint)(microseconds >> 32));
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(8), (uint)microseconds);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(12), caplen ?? (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(16), original ?? (uint)frame.Length);
            frame.CopyTo(epb, 20);
            return Block(6, epb);
        }

        public byte[] ToArray() => _o.ToArray();
    }

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
