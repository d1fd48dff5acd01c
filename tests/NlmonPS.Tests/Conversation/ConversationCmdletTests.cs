using NlmonPS.Conversation;
using NlmonPS.DropMonitoring;
using Xunit;

namespace NlmonPS.Tests.Conversation;

/// <summary>Get-NetlinkTransaction, Measure-NetlinkTransaction and Get-PacketDrop -Path in a real pipeline.</summary>
public sealed class ConversationCmdletTests : IDisposable
{
    private readonly PowerShellHost _host = new();
    private static readonly Dictionary<string, object?> Files = new()
    {
        ["traced"] = TransactionTests.Traced,
        ["dropmon"] = ModuleLoader.Fixture("dropmon.pcap"),
    };

    private PowerShellHost.Result Run(string script) => _host.Run(script, Files);

    [Fact]
    public void MessagesFromThePipelineAndFromAFilePairAlike()
    {
        var piped = Run("Get-NetlinkMessage -Path $traced | Get-NetlinkTransaction");
        var read = Run("Get-NetlinkTransaction -Path $traced");
        Assert.Empty(piped.Errors);
        Assert.Empty(read.Warnings);
        Assert.Equal(read.Output.Count, piped.Output.Count);
        Assert.All(piped.Output, o => Assert.IsType<NetlinkTransaction>(o.BaseObject));
        Assert.Equal(read.Output.Select(o => ((NetlinkTransaction)o.BaseObject).Summary), piped.Output.Select(o => ((NetlinkTransaction)o.BaseObject).Summary));
    }

