using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;
using static NlmonPS.Tests.Decoding.GenericTestKit;

namespace NlmonPS.Tests.Decoding;

/// <summary>Generic netlink: nlctrl, family ids learned from the stream, and the families NlmonPS names.</summary>
public class GenericTests
{
    [Fact]
    public void CtrlListNamesEveryFamilyAsGenlPrintsIt()
    {
        var path = Native("genl-ctrl-list.pcap");
        var text = Transcript(path);
        var families = Decode(path).Where(m => m.Command == "CTRL_CMD_NEWFAMILY").ToList();
        // genl prints "Name: X\n\tID: 0x..  Version: 0x..  header size: N  max attribs: N"
        var printed = Regex.Matches(text, @"Name: (\S+)\s*\n\s*(ID: 0x[0-9a-f]+  Version: 0x[0-9a-f]+  header size: \d+  max attribs: \d+)");
        Assert.NotEmpty(printed);
        Assert.Equal(printed.Count, families.Count);
        foreach (Match p in printed)
        {
            var m = Assert.Single(families, f => (string?)f.Attributes["family_name"] == p.Groups[1].Value);
            Assert.Contains($"Name: {p.Groups[1].Value} {p.Groups[2].Value}", m.Summary);
            Assert.Equal(NetlinkDirection.FromKernel, m.Direction);
        }
        var nlctrl = families.Single(f => (string?)f.Attributes["family_name"] == "nlctrl");
        Assert.Equal((ushort)16, nlctrl.Attributes["family_id"]);
        var ops = Assert.IsType<NetlinkFields[]>(nlctrl.Attributes["ops"]);
        Assert.Contains(ops, op => op["id"] is uint id && id == 3 && op["flags"] is string[] f && f.Contains("cmd_cap_do") && f.Contains("cmd_cap_haspol"));
        var groups = Assert.IsType<NetlinkFields[]>(nlctrl.Attributes["mcast_groups"]);
        Assert.Equal("notify", groups.Single()["name"]);
        Assert.Equal((uint)16, groups.Single()["id"]);
        var request = Decode(path).First();
        Assert.Equal("nlctrl CTRL_CMD_GETFAMILY", request.TypeName);
        Assert.Contains("DUMP", request.FlagNames);
    }

