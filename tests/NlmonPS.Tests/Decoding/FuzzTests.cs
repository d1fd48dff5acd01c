using CsCheck;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Mutates real recorded messages (bit flips, overwritten length fields, truncation, spliced bytes) and decodes
/// them: the decoder must never throw, hang or blow up its allocations. The corpus is every fixture under
/// tests/fixtures. Each target runs for a bounded time: NLMONPS_FUZZ_SECONDS (default 5 a target in CI; a nightly
/// sets, say, 600), or exactly NLMONPS_FUZZ_ITERATIONS cases when that is set.
/// </summary>
public class FuzzTests
{
    private static readonly long Iterations =
        long.TryParse(Environment.GetEnvironmentVariable("NLMONPS_FUZZ_ITERATIONS"), out var n) ? n : -1;
    private static readonly int Seconds =
        int.TryParse(Environment.GetEnvironmentVariable("NLMONPS_FUZZ_SECONDS"), out var s) ? s : Iterations > 0 ? -1 : 5;

    private static readonly (NetlinkProtocol Protocol, byte[] Data)[] Corpus = LoadCorpus();

    private static (NetlinkProtocol, byte[])[] LoadCorpus()
    {
        var dir = Path.Combine(ModuleLoader.RepoRoot, "tests", "fixtures");
        return Directory.EnumerateFiles(dir, "*.pcap", SearchOption.AllDirectories)
            .SelectMany(f => Fixtures.ReadNetlinkPcap(f))
            .Where(r => r.Data.Length > 0)
            .Select(r => (r.Protocol, r.Data.ToArray()))
            .ToArray();
    }

    private static readonly ushort[] Extremes = { 0, 1, 3, 4, 5, 0x7fff, 0xffff, 0x8000, 0x4000 };

    private static readonly Gen<(int Record, byte[] Mutated)> Mutations =
        Gen.Int[0, Corpus.Length - 1].SelectMany(i =>
        {
            var original = Corpus[i].Data;
            return Gen.OneOf(
                // Flip a few bits anywhere.
                Gen.Int[0, original.Length * 8 - 1].Array[1, 8].Select(bits =>
                {
                    var copy = (byte[])original.Clone();
                    foreach (var b in bits) copy[b / 8] ^= (byte)(1 << (b % 8));
                    return copy;
                }),
                // Overwrite a 16-bit length or type field at an aligned offset with an extreme value.
                Gen.Select(Gen.Int[0, Math.Max(0, original.Length / 2 - 1)], Gen.Int[0, Extremes.Length - 1].Select(k => Extremes[k])).Select((slot, value) =>
                {
                    var copy = (byte[])original.Clone();
                    BitConverter.TryWriteBytes(copy.AsSpan(slot * 2 & ~1), value);
                    return copy;
                }),
                // Cut the record short.
                Gen.Int[0, original.Length].Select(len => original[..len]),
                // Splice a random tail onto a prefix.
                Gen.Select(Gen.Int[0, original.Length], Gen.Byte.Array[0, 64]).Select((len, tail) => original[..len].Concat(tail).ToArray()))
            .Select(m => (i, m));
        });

    [Fact]
    public void MutatedRealMessagesNeverBreakTheDecoder()
    {
        Assert.NotEmpty(Corpus);
        var options = new[] { new DecodeOptions(), new DecodeOptions { RevealSecrets = true, ByteOrder = ByteOrder.BigEndian } };
        Mutations.Sample(c =>
        {
            foreach (var o in options)
            {
                var decoder = new NetlinkDecoder(o);
                var record = new NetlinkRecord(c.Mutated, Corpus[c.Record].Protocol);
                // The first pass also pays one-off costs (tables' static initialisation, JIT, caches): measure the second.
                Decode(decoder, record);
                long before = GC.GetAllocatedBytesForCurrentThread();
                Decode(decoder, record);
                // Decoding is linear in the input: a few hundred bytes of objects per input byte at most.
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (allocated > 4096 + c.Mutated.Length * 512L)
                    throw new InvalidOperationException($"{allocated} bytes allocated for {c.Mutated.Length} input bytes");
            }
        }, iter: Iterations, time: Seconds, threads: 1);
    }

    /// <summary>The same mutations, decoded as the echoed request of an NLMSG_ERROR (and of an error inside it).</summary>
    [Fact]
    public void MutatedMessagesEchoedInErrorsNeverBreakTheDecoder()
    {
        Mutations.Sample(c =>
        {
            var inner = new NlmonPS.Wire.MessageBuilder(Nl.NLMSG_ERROR, 0, 1).AddBytes(BitConverter.GetBytes(-22)).AddBytes(c.Mutated).ToArray();
            var outer = new NlmonPS.Wire.MessageBuilder(Nl.NLMSG_ERROR, Nl.NLM_F_ACK_TLVS, 1).AddBytes(BitConverter.GetBytes(-1)).AddBytes(inner).ToArray();
            foreach (var data in new[] { inner, outer })
            {
                var decoder = new NetlinkDecoder();
                var record = new NetlinkRecord(data, Corpus[c.Record].Protocol) { Direction = NetlinkDirection.FromKernel };
                Decode(decoder, record);
                long before = GC.GetAllocatedBytesForCurrentThread();
                Decode(decoder, record);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (allocated > 8192 + data.Length * 1024L)
                    throw new InvalidOperationException($"{allocated} bytes allocated for {data.Length} input bytes");
            }
        }, iter: Iterations, time: Seconds, threads: 1);
    }

    /// <summary>Drop monitor alerts (the recorded packet alert, mutated) through the alert parser and the packet's short decode.</summary>
    [Fact]
    public void MutatedDropAlertsNeverBreakTheParser()
    {
        var alert = NlmonPS.Tests.DropMonitoring.DropMonitorSamples.PacketAlert;
        var context = new NlmonPS.DropMonitoring.DropAlertContext { RecordNumber = 1 };
        Gen.OneOf(
                Gen.Int[0, alert.Length * 8 - 1].Array[1, 16].Select(bits =>
                {
                    var copy = (byte[])alert.Clone();
                    foreach (var b in bits) copy[b / 8] ^= (byte)(1 << (b % 8));
                    return copy;
                }),
                Gen.Int[0, alert.Length].Select(len => alert[..len]),
                Gen.Select(Gen.Int[20, alert.Length], Gen.Byte.Array[0, 256]).Select((len, tail) => alert[..len].Concat(tail).ToArray()))
            .Sample(bytes =>
            {
                var drop = NlmonPS.DropMonitoring.DropAlertParser.ParsePacketAlert(bytes, NlmonPS.Wire.Endian.Host, NlmonPS.Tests.DropMonitoring.DropMonitorSamples.FamilyId, context);
                _ = drop.PacketSummary;
                // PacketDotNet's own objects may throw on odd bytes when printed (PowerShell's formatting catches
                // that); what must not happen is a recursion without end, which no catch would stop.
                try { _ = drop.ParsedPacket?.ToString(); }
                catch (Exception e) when (e is InvalidOperationException or IndexOutOfRangeException or ArgumentException or NullReferenceException) { }
                _ = drop.Message.Summary;
                _ = drop.Message.Attributes.ToString();
            }, iter: Iterations, time: Seconds, threads: 1);
    }

    private static void Decode(NetlinkDecoder decoder, NetlinkRecord record)
    {
        foreach (var m in decoder.Decode(record))
        {
            _ = m.Summary;
            _ = m.Attributes.ToString();
            _ = m.Error?.ToString();
        }
    }
}
