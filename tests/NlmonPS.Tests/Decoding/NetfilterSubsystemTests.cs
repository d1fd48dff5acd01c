using System.Net;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;
using static NlmonPS.Tests.Decoding.NetfilterFixtureData;

namespace NlmonPS.Tests.Decoding;

/// <summary>ipset, nflog, nfqueue, nft_compat, nfacct, cttimeout, cthelper and osf against their tools' output.</summary>
public class NetfilterSubsystemTests
{
    [Fact]
    public void IpsetListRepliesReadAsIpsetSave()
    {
        var messages = Decode("ipset");
        var replies = messages.Where(m => m.TypeName == "IPSET_CMD_LIST" && m.Direction == NetlinkDirection.FromKernel)
            .SelectMany(m => m.Summary.Split("; ")).ToHashSet();
        var save = OutputOf("ipset", "ipset save");
        Assert.Equal(4, save.Count);
        foreach (var line in save) Assert.Contains(line, replies);
    }

    [Fact]
    public void IpsetRequestsAndElements()
    {
        var messages = Decode("ipset");
        var add = messages.First(m => m.TypeName == "IPSET_CMD_ADD" && m.Direction == NetlinkDirection.ToKernel);
        Assert.Equal("add nlmon-ip 10.0.0.1 comment \"first\"", add.Summary);
        var data = (NetlinkFields)add.Attributes["data"]!;
        Assert.Equal(IPAddress.Parse("10.0.0.1"), ((NetlinkFields)data["ip"]!)["ipv4"]);
        Assert.Equal("first", data["comment"]);
        Assert.Equal("nlmon-ip", add.Attributes["setname"]);
        Assert.Equal((byte)7, add.Attributes["protocol"]);

        var netPort = messages.First(m => m.TypeName == "IPSET_CMD_ADD" && (string?)m.Attributes["setname"] == "nlmon-np");
        var np = (NetlinkFields)netPort.Attributes["data"]!;
        Assert.Equal((byte)24, np["cidr"]);
        Assert.Equal((ushort)80, np["port"]);
        Assert.Equal("tcp", np["proto"]);

        var create = messages.First(m => m.TypeName == "IPSET_CMD_CREATE");
        Assert.Equal("hash:ip", create.Attributes["typename"]);
        Assert.Equal("ipv4", create.Attributes["family"]);
        Assert.Equal(new[] { "counters", "comment" }, ((NetlinkFields)create.Attributes["data"]!)["cadt_flags"]);
        Assert.Equal("rename nlmon-np nlmon-np2", messages.Single(m => m.TypeName == "IPSET_CMD_RENAME").Summary);

        // ipset add ... timeout 0 on a set without timeouts: IPSET_ERR_TIMEOUT (4107) from the kernel.
        var error = messages.Single(m => m.Error?.Request?.Summary == "add nlmon-ip 10.0.0.2 timeout 0").Error!;
        Assert.Equal(4107, error.Errno);
        Assert.Equal("IPSET_ERR_TIMEOUT", error.ErrorName);
        Assert.StartsWith("IPSET_ERR_TIMEOUT ipset error", error.ToString());
    }

    [Fact]
    public void NflogPacketsReadLikeTcpdump()
    {
        var messages = Decode("nflog-queue");
        var logged = messages.Where(m => m.TypeName == "NFULNL_MSG_PACKET").ToList();
        var tcpdump = TcpdumpLines("tcpdump -n -i nflog:5 -c 2 (background)");
        Assert.Equal(2, tcpdump.Count);
        foreach (var line in tcpdump) Assert.Contains(logged, m => m.Summary.EndsWith(": " + line, StringComparison.Ordinal));
        var first = logged[0];
        Assert.Equal((ushort)5, first.Header["res_id"]);
        Assert.Equal("nlmonps", first.Attributes["prefix"]);
        var hdr = (NetlinkFields)first.Attributes["packet_hdr"]!;
        Assert.Equal("ipv4", hdr["hw_protocol"]);
        Assert.Equal("output", hdr["hook"]);
        Assert.Equal(0x45, ((byte[])first.Attributes["payload"]!)[0]);
        Assert.StartsWith("log group 5 prefix \"nlmonps\" hook output", first.Summary);
        var bind = messages.First(m => m.TypeName == "NFULNL_MSG_CONFIG" && ((NetlinkFields?)m.Attributes["cmd"])?["command"] as string == "bind");
        Assert.Equal("config group 5 bind", bind.Summary);
    }

    [Fact]
    public void NfqueuePacketsAndVerdicts()
    {
        var messages = Decode("nflog-queue");
        var packets = messages.Where(m => m.TypeName == "NFQNL_MSG_PACKET").ToList();
        foreach (var line in TcpdumpLines("tcpdump -n -i nfqueue:3 -c 2 (background)"))
            Assert.Contains(packets, m => m.Summary.EndsWith(": " + line, StringComparison.Ordinal));
        var id = ((NetlinkFields)packets[0].Attributes["packet_hdr"]!)["packet_id"];
        var verdict = messages.First(m => m.TypeName == "NFQNL_MSG_VERDICT");
        Assert.Equal(id, ((NetlinkFields)verdict.Attributes["verdict_hdr"]!)["id"]);
        Assert.Equal("accept", ((NetlinkFields)verdict.Attributes["verdict_hdr"]!)["verdict"]);
        Assert.Equal($"verdict queue 3 id {id} accept", verdict.Summary);
        var copy = messages.First(m => m.TypeName == "NFQNL_MSG_CONFIG" && m.Attributes.Contains("params"));
        Assert.Equal("packet", ((NetlinkFields)copy.Attributes["params"]!)["copy_mode"]);
    }

