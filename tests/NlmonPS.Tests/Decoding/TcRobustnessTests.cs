using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// The decoder never throws: every tc message of the fixtures, cut short at every 4-byte step and with bytes
/// overwritten at random (seeded), still decodes, summarises and prints.
/// </summary>
public sealed class TcRobustnessTests
{
    public static TheoryData<string> Fixtures() => new(TcFixture.Native);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void DamagedMessagesNeverThrow(string fixture)
    {
        var random = new Random(20241123);
        var decoder = new NetlinkDecoder();
        int decoded = 0;
        foreach (var m in TcFixture.Tc(fixture))
        {
            var bytes = m.Bytes;
            var variants = new List<byte[]>();
            for (int cut = Nl.HeaderLength; cut < bytes.Length; cut += 4)
            {
                var shorter = bytes[..cut];
                BitConverter.TryWriteBytes(shorter, (uint)cut); // keep nlmsg_len consistent: the damage is inside
                variants.Add(shorter);
            }
            for (int i = 0; i < 24; i++)
            {
                var damaged = (byte[])bytes.Clone();
                for (int k = 0; k < 1 + random.Next(4); k++)
                    damaged[Nl.HeaderLength + random.Next(Math.Max(1, damaged.Length - Nl.HeaderLength))] = (byte)random.Next(256);
                variants.Add(damaged);
            }
            foreach (var variant in variants)
            {
                foreach (var d in decoder.Decode(new NetlinkRecord(variant, NetlinkProtocol.Route)))
                {
                    Assert.False(string.IsNullOrEmpty(d.Summary));
                    Assert.NotNull(d.Attributes.ToString());
                    decoded++;
                }
            }
        }
        Assert.True(decoded > 1000, $"only {decoded} variants");
    }
}
