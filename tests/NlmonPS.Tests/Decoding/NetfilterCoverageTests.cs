using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;
using static NlmonPS.Tests.Decoding.NetfilterFixtureData;

namespace NlmonPS.Tests.Decoding;

/// <summary>Every message of the netfilter fixtures decodes completely: known type, named attributes, nothing malformed.</summary>
public class NetfilterCoverageTests
{
    public static TheoryData<string> Fixtures => new(Names);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void EveryMessageAndAttributeIsKnown(string fixture)
    {
        var messages = Decode(fixture);
        Assert.NotEmpty(messages);
        var problems = new List<string>();
        foreach (var m in messages)
        {
            var where = $"{fixture} #{m.RecordNumber}.{m.Index} {m.TypeName}";
            if (m.TypeName.Contains("unknown", StringComparison.Ordinal)) problems.Add($"{where}: unknown type {m.Type}");
            if (m.IsMalformed) problems.Add($"{where}: malformed: {m.MalformedReason}");
            foreach (var fields in new[] { m.Header, m.Attributes }.Concat(m.Error?.Request is { } r ? new[] { r.Header, r.Attributes } : Array.Empty<NetlinkFields>()))
                foreach (var (path, field) in Walk(fields))
                    if (!field.IsKnown) problems.Add($"{where}: unknown attribute {path}");
            if (string.IsNullOrWhiteSpace(m.Summary)) problems.Add($"{where}: no summary");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void InferredDirectionMatchesTheRecordedOne(string fixture)
    {
        // nlmon marks every frame outgoing, so the decoder infers direction from NLM_F_REQUEST, and a kernel echo
        // of a request (the FIB_LOOKUP answer is the request sent back, header and flags included) from the
        // request before it. USERSOCK has no kernel side: its direction is the sender's, unknowable from a capture.
        var records = NlmonPS.Tests.Fixtures.ReadNetlinkPcap(PcapPath(fixture)).ToList();
        var recorded = Decode(fixture);
        var decoder = new NetlinkDecoder();
        var inferred = records.SelectMany(decoder.Decode).ToList();
        Assert.Equal(recorded.Count, inferred.Count);
        for (int i = 0; i < recorded.Count; i++)
        {
            if (recorded[i].Protocol == NetlinkProtocol.Usersock) continue;
            Assert.True(recorded[i].Direction == inferred[i].Direction, $"{fixture} #{recorded[i].RecordNumber}.{recorded[i].Index} {recorded[i].TypeName}");
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void SummariesDoNotFallBackToTheGenericLine(string fixture)
    {
        foreach (var m in Decode(fixture).Where(m => m.Type >= Nl.NLMSG_MIN_TYPE))
            Assert.False(m.Summary == $"{m.TypeName} seq {m.Sequence}", $"{fixture} #{m.RecordNumber}.{m.Index} {m.TypeName}: generic summary");
    }

    /// <summary>nftables.pcap and conntrack.pcap, recorded through nlmon on a stock kernel (kernel/ rig), when present.</summary>
    [Theory]
    [InlineData("nftables.pcap")]
    [InlineData("conntrack.pcap")]
    public void RigCapturesDecodeCompletely(string name)
    {
        var path = ModuleLoader.Fixture(name);
        Assert.SkipUnless(File.Exists(path), $"{name} is not in tests/fixtures (recorded by the kernel rig)");
        var messages = NlmonPS.Tests.Fixtures.Decode(path);
        var netfilter = messages.Where(m => m.Protocol == NetlinkProtocol.Netfilter).ToList();
        Assert.NotEmpty(netfilter);
        var problems = new List<string>();
        foreach (var m in netfilter)
        {
            if (m.TypeName.Contains("unknown", StringComparison.Ordinal)) problems.Add($"#{m.RecordNumber}.{m.Index}: unknown type {m.Type}");
            if (m.IsMalformed) problems.Add($"#{m.RecordNumber}.{m.Index} {m.TypeName}: {m.MalformedReason}");
            foreach (var (path2, field) in Walk(m.Attributes))
                if (!field.IsKnown) problems.Add($"#{m.RecordNumber}.{m.Index} {m.TypeName}: unknown attribute {path2}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void GarbageNeverThrows()
    {
        // Random bytes behind real netfilter headers: decoding reports, never throws.
        var random = new Random(12);
        var decoder = new NetlinkDecoder();
        foreach (var m in Decode("nftables").Concat(Decode("conntrack")).Concat(Decode("nflog-queue")).Take(300))
        {
            var bytes = (byte[])m.Bytes.Clone();
            for (int i = 20; i < bytes.Length; i++) if (random.Next(8) == 0) bytes[i] = (byte)random.Next(256);
            var decoded = decoder.Decode(new NetlinkRecord(bytes, m.Protocol));
            foreach (var d in decoded) _ = d.Summary;
        }
    }
}