    private static List<string> TcpdumpLines(string command) => OutputOf("nflog-queue", command)
        .Select(l => Regex.Match(l, @"^\d\d:\d\d:\d\d\.\d+ (IP .*)$")).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void IptablesNftCompatMatchesAndTargets()
    {
        var messages = Decode("nflog-queue");
        var get = messages.First(m => m.TypeName == "NFNL_MSG_COMPAT_GET" && m.Direction == NetlinkDirection.FromKernel);
        Assert.Equal("NFQUEUE", get.Attributes["name"]);
        Assert.Equal("target", get.Attributes["type"]);
        Assert.Equal("nft_compat", get.Family);
        // iptables -L -v: "2 168 NFQUEUE ... NFQUEUE num 3"
        var listed = Regex.Match(string.Join("\n", OutputOf("nflog-queue", "iptables -L OUTPUT -n -v")), @"\n\s*(\d+)\s+(\d+) NFQUEUE");
        var rule = messages.Last(m => m.TypeName == "NFT_MSG_NEWRULE" && m.Direction == NetlinkDirection.FromKernel);
        Assert.Equal($"rule ip filter OUTPUT handle 2: meta l4proto icmp counter packets {listed.Groups[1].Value} bytes {listed.Groups[2].Value} xt target \"NFQUEUE\"", rule.Summary);
        var target = ((NetlinkFields[])rule.Attributes["expressions"]!).Last();
        Assert.Equal("target", target["name"]);
        Assert.Equal(3u, ((NetlinkFields)target["data"]!)["rev"]);
        Assert.IsType<byte[]>(((NetlinkFields)target["data"]!)["info"]);
    }

    [Fact]
    public void NfacctListReadsAsNfacct()
    {
        var messages = Decode("misc");
        var listed = messages.Where(m => m.TypeName == "NFNL_MSG_ACCT_NEW" && m.Direction == NetlinkDirection.FromKernel).Select(m => m.Summary).ToList();
        Assert.Equal(OutputOf("misc", "nfacct list").Concat(OutputOf("misc", "nfacct get nlmon-acct")), listed);
        Assert.Equal("add nlmon-acct", messages.First(m => m.TypeName == "NFNL_MSG_ACCT_NEW").Summary);
    }

    [Fact]
    public void CttimeoutPolicyDecodesByProtocol()
    {
        var messages = Decode("misc");
        var listed = messages.First(m => m.TypeName == "IPCTNL_MSG_TIMEOUT_NEW" && m.Direction == NetlinkDirection.FromKernel);
        var policy = (NetlinkFields)listed.Attributes["data"]!;
        // nfct list timeout: ".ESTABLISHED = 100," ... its names are the CTA_TIMEOUT_TCP_* suffixes (UNACKNOWLEDGED is unack).
        foreach (var line in OutputOf("misc", "nfct list timeout").Select(l => Regex.Match(l, @"^\s*\.([A-Z_0-9]+) = (\d+),")).Where(m => m.Success))
        {
            var name = line.Groups[1].Value == "UNACKNOWLEDGED" ? "unack" : line.Groups[1].Value.ToLowerInvariant();
            Assert.Equal(uint.Parse(line.Groups[2].Value), policy[name]);
        }
        Assert.Equal("ipv4", listed.Attributes["l3proto"]);
        Assert.Equal("tcp", listed.Attributes["l4proto"]);
        var udp = messages.Single(m => m.TypeName == "IPCTNL_MSG_TIMEOUT_DEFAULT_SET");
        Assert.Equal("default inet udp unreplied 30 replied 120", udp.Summary);
        Assert.Equal("add timeout nlmon-tcp inet tcp established 100 close 10",
            messages.Single(m => m.TypeName == "IPCTNL_MSG_TIMEOUT_NEW" && m.Direction == NetlinkDirection.ToKernel).Summary);
    }

    [Fact]
    public void CthelperIsMissingFromThisKernelAndOsfFingerprintsLoad()
    {
        var messages = Decode("misc");
        // CONFIG_NF_CT_NETLINK_HELPER is off: nfnetlink has no such subsystem and answers EINVAL.
        var helper = messages.First(m => m.TypeName == "NFNL_MSG_CTHELPER_NEW");
        Assert.Equal("add helper ftp inet tcp", helper.Summary);
        Assert.Contains(messages, m => m.Error?.Request?.TypeName == "NFNL_MSG_CTHELPER_NEW" && m.Error.Errno == 22);

        var osf = messages.First(m => m.TypeName == "OSF_MSG_ADD");
        var finger = (NetlinkFields)osf.Attributes["finger"]!;
        // S4:64:1:60:M*,S,T,N,W7:.:Linux:2.6:newer
        Assert.Equal("mss", finger["wss_wc"]);
        Assert.Equal(4u, finger["wss_val"]);
        Assert.Equal((byte)64, finger["ttl"]);
        Assert.Equal((byte)1, finger["df"]);
        Assert.Equal((ushort)60, finger["ss"]);
        Assert.Equal((ushort)5, finger["opt_num"]);
        Assert.Contains(messages, m => m.TypeName == "OSF_MSG_REMOVE");
    }
}