    [Fact]
    public void FilesAreReadAsOneStreamInTimeOrderWhateverOrderTheyAreNamed()
    {
        // A capture rotated into three files (tcpdump -C names: capture, capture1, capture2), the cuts inside dumps,
        // named last first; and the same capture dealt out record by record into two files read side by side.
        var records = Fixtures.ReadNetlinkPcap(TransactionTests.Traced).Select(r => (r.Timestamp, r.Protocol, r.Data.ToArray())).ToList();
        var dir = Directory.CreateTempSubdirectory("nlmonps-rotated-").FullName;
        try
        {
            int third = records.Count / 3;
            Fixtures.WriteNetlinkPcap(Path.Combine(dir, "capture"), records.Take(third));
            Fixtures.WriteNetlinkPcap(Path.Combine(dir, "capture1"), records.Skip(third).Take(third));
            Fixtures.WriteNetlinkPcap(Path.Combine(dir, "capture2"), records.Skip(2 * third));
            Fixtures.WriteNetlinkPcap(Path.Combine(dir, "even"), records.Where((_, i) => i % 2 == 0));
            Fixtures.WriteNetlinkPcap(Path.Combine(dir, "odd"), records.Where((_, i) => i % 2 == 1));
            var files = new Dictionary<string, object?>
            {
                ["traced"] = TransactionTests.Traced,
                ["rotated"] = new[] { "capture2", "capture1", "capture" }.Select(n => Path.Combine(dir, n)).ToArray(),
                ["dealt"] = new[] { Path.Combine(dir, "odd"), Path.Combine(dir, "even") },
            };
            static string Lines(PowerShellHost.Result r) =>
                string.Join("\n", r.Output.Select(o => (NetlinkTransaction)o.BaseObject).Select(t => $"{t.Status} {t.Replies.Count} {t.Summary}"));
            var whole = _host.Run("Get-NetlinkTransaction -Path $traced", files);
            Assert.NotEmpty(whole.Output);
            foreach (var parts in new[] { "$rotated", "$dealt" })
            {
                var read = _host.Run($"Get-NetlinkTransaction -LiteralPath {parts}", files);
                Assert.Empty(read.Errors);
                Assert.Equal(Lines(whole), Lines(read));
                Assert.Equal(whole.Warnings, read.Warnings);
            }
            // Get-NetlinkMessage reads them as the one capture too: the same messages in the same order, named alike
            // (the later files' generic netlink messages by the family ids the first file's lookups taught).
            static string Summaries(PowerShellHost.Result r) =>
                string.Join("\n", r.Output.Select(o => (NlmonPS.Decoding.NetlinkMessage)o.BaseObject).Select(m => $"{m.Timestamp:O} {m.Family} {m.Summary}"));
            var messages = _host.Run("Get-NetlinkMessage -Path $traced", files);
            Assert.Contains(messages.Output, o => ((NlmonPS.Decoding.NetlinkMessage)o.BaseObject).Family is { } f && !f.StartsWith("genl(", StringComparison.Ordinal));
            Assert.Equal(Summaries(messages), Summaries(_host.Run("Get-NetlinkMessage -LiteralPath $rotated", files)));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void RequestsWithoutAnswersAreWrittenAndCountedInAWarning()
    {
        var r = Run("Get-NetlinkMessage -Path $traced | Where-Object Direction -eq ToKernel | Get-NetlinkTransaction -Timeout 0.001");
        Assert.Null(r.Terminating);
        Assert.All(r.Output, o => Assert.Contains(((NetlinkTransaction)o.BaseObject).Status, new[] { TransactionStatus.NoAnswer, TransactionStatus.NotAcknowledged }));
        var warning = Assert.Single(r.Warnings);
        Assert.Matches(@"^\d+ request\(s\) got no answer", warning);
        Assert.Contains("after waiting longer than -Timeout (0.001 s of capture time)", warning);

        var bad = Run("Get-NetlinkTransaction -Path $traced -Timeout 0");
        Assert.Equal("TransactionInvalidTimeout", bad.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void StatisticsComeFromMessagesTransactionsOrFiles()
    {
        var fromTransactions = Run("Get-NetlinkTransaction -Path $traced | Measure-NetlinkTransaction");
        var fromMessages = Run("Get-NetlinkMessage -Path $traced | Measure-NetlinkTransaction");
        var fromFile = Run("Measure-NetlinkTransaction -Path $traced");
        Assert.Empty(fromTransactions.Errors);
        static string Table(PowerShellHost.Result r) => string.Join("\n", r.Output.Select(o => (NetlinkTransactionStatistics)o.BaseObject).Select(s => $"{s.RequestType} {s.Count} {s.Errors} {s.Median}"));
        Assert.Equal(Table(fromFile), Table(fromTransactions));
        Assert.Equal(Table(fromFile), Table(fromMessages));
        var wrong = Run("'text' | Measure-NetlinkTransaction");
        Assert.Equal("TransactionWrongInput", wrong.Errors.Single().FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void TransactionsFromAFileTellTheMalformedMessagesTheyPair()
    {
        // A reply with nlmsg_len 0 between a request and its ACK: Get-NetlinkMessage -Path says it is malformed, and
        // the transaction cmdlets paired it without a word (QA in real pwsh).
        var request = Cmdlets.CaptureFiles.GetLink(7);
        var bad = new byte[20];
        BitConverter.TryWriteBytes(bad.AsSpan(4), (ushort)16);
        BitConverter.TryWriteBytes(bad.AsSpan(8), 7u);
        var ack = new NlmonPS.Wire.MessageBuilder(NlmonPS.Wire.Nl.NLMSG_ERROR, 0, 7).AddBytes(new byte[4]).AddBytes(request[..16]).ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"nlmonps-malformed-reply-{Guid.NewGuid():N}.pcap");
        try
        {
            File.WriteAllBytes(path, Cmdlets.CaptureFiles.Pcap(new[] { request, bad, ack }.Select((m, i) => new Cmdlets.CaptureFiles.Frame(1, (uint)i, Cmdlets.CaptureFiles.NetlinkFrame(m)))));
            foreach (var cmdlet in new[] { "Get-NetlinkTransaction", "Measure-NetlinkTransaction" })
            {
                var r = _host.Run(cmdlet + " -Path $p", new Dictionary<string, object?> { ["p"] = path });
                var error = Assert.Single(r.Errors);
                Assert.StartsWith("NetlinkMessageMalformed", error.FullyQualifiedErrorId);
                Assert.Contains("nlmsg_len 0", error.Exception.Message);
                Assert.Single(r.Output);
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void DropsComeBackFromASavedNetDmCapture()
    {
        var r = Run("Get-PacketDrop -Path $dropmon");
        Assert.Empty(r.Errors);
        var drops = r.Output.Select(o => o.BaseObject).OfType<PacketDrop>().ToList();
        // dropwatch printed five drops ("drop at: __udp4_lib_rcv+0x9a2/0xc30 ... drop reason: NO_SOCKET").
        var transcript = File.ReadAllText(ModuleLoader.Fixture("dropmon.txt"));
        Assert.Equal(System.Text.RegularExpressions.Regex.Matches(transcript, "drop at: __udp4_lib_rcv").Count, drops.Count);
        Assert.All(drops, d =>
        {
            Assert.Equal("__udp4_lib_rcv+0x9a2/0xc30", d.Location);
            Assert.Equal("NO_SOCKET", d.Reason);
            Assert.Equal(1, d.InterfaceIndex);
            Assert.Equal("UDP", d.TransportProtocol);
            Assert.Equal(9, d.DestinationPort);
        });
        // The summary alert is a bare address; the packet alerts before it named its function (kallsyms of the
        // recording kernel is not here), so it reads as dropwatch's packet lines do.
        var summary = Assert.Single(r.Output.Select(o => o.BaseObject).OfType<DropSummary>());
        Assert.Equal(drops[0].Pc, summary.Pc);
        Assert.Equal("__udp4_lib_rcv+0x9a2/0xc30", summary.Location);
        Assert.Equal("__udp4_lib_rcv", summary.Symbol);
        Assert.Single(Run("Get-PacketDrop -Path $dropmon -Symbol __udp4_lib_rcv").Output.Select(o => o.BaseObject).OfType<DropSummary>());

        Assert.Equal(5, Run("Get-PacketDrop -Path $dropmon -Reason NO_SOCK* -Protocol UDP").Output.Count);
        Assert.Equal(2, Run("Get-PacketDrop -Path $dropmon -Symbol __udp4_lib_rcv -Count 2").Output.Count);
        Assert.Empty(Run("Get-PacketDrop -Path $dropmon -Reason NETFILTER_DROP").Output);
    }

    [Fact]
    public void DropsComeBackWithoutTheFamilyLookup()
    {
        // dwdump writes the alerts alone: no nlctrl lookup names the NET_DM family id.
        var path = Path.Combine(Path.GetTempPath(), $"nlmonps-dwdump-{Guid.NewGuid():N}.pcap");
        try
        {
            var alerts = Fixtures.ReadNetlinkPcap(ModuleLoader.Fixture("dropmon.pcap"))
                .Where(r => r.Protocol == NlmonPS.Wire.NetlinkProtocol.Generic && r.Data.Length > 16 && r.Data.Span[16] is 5 or 1
                    && BitConverter.ToUInt16(r.Data.Span[4..]) > 16)
                .Select(r => (r.Timestamp, r.Protocol, r.Data.ToArray())).ToList();
            Fixtures.WriteNetlinkPcap(path, alerts);
            var r = _host.Run("Get-PacketDrop -Path $p", new Dictionary<string, object?> { ["p"] = path });
            Assert.Equal(5, r.Output.Select(o => o.BaseObject).OfType<PacketDrop>().Count(d => d.Reason == "NO_SOCKET"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void AMalformedAlertWithoutTheFamilyLookupIsTold()
    {
        // dwdump's alerts alone, the first packet alert ending in an attribute cut short: no drop from it, and an error.
        var path = Path.Combine(Path.GetTempPath(), $"nlmonps-dwdump-bad-{Guid.NewGuid():N}.pcap");
        try
        {
            var alerts = Fixtures.ReadNetlinkPcap(ModuleLoader.Fixture("dropmon.pcap"))
                .Where(r => r.Protocol == NlmonPS.Wire.NetlinkProtocol.Generic && r.Data.Length > 16 && r.Data.Span[16] == 5
                    && BitConverter.ToUInt16(r.Data.Span[4..]) > 16)
                .Select(r => (r.Timestamp, r.Protocol, r.Data.ToArray())).ToList();
            var first = alerts[0].Item3;
            int length = BitConverter.ToInt32(first);
            var cut = first[..length].Concat(new byte[] { 8, 0, 0x63, 0 }).ToArray();
            BitConverter.TryWriteBytes(cut, length + 4);
            alerts[0] = (alerts[0].Timestamp, alerts[0].Protocol, cut);
            Fixtures.WriteNetlinkPcap(path, alerts);
            var r = _host.Run("Get-PacketDrop -Path $p", new Dictionary<string, object?> { ["p"] = path });
            Assert.Equal(alerts.Count - 1, r.Output.Select(o => o.BaseObject).OfType<PacketDrop>().Count());
            var error = Assert.Single(r.Errors);
            Assert.Equal("NetlinkMessageMalformed", error.FullyQualifiedErrorId.Split(',')[0]);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void FramesOfExportPacketDropPcapAreRefusedWithTheReason()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nlmonps-sll2-{Guid.NewGuid():N}.pcap");
        try
        {
            var r = _host.Run("Get-PacketDrop -Path $dropmon -Reason NO_SOCKET | Export-PacketDropPcap -Path $p; Get-PacketDrop -Path $p",
                new Dictionary<string, object?> { ["p"] = path, ["dropmon"] = Files["dropmon"] });
            Assert.Empty(r.Output);
            var error = Assert.Single(r.Errors);
            Assert.Equal("PacketDropFileWithoutAlerts", error.FullyQualifiedErrorId.Split(',')[0]);
            Assert.Contains("LINUX_SLL2", error.Exception.Message);
        }
        finally { File.Delete(path); }
    }

    public void Dispose() => _host.Dispose();
}
