using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// A file's record may hold millions of messages (up to 64 MiB): it is decoded a part at a time, each part handed on
/// before the next is made, and the parts together are the record decoded whole.
/// </summary>
public class RecordPartTests
{
    private static NetlinkRecord Record(int messages, bool padding = false)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < messages; i++) bytes.AddRange(new MessageBuilder(Nl.NLMSG_NOOP, 0, (uint)i).ToArray());
        if (padding) bytes.AddRange(new byte[32]);
        return new NetlinkRecord(bytes.ToArray(), NetlinkProtocol.Route) { RecordNumber = 1 };
    }

    [Theory]
    [InlineData(10_000, false)]
    [InlineData(8_192, false)]   // parts that end exactly with the record
    [InlineData(8_192, true)]    // ... then zero padding, which holds no message
    [InlineData(1, false)]
    public void ThePartsAreTheRecordDecodedWhole(int messages, bool padding)
    {
        var record = Record(messages, padding);
        var whole = new NetlinkDecoder().Decode(record);
        var decoder = new NetlinkDecoder();
        var part = new RecordPart(RecordPart.FileMessages);
        var parts = new List<List<NetlinkMessage>>();
        bool more;
        do
        {
            var into = new List<NetlinkMessage>();
            more = decoder.Decode(record, null, into, ref part);
            Assert.InRange(into.Count, 0, RecordPart.FileMessages);
            parts.Add(into);
        }
        while (more);
        var all = parts.SelectMany(p => p).ToList();
        Assert.Equal(messages, all.Count);
        Assert.Equal(whole.Select(m => (m.Index, m.Sequence, m.IsLastInRecord, m.Summary)), all.Select(m => (m.Index, m.Sequence, m.IsLastInRecord, m.Summary)));
        Assert.Equal((messages + RecordPart.FileMessages - 1) / RecordPart.FileMessages, parts.Count(p => p.Count > 0));
        Assert.False(decoder.Decode(record, null, new List<NetlinkMessage>(), ref part));   // done stays done
    }

    [Fact]
    public void AFaultEndsTheRecordInTheFirstPartItReaches()
    {
        var good = Record(5_000).Data.ToArray();
        var bytes = good.Concat(new byte[] { 200, 0, 0, 0, 1, 0 }).ToArray();   // nlmsg_len 200 with 6 bytes left
        var decoder = new NetlinkDecoder();
        var part = new RecordPart(RecordPart.FileMessages);
        var all = new List<NetlinkMessage>();
        while (decoder.Decode(new NetlinkRecord(bytes, NetlinkProtocol.Route), null, all, ref part)) { }
        Assert.Equal(5_001, all.Count);
        Assert.True(all[^1].IsMalformed);
        Assert.True(all[^1].IsLastInRecord);
        Assert.Single(all, m => m.IsLastInRecord);
    }
}