    [Fact]
    public void PolicyDumpReadsAsGenlCtrlPolicy()
    {
        var path = Native("genl-ctrl-policy.pcap");
        // genl 6.1 predates NLA_UINT and prints "unknown" where the kernel says uint.
        var expected = Transcript(path).Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("ID: 0x15  ", StringComparison.Ordinal) && (l.Contains("policy") || l.Contains(" op ")))
            .Select(l => l.Replace("type=unknown", "type=UINT", StringComparison.Ordinal)).ToList();
        var messages = Decode(path);
        var actual = messages.Where(m => m.Command == "CTRL_CMD_GETPOLICY" && m.Direction == NetlinkDirection.FromKernel)
            .SelectMany(m => m.Summary.Split("; ")).ToList();
        Assert.True(expected.Count > 200);
        Assert.Equal(expected, actual);
        // The nesting: policy index, attribute index, NL_POLICY_TYPE_ATTR_*.
        var nested = messages.First(m => m.Attributes["policy"] is NetlinkFields p && p.Walk().Any(f => f.Name == "policy_idx"));
        var (idxPath, _) = Walk(nested.Attributes).First(f => f.Field.Name == "policy_idx");
        Assert.Matches(@"^policy\.\d+\.\d+\.policy_idx$", idxPath);
        Assert.Equal("nested", Walk(nested.Attributes).First(f => f.Path.EndsWith(".type", StringComparison.Ordinal)).Field.Value);
        Assert.Contains(messages, m => m.Attributes["op_policy"] is NetlinkFields op && op["1"] is NetlinkFields entry && entry["do"] is uint);
    }

    [Fact]
    public void FamilyIdLearnedFromGetFamilyReplyNamesLaterMessages()
    {
        var path = Shared("pyroute2-nl0.pcap");
        Assert.SkipWhen(path is null, "shared/captures/pyroute2-nl0.pcap is not present");
        var messages = Decode(path!).Where(m => m.Protocol == NetlinkProtocol.Generic).ToList();
        var reply = messages.First(m => m.Command == "CTRL_CMD_NEWFAMILY" && (string?)m.Attributes["family_name"] == "IPVS");
        Assert.Equal((ushort)37, reply.Attributes["family_id"]);
        var later = messages.Where(m => m.Type == 37 && messages.IndexOf(m) > messages.IndexOf(reply)).ToList();
        Assert.NotEmpty(later);
        Assert.All(later, m => Assert.Equal("IPVS", m.Family));
        // Type 36 is nl80211, but nothing in the file says so: it stays numbered unless the user names it.
        var unnamed = messages.Where(m => m.Type == 36).ToList();
        Assert.NotEmpty(unnamed);
        Assert.All(unnamed, m => Assert.Equal("genl(36)", m.TypeName));
        var named = Decode(path!, families: new Dictionary<int, string> { [36] = "nl80211" }).Where(m => m.Type == 36).ToList();
        Assert.All(named, m => Assert.Equal("nl80211", m.Family));
        Assert.All(named, m => Assert.StartsWith("NL80211_CMD_", m.Command));
    }

    [Fact]
    public void EthtoolCommandsAreNamedByDirection()
    {
        var path = Native("genl-ethtool-lo.pcap");
        var messages = Decode(path).Where(m => m.Family == "ethtool").ToList();
        var request = messages.First(m => m.Command == "ETHTOOL_MSG_LINKSTATE_GET");
        Assert.Equal(NetlinkDirection.ToKernel, request.Direction);
        var header = Assert.IsType<NetlinkFields>(request.Attributes["header"]);
        Assert.Equal("lo", header["dev_name"]);
        // Number 6 both ways: LINKSTATE_GET to the kernel, LINKSTATE_GET_REPLY from it.
        var reply = messages.First(m => m.Command == "ETHTOOL_MSG_LINKSTATE_GET_REPLY");
        Assert.Equal(request.Header["cmd"], reply.Header["cmd"]);
        Assert.Equal((byte)1, reply.Attributes["link"]);
        Assert.Contains("Link detected: yes", Transcript(path));
        Assert.Contains("Link detected: yes", reply.Summary);
        // FEATURES_GET (11) is answered by FEATURES_GET_REPLY (11); its bitsets name the features ethtool -k prints.
        var features = messages.First(m => m.Command == "ETHTOOL_MSG_FEATURES_GET_REPLY");
        var active = Assert.IsType<NetlinkFields>(features.Attributes["active"]);
        Assert.True(active.Contains("size") || active.Contains("bits"));
        var strset = messages.First(m => m.Command == "ETHTOOL_MSG_STRSET_GET_REPLY");
        var names = Walk(strset.Attributes).Where(p => p.Path.EndsWith("string.value", StringComparison.Ordinal)).Select(p => (string)p.Field.Value!).ToList();
        foreach (var name in new[] { "tx-checksum-ip-generic", "rx-gro-list", "tx-scatter-gather", "loopback" })
        {
            Assert.Contains(name, names);
            Assert.Contains(name + ":", Transcript(path));
        }
        // What lo cannot do comes back as EOPNOTSUPP, echoing the request by name.
        var refused = Decode(path).First(m => m.Error is { Errno: 95 });
        Assert.Equal("ethtool", refused.Error!.Request!.Family);
        Assert.StartsWith("ETHTOOL_MSG_", refused.Error.Request.Command);
    }

    [Fact]
    public void MptcpEndpointsReadAsIpMptcpPrintsThem()
    {
        var path = Native("genl-mptcp.pcap");
        var text = Transcript(path);
        var messages = Decode(path).Where(m => m.Family == "mptcp_pm").ToList();
        var shown = messages.Where(m => m.Direction == NetlinkDirection.FromKernel && m.Command == "MPTCP_PM_CMD_GET_ADDR").ToList();
        Assert.NotEmpty(shown);
        foreach (var m in shown)
        {
            var addr = Assert.IsType<NetlinkFields>(m.Attributes["addr"]);
            var line = $"{addr["addr4"]} id {addr["id"]} {string.Join(" ", (string[])addr["flags"]!)}";
            Assert.Contains(line, text);
            Assert.Contains(line, m.Summary);
        }
        var limits = messages.Single(m => m.Direction == NetlinkDirection.FromKernel && m.Command == "MPTCP_PM_CMD_GET_LIMITS");
        Assert.Contains($"add_addr_accepted {limits.Attributes["rcv_add_addrs"]} subflows {limits.Attributes["subflows"]}", text);
        Assert.Contains(messages, m => m.Command == "MPTCP_PM_CMD_DEL_ADDR" && m.Summary.StartsWith("del", StringComparison.Ordinal));
        // Events, told from replies by port id 0 (multicast), read as `ip mptcp monitor` printed them.
        var events = Regex.Matches(text, @"^\[ *[A-Z_]+\] token=.*$", RegexOptions.Multiline).Select(e => e.Value.TrimEnd()).ToList();
        Assert.True(events.Count >= 6);
        var summaries = messages.Where(m => m.Command!.StartsWith("MPTCP_EVENT_", StringComparison.Ordinal)).Select(m => m.Summary).ToList();
        Assert.Equal(events, summaries.Where(s => s.Contains("token=", StringComparison.Ordinal)).ToList());
        Assert.Contains(messages, m => m.Command == "MPTCP_EVENT_LISTENER_CREATED" && (ushort?)m.Attributes["sport"] == 9000);
    }

    [Fact]
    public void DevlinkLookupFailsWhenTheKernelHasNoDevlink()
    {
        var messages = Decode(Native("genl-devlink.pcap"));
        var request = messages.First(m => m.Command == "CTRL_CMD_GETFAMILY");
        Assert.Equal("devlink", request.Attributes["family_name"]);
        Assert.Contains(messages, m => m.Error is { ErrorName: "ENOENT" });
    }

    [Fact]
    public void RigGenlCaptureReadsAsTheToolsPrintedIt()
    {
        var path = Rig("genl.pcap");
        Assert.SkipWhen(!File.Exists(path), "rig fixture genl.pcap not present");
        var text = Transcript(path);
        var messages = Decode(path);
        // Every GETFAMILY reply's numbers as genl prints them.
        var nlctrl = messages.First(m => m.Command == "CTRL_CMD_NEWFAMILY" && (string?)m.Attributes["family_name"] == "nlctrl");
        Assert.Contains(Regex.Match(nlctrl.Summary, "ID: .*max attribs: \\d+").Value, text);
        // wireguard: the peer as `wg show` prints it.
        var device = messages.Last(m => m.Command == "WG_CMD_GET_DEVICE" && m.Direction == NetlinkDirection.FromKernel && m.Attributes.Contains("peers"));
        var peer = Assert.IsType<NetlinkFields[]>(device.Attributes["peers"]).Single();
        Assert.Equal("LbljVk/6FtVwpwzc8NB9aBgbNXfFzmzW64HWYjcRFCw=", Convert.ToBase64String((byte[])peer["public_key"]!));
        Assert.Contains("endpoint 127.0.0.1:51821", device.Summary);
        Assert.Equal((ushort)25, peer["persistent_keepalive_interval"]);
        var ips = Assert.IsType<NetlinkFields[]>(peer["allowedips"]).Select(i => $"{i["ipaddr"]}/{i["cidr_mask"]}").ToList();
        Assert.Equal(new[] { "192.0.2.0/24", "2001:db8::/32" }, ips);
        Assert.Equal((ushort)51820, device.Attributes["listen_port"]);
        // Other families the tools used: fou and tcp_metrics.
        Assert.Contains(messages, m => m.Family == "fou" && m.Direction == NetlinkDirection.FromKernel && (ushort?)m.Attributes["port"] == 5555);
        Assert.Contains(messages, m => m.Family == "tcp_metrics" && m.Command == "TCP_METRICS_CMD_GET");
        Assert.Contains(messages, m => m.Family == "macsec" && m.Command == "MACSEC_CMD_ADD_TXSA");
    }

    [Fact]
    public void WireguardAndMacsecKeysAreSecretUnlessRevealed()
    {
        var path = Rig("genl.pcap");
        Assert.SkipWhen(!File.Exists(path), "rig fixture genl.pcap not present");
        var text = Transcript(path);
        var privateKey = Convert.FromBase64String(Regex.Match(text, @"PrivateKey = (\S+)").Groups[1].Value);
        var macsecKey = Hex("000102030405060708090a0b0c0d0e0f");
        var hidden = Decode(path);
        var carriers = hidden.Where(m => m.Attributes.Contains("private_key") || (m.Attributes["sa_config"] as NetlinkFields)?.Contains("key") == true).ToList();
        Assert.True(carriers.Count >= 2);
        foreach (var m in hidden)
        {
            Assert.False(Contains(m.Bytes, privateKey), $"wireguard private key in the bytes of {m}");
            Assert.False(Contains(m.Bytes, macsecKey), $"macsec key in the bytes of {m}");
            var all = AllText(m);
            Assert.DoesNotContain(Convert.ToHexString(privateKey).ToLowerInvariant(), all);
            Assert.DoesNotContain(Convert.ToBase64String(privateKey), all);
            Assert.DoesNotContain(Convert.ToHexString(macsecKey).ToLowerInvariant(), all);
        }
        Assert.Contains(carriers, m => m.Attributes["private_key"] is string s && s.StartsWith("REDACTED", StringComparison.Ordinal));

        var revealed = Decode(path, reveal: true);
        Assert.Contains(revealed, m => m.Attributes["private_key"] is byte[] k && k.SequenceEqual(privateKey));
        Assert.Contains(revealed, m => Contains(m.Bytes, privateKey));
        Assert.Contains(revealed, m => (m.Attributes["sa_config"] as NetlinkFields)?["key"] is byte[] k && k.SequenceEqual(macsecKey));
        Assert.Contains(revealed, m => Contains(m.Bytes, macsecKey));
    }

    [Fact]
    public void TaskstatsTeamNl80211AndDevlinkTablesDecodeBuiltMessages()
    {
        var decoder = new NetlinkDecoder(new DecodeOptions { GenericFamilies = new Dictionary<int, string> { [30] = "TASKSTATS", [31] = "team", [32] = "nl80211", [33] = "devlink" } });
        NetlinkMessage One(ushort type, byte cmd, Action<MessageBuilder> body, ushort flags = 0)
        {
            var b = new MessageBuilder(type, flags).AddBytes(new byte[] { cmd, 1, 0, 0 });
            body(b);
            return Assert.Single(decoder.Decode(new NetlinkRecord(b.ToArray(), NetlinkProtocol.Generic)));
        }
        var task = One(30, 1, b => b.AddU32(1, 4242), Nl.NLM_F_REQUEST);
        Assert.Equal(("TASKSTATS", "TASKSTATS_CMD_GET", (object?)4242u), (task.Family, task.Command, task.Attributes["pid"]));
        var team = One(31, 2, b => b.AddU32(1, 7));
        Assert.Equal(("TEAM_CMD_OPTIONS_GET", (object?)7u), (team.Command, team.Attributes["team_ifindex"]));
        var wifi = One(32, 7, b => b.AddU32(3, 4).AddString(4, "wlan0").AddU32(5, 2));
        Assert.Equal(("NL80211_CMD_NEW_INTERFACE", "managed"), (wifi.Command, wifi.Attributes["iftype"]));
        Assert.Contains("Interface wlan0", wifi.Summary);
        var dl = One(33, 3, b => b.AddString(1, "pci").AddString(2, "0000:01:00.0"));
        Assert.Equal("DEVLINK_CMD_NEW", dl.Command);
        Assert.Contains("pci/0000:01:00.0", dl.Summary);
    }

    [Fact]
    public void AFamilyIdLearnedMidStreamRenamesMessagesAlreadyResolvedUnderItsNumber()
    {
        // Resolutions are cached per stream by family id: an id learned after its messages were first seen must
        // name the ones that follow, and one taught anew (a family reloaded under another id) must move with it.
        var decoder = new NetlinkDecoder();
        NetlinkMessage One(byte[] bytes) => Assert.Single(decoder.Decode(new NetlinkRecord(bytes, NetlinkProtocol.Generic)));
        byte[] Alert(ushort type) => new MessageBuilder(type, 0).AddBytes(new byte[] { 2, 1, 0, 0 }).ToArray();   // NET_DM_CMD_CONFIG
        byte[] NewFamily(ushort id, string name) => new MessageBuilder(16, 0)
            .AddBytes(new byte[] { 1, 2, 0, 0 }).AddU16(1, id).AddString(2, name).ToArray();   // CTRL_CMD_NEWFAMILY
        Assert.Equal("genl(40)", One(Alert(40)).TypeName);
        Assert.Equal("NET_DM", One(NewFamily(40, "NET_DM")).Attributes["family_name"]);
        var named = One(Alert(40));
        Assert.Equal(("NET_DM", "NET_DM_CMD_CONFIG"), (named.Family, named.Command));
        One(NewFamily(40, "TASKSTATS"));
        Assert.Equal("TASKSTATS", One(Alert(40)).Family);
    }

    [Fact]
    public void MutatedFixturesNeverThrow()
    {
        // Every fixture of the families these tests own, each record damaged many ways: bytes flipped, lengths
        // rewritten, the tail cut. Decoding, summarising and walking the values must never throw.
        var paths = Directory.GetFiles(ModuleLoader.Fixture("native"), "*.pcap").ToList();
        foreach (var rig in new[] { "genl.pcap", "dropmon.pcap", "xfrm.pcap", "sockdiag.pcap" })
            if (File.Exists(Rig(rig))) paths.Add(Rig(rig));
        var random = new Random(20261123);
        int decoded = 0;
        foreach (var path in paths)
        {
            var decoder = new NetlinkDecoder(new DecodeOptions { RevealSecrets = random.Next(2) == 0 });
            foreach (var record in Fixtures.ReadNetlinkPcap(path))
            {
                for (int round = 0; round < 8; round++)
                {
                    var bytes = record.Data.ToArray();
                    if (bytes.Length < 20) continue;
                    for (int flips = random.Next(1, 6); flips > 0; flips--)
                        bytes[random.Next(16, bytes.Length)] = (byte)random.Next(256);
                    if (round % 3 == 0) bytes = bytes[..random.Next(16, bytes.Length)];
                    foreach (var m in decoder.Decode(record with { Data = bytes }))
                    {
                        _ = m.Summary;
                        _ = m.ToString();
                        foreach (var (_, f) in Walk(m.Header).Concat(Walk(m.Attributes))) _ = f.ToString();
                        decoded++;
                    }
                }
            }
        }
        Assert.True(decoded > 1000);
    }

    [Fact]
    public void EveryGenericMessageInTheFixturesIsNamed()
    {
        var paths = Directory.GetFiles(ModuleLoader.Fixture("native"), "genl-*.pcap").ToList();
        foreach (var rig in new[] { "genl.pcap", "dropmon.pcap" })
            if (File.Exists(Rig(rig))) paths.Add(Rig(rig));
        Assert.True(paths.Count >= 5);
        var problems = paths.SelectMany(p => CoverageProblems(Decode(p))).ToList();
        Assert.Empty(problems);
    }

    [Fact]
    public void AGenericMessageShorterThanItsGenlmsghdrIsMalformedButACappedEchoIsNot()
    {
        // The kernel refuses a generic message shorter than GENL_HDRLEN (4): one of 2 bytes, or none, is malformed
        // (they read as well formed). A capped ACK echoes only the request's netlink header, and that is no fault.
        NetlinkMessage One(byte[] data, NetlinkDirection direction) =>
            new NetlinkDecoder().Decode(new NetlinkRecord(data, NetlinkProtocol.Generic) { Direction = direction }).Single();
        var data = new MessageBuilder(Nl.GENL_ID_CTRL, 0, 1).AddBytes(new byte[] { 1, 2 }).ToArray()[..18];
        BitConverter.TryWriteBytes(data, 18u);   // nlmsg_len 18: a 2-byte genlmsghdr
        var two = One(data, NetlinkDirection.FromKernel);
        Assert.Contains("too short for field reserved", two.MalformedReason);
        var none = One(new MessageBuilder(0x30, Nl.NLM_F_REQUEST, 1).ToArray(), NetlinkDirection.ToKernel);
        Assert.Contains("without its 4-byte genlmsghdr", none.MalformedReason);

        var request = new MessageBuilder(Nl.GENL_ID_CTRL, Nl.NLM_F_REQUEST | Nl.NLM_F_ACK, 7).AddBytes(new byte[] { 3, 1, 0, 0 }).ToArray();
        var ack = new MessageBuilder(Nl.NLMSG_ERROR, Nl.NLM_F_CAPPED, 7).AddBytes(new byte[4]).AddBytes(request[..16]).ToArray();
        var answer = One(ack, NetlinkDirection.FromKernel);
        Assert.Null(answer.MalformedReason);
        Assert.Null(answer.Error!.Request!.MalformedReason);
    }
}

internal static class NetlinkFieldsWalk
{
    public static IEnumerable<NetlinkField> Walk(this NetlinkFields fields) => GenericTestKit.Walk(fields).Select(p => p.Field);
}
