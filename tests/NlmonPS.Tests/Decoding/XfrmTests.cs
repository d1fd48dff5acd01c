using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;
using static NlmonPS.Tests.Decoding.GenericTestKit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// xfrm: the rig's capture (Debian 6.1 with ESP, through nlmon) has real states with keys; this machine's kernel
/// has no xfrm types, so its native capture has the requests, the errors echoing them, policies and the rest.
/// </summary>
public class XfrmTests
{
    private static string RigPath()
    {
        var path = Rig("xfrm.pcap");
        Assert.SkipWhen(!File.Exists(path), "rig fixture xfrm.pcap not present");
        return path;
    }

    /// <summary>The key material a transcript's `ip xfrm state add` lines carry (hex after the algorithm name).</summary>
    private static List<byte[]> Keys(string transcript) =>
        Regex.Matches(transcript, @"^\$ ip xfrm state add .*$", RegexOptions.Multiline)
            .SelectMany(m => Regex.Matches(m.Value, @"'?\)?'? (0x[0-9a-f]{16,})").Select(k => Hex(k.Groups[1].Value)))
            .DistinctBy(Convert.ToHexString).ToList();

    [Fact]
    public void StateListReadsAsIpXfrmStatePrintsIt()
    {
        var path = RigPath();
        var text = Transcript(path);
        var list = text[text.IndexOf("$ ip xfrm state list", StringComparison.Ordinal)..];
        list = list[..list.IndexOf("#t", StringComparison.Ordinal)];
        var printed = Regex.Matches(list, @"src (\S+) dst (\S+)\n\tproto (\w+) spi (0x[0-9a-f]+) reqid (\d+) mode (\w+)\n\treplay-window \d+ \n\t(aead|auth-trunc) (\S+) (0x[0-9a-f]+) (\d+)\n(?:\tenc (\S+) (0x[0-9a-f]+)\n)?");
        Assert.Equal(4, printed.Count);
        var messages = Decode(path, reveal: true);
        var dump = messages.SkipWhile(m => !(m.TypeName == "XFRM_MSG_GETSA" && m.FlagNames.Contains("DUMP"))).Skip(1)
            .TakeWhile(m => m.TypeName == "XFRM_MSG_NEWSA").ToList();
        Assert.Equal(printed.Count, dump.Count);
        for (int i = 0; i < dump.Count; i++)
        {
            var g = printed[i].Groups;
            var m = dump[i];
            var h = m.Header;
            Assert.Equal(NetlinkDirection.FromKernel, m.Direction);
            Assert.Equal((g[1].Value, g[2].Value), (h["saddr"]!.ToString(), h["daddr"]!.ToString()));
            Assert.Equal(uint.Parse(g[4].Value[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture), h["spi"]);
            Assert.Equal((g[3].Value, g[6].Value, (object?)uint.Parse(g[5].Value, CultureInfo.InvariantCulture)), ((string?)h["proto"], (string?)h["mode"], h["reqid"]));
            Assert.StartsWith($"src {g[1].Value} dst {g[2].Value} proto {g[3].Value} spi {g[4].Value} reqid {g[5].Value} mode {g[6].Value} {g[7].Value} {g[8].Value} {g[10].Value}", m.Summary);
            var alg = (NetlinkFields)m.Attributes[g[7].Value == "aead" ? "alg_aead" : "alg_auth_trunc"]!;
            Assert.Equal(g[8].Value, alg["alg_name"]);
            Assert.Equal(Hex(g[9].Value), alg["alg_key"]);
            Assert.Equal((uint)(Hex(g[9].Value).Length * 8), alg["alg_key_len"]);
            if (g[11].Success)
            {
                Assert.Contains($"enc {g[11].Value}", m.Summary);
                Assert.Equal(Hex(g[12].Value), ((NetlinkFields)m.Attributes["alg_crypt"]!)["alg_key"]);
            }
            var sel = (NetlinkFields)h["sel"]!;
            Assert.Equal(g[1].Value.Contains(':') ? IPAddress.IPv6Any : IPAddress.Any, sel["saddr"]);
        }
    }

    [Fact]
    public void KeysNeverShowUnlessRevealed()
    {
        foreach (var path in new[] { RigPath(), Native("xfrm-state.pcap") })
        {
            var keys = Keys(Transcript(path));
            Assert.True(keys.Count >= 3, path);
            var hidden = Decode(path);
            foreach (var m in hidden)
            {
                var text = AllText(m) + (m.Error?.Request is { } r ? AllText(r) : "");
                foreach (var key in keys)
                {
                    Assert.False(Contains(m.Bytes, key), $"key in the bytes of {m}");
                    Assert.False(m.Error?.Request is { } req && Contains(req.Bytes, key), $"key in the echoed request of {m}");
                    Assert.DoesNotContain(Convert.ToHexString(key).ToLowerInvariant(), text);
                }
            }
            var carriers = hidden.Where(m => m.Attributes.Contains("alg_crypt") || m.Attributes.Contains("alg_aead")).ToList();
            Assert.NotEmpty(carriers);
            Assert.All(carriers, m => Assert.StartsWith("REDACTED", (string)((NetlinkFields)(m.Attributes["alg_crypt"] ?? m.Attributes["alg_aead"])!)["alg_key"]!));
            // The algorithm name and key length stay visible.
            Assert.All(carriers, m => Assert.IsType<uint>(((NetlinkFields)(m.Attributes["alg_crypt"] ?? m.Attributes["alg_aead"])!)["alg_key_len"]));

            var revealed = Decode(path, reveal: true);
            foreach (var key in keys)
            {
                Assert.Contains(revealed, m => Contains(m.Bytes, key));
                Assert.Contains(revealed, m => Walk(m.Attributes).Any(f => f.Field.Value is byte[] b && b.SequenceEqual(key)));
            }
        }
    }

    [Fact]
    public void RefusedStatesEchoTheirRequestWithTheKeysZeroed()
    {
        var path = Native("xfrm-state.pcap");
        var messages = Decode(path);
        var refused = messages.Where(m => m.Error is { Errno: > 0 } e && e.Request?.TypeName == "XFRM_MSG_NEWSA").ToList();
        Assert.True(refused.Count >= 3);
        Assert.Contains("Requested type not found", Transcript(path));
        Assert.Contains(refused, m => m.Error!.ExtendedMessage == "Requested type not found");
        var echoed = refused.First().Error!.Request!;
        Assert.Equal("add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x00001000 reqid 1 mode tunnel auth hmac(sha256) enc cbc(aes)", echoed.Summary);
        var revealed = Decode(path, reveal: true).First(m => m.Error is { Errno: > 0 } e && e.Request?.TypeName == "XFRM_MSG_NEWSA");
        Assert.True(Contains(revealed.Bytes, Hex("0xfedcba9876543210fedcba9876543210")));
        Assert.False(Contains(refused.First().Bytes, Hex("0xfedcba9876543210fedcba9876543210")));
    }

    [Fact]
    public void PoliciesReadAsIpXfrmPolicyPrintsThem()
    {
        foreach (var path in new[] { RigPath(), Native("xfrm-state.pcap") })
        {
            var text = Transcript(path);
            var messages = Decode(path);
            var printed = Regex.Matches(text, @"^src (\S+/\d+) dst (\S+/\d+) (?:proto (\w+) (?:dport (\d+) )?)?\n\tdir (\w+) priority (\d+) ptype (\w+) \n(?:\tmark (0x[0-9a-f]+/0x[0-9a-f]+) \n)?\ttmpl src (\S+) dst (\S+)\n\t\tproto (\w+) reqid (\d+) mode (\w+)", RegexOptions.Multiline);
            Assert.True(printed.Count >= 3, path);
            foreach (Match p in printed)
            {
                var g = p.Groups;
                var line = Summaries.Join($"src {g[1].Value} dst {g[2].Value}", g[3].Success ? $"proto {g[3].Value}" : null, g[4].Success ? $"dport {g[4].Value}" : null,
                    $"dir {g[5].Value} priority {g[6].Value} ptype {g[7].Value}", g[8].Success ? $"mark {g[8].Value}" : null,
                    $"tmpl src {g[9].Value} dst {g[10].Value} proto {g[11].Value} reqid {g[12].Value} mode {g[13].Value}");
                Assert.Contains(messages, m => m.Summary == line || m.Summary == "Deleted " + line);
            }
            var policy = messages.First(m => m.TypeName == "XFRM_MSG_NEWPOLICY" && m.Direction == NetlinkDirection.FromKernel);
            var tmpl = Assert.IsType<NetlinkFields[]>(policy.Attributes["tmpl"]);
            Assert.Equal("esp", tmpl[0]["proto"]);
        }
    }

    [Fact]
    public void CountsDefaultsAndThresholdsMatchTheTranscript()
    {
        var rig = Decode(RigPath());
        var rigText = Transcript(RigPath());
        var sad = rig.Single(m => m.TypeName == "XFRM_MSG_NEWSADINFO");
        Assert.Contains($"SAD count {sad.Attributes["cnt"]}", rigText);
        var spd = rig.Single(m => m.TypeName == "XFRM_MSG_NEWSPDINFO");
        var info = (NetlinkFields)spd.Attributes["info"]!;
        Assert.Contains($"SPD IN  {info["incnt"]} OUT {info["outcnt"]} FWD {info["fwdcnt"]}", rigText);

        var native = Decode(Native("xfrm-state.pcap"));
        var nativeText = Transcript(Native("xfrm-state.pcap"));
        var defaults = native.Last(m => m.TypeName == "XFRM_MSG_GETDEFAULT" && m.Direction == NetlinkDirection.FromKernel);
        Assert.Equal(("block", "accept", "accept"), ((string?)defaults.Header["in"], (string?)defaults.Header["fwd"], (string?)defaults.Header["out"]));
        Assert.Contains("in:  block", nativeText);
        var thresholds = native.Last(m => m.TypeName == "XFRM_MSG_NEWSPDINFO" && m.Direction == NetlinkDirection.FromKernel);
        Assert.Equal((byte)24, ((NetlinkFields)thresholds.Attributes["ipv4_hthresh"]!)["lbits"]);
        Assert.Equal((byte)56, ((NetlinkFields)thresholds.Attributes["ipv6_hthresh"]!)["rbits"]);
        // allocspi: the kernel's chosen SPI, as `ip xfrm state allocspi` printed it.
        var allocated = native.First(m => m.TypeName == "XFRM_MSG_NEWSA" && m.Direction == NetlinkDirection.FromKernel);
        Assert.Contains($"proto esp spi 0x{allocated.Header["spi"]:x8} reqid 0 mode transport", nativeText);
        Assert.Contains("sel src 10.0.0.3/32 dst 10.0.0.4/32", allocated.Summary);
        // Dump requests carry no family header; a get by id names the source address by the message's family.
        var dump = native.First(m => m.TypeName == "XFRM_MSG_GETSA" && m.FlagNames.Contains("DUMP"));
        Assert.Empty(dump.Header);
        Assert.Equal("dump states", dump.Summary);
        var get = native.First(m => m.TypeName == "XFRM_MSG_GETSA" && !m.FlagNames.Contains("DUMP"));
        Assert.Equal("get src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x00001000", get.Summary);
        Assert.Equal(IPAddress.Parse("10.0.0.1"), get.Attributes["srcaddr"]);   // a 16-byte slot, read by the message's family
        var v6 = native.First(m => m.TypeName == "XFRM_MSG_NEWSA" && m.Header["family"] as string == "inet6");
        Assert.Equal(IPAddress.Parse("fd00::2"), v6.Header["daddr"]);
        Assert.Equal(96u, ((NetlinkFields)v6.Attributes["alg_auth_trunc"]!)["alg_trunc_len"]);
        Assert.Contains(native, m => m.Summary == "Flushed state proto 0");
        Assert.Contains("Flushed policy ptype main", nativeText);
        Assert.Contains(native, m => m.Summary == "Flushed policy ptype main");
    }

    [Fact]
    public void BuiltExpireAcquireAndMigrateDecode()
    {
        var decoder = new NetlinkDecoder();
        NetlinkMessage One(ushort type, byte[] header, Action<MessageBuilder>? attrs = null)
        {
            var b = new MessageBuilder(type, 0).AddBytes(header);
            attrs?.Invoke(b);
            return Assert.Single(decoder.Decode(new NetlinkRecord(b.ToArray(), NetlinkProtocol.Xfrm)));
        }
        // XFRM_MSG_EXPIRE: an xfrm_usersa_info (family inet, 10.0.0.1 -> 10.0.0.2, esp spi 0x1234) and hard=1.
        var expire = new byte[232];
        new byte[] { 10, 0, 0, 2 }.CopyTo(expire, 56);
        new byte[] { 0, 0, 0x12, 0x34 }.CopyTo(expire, 72);
        expire[76] = 50;
        new byte[] { 10, 0, 0, 1 }.CopyTo(expire, 80);
        expire[212] = 2;
        expire[214] = 1;
        expire[224] = 1;
        var m = One(24, expire);
        Assert.Equal("XFRM_MSG_EXPIRE", m.TypeName);
        Assert.Equal("Expired src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x00001234 reqid 0 mode tunnel hard 1", m.Summary);
        // XFRM_MSG_MIGRATE with an xfrm_user_migrate array of two.
        var migrate = new byte[2 * 76];
        for (int i = 0; i < 2; i++)
        {
            migrate[i * 76 + 64] = 50;
            BitConverter.TryWriteBytes(migrate.AsSpan(i * 76 + 72), (ushort)2);
            BitConverter.TryWriteBytes(migrate.AsSpan(i * 76 + 74), (ushort)10);
        }
        var mig = One(33, new byte[64], b => b.AddAttribute(17, migrate));
        var entries = Assert.IsType<NetlinkFields[]>(mig.Attributes["migrate"]);
        Assert.Equal(2, entries.Length);
        Assert.Equal(IPAddress.Any, entries[0]["old_daddr"]);
        Assert.Equal(IPAddress.IPv6Any, entries[0]["new_daddr"]);
        Assert.Empty(CoverageProblems(new[] { m, mig }));
        // Every type from NEWSA (16) to GETDEFAULT (40) has a name.
        for (ushort t = 16; t <= 40; t++) Assert.StartsWith("XFRM_MSG_", Schemas.For(NetlinkProtocol.Xfrm)!.TypeName(t));
    }

    [Fact]
    public void EveryXfrmMessageInTheFixturesIsNamed()
    {
        var paths = Directory.GetFiles(ModuleLoader.Fixture("native"), "xfrm-*.pcap").ToList();
        if (File.Exists(Rig("xfrm.pcap"))) paths.Add(Rig("xfrm.pcap"));
        var messages = paths.SelectMany(p => Decode(p)).ToList();
        Assert.True(messages.Count > 50);
        Assert.Empty(CoverageProblems(messages));
        Assert.Empty(CoverageProblems(messages.Where(m => m.Error?.Request is not null).Select(m => m.Error!.Request!)));
    }
}
