using System.Text;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Hostile;

/// <summary>
/// Issue #16.4: key material never shows (in Attributes, Summary or Bytes) unless -RevealSecrets: TCP-MD5 keys in
/// sock_diag, nl80211 keys, PMK and SAE password, and the keys of generic families whose id the capture never names
/// (WireGuard, MACsec), also inside an error's echoed request.
/// </summary>
public class SecretRedactionTests
{
    private static readonly byte[] Key = Enumerable.Range(0xA0, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] Password = Encoding.ASCII.GetBytes("bgp-session-password");

    private static bool Holds(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private static NetlinkMessage DecodeOne(byte[] data, NetlinkProtocol protocol, DecodeOptions? options = null, NetlinkDirection direction = NetlinkDirection.Unknown) =>
        new NetlinkDecoder(options).Decode(new NetlinkRecord(data, protocol) { Direction = direction }).Single();

    private static MessageBuilder Genl(ushort family, byte cmd, ushort flags = Nl.NLM_F_REQUEST) =>
        new MessageBuilder(family, flags, 7).AddBytes(new byte[] { cmd, 1, 0, 0 });

    [Fact]
    public void TcpMd5KeysInSockDiagAreRedacted()
    {
        var msg = new byte[72];
        msg[0] = 2; // AF_INET
        msg[1] = 10;
        var md5 = new byte[100];
        md5[0] = 2;
        md5[1] = 32;
        BitConverter.TryWriteBytes(md5.AsSpan(2), (ushort)Password.Length);
        new byte[] { 192, 0, 2, 1 }.CopyTo(md5, 4);
        Password.CopyTo(md5, 20);
        var data = new MessageBuilder(18, Nl.NLM_F_MULTI).AddBytes(msg).AddAttribute(18, md5).ToArray();
        var m = DecodeOne(data, NetlinkProtocol.SockDiag);
        Assert.False(m.IsMalformed, m.MalformedReason);
        var sig = Assert.Single((NetlinkFields[])m.Attributes["md5sig"]!);
        Assert.Equal(System.Net.IPAddress.Parse("192.0.2.1"), sig["addr"]);
        Assert.Equal((ushort)Password.Length, sig["keylen"]);
        Assert.Equal("REDACTED (80 bytes)", sig["key"]);
        Assert.False(Holds(m.Bytes, Password));
        Assert.DoesNotContain("bgp-session", m.Summary + m.Attributes);

        var revealed = DecodeOne(data, NetlinkProtocol.SockDiag, new DecodeOptions { RevealSecrets = true });
        Assert.True(Holds(revealed.Bytes, Password));
        Assert.True(Holds((byte[])((NetlinkFields[])revealed.Attributes["md5sig"]!)[0]["key"]!, Password));
    }

    [Fact]
    public void Nl80211KeysPmkAndSaePasswordAreRedacted()
    {
        var options = new DecodeOptions { GenericFamilies = new Dictionary<int, string> { [0x1c] = "nl80211" } };
        var secrets = new[] { Key[..16], Key[16..], Password, Key[..24], Key[8..], Key[4..20], Key[1..17], Key[2..18] };
        var data = Genl(0x1c, 11) // NL80211_CMD_NEW_KEY
            .AddU32(3, 4)
            .BeginNest(80).AddAttribute(1, secrets[0]).AddU8(2, 1).AddU32(3, 0x000fac04).EndNest()          // NL80211_ATTR_KEY { KEY_DATA, IDX, CIPHER }
            .AddAttribute(254, secrets[1])                                                                  // NL80211_ATTR_PMK
            .AddAttribute(277, secrets[2])                                                                  // NL80211_ATTR_SAE_PASSWORD
            .BeginNest(81).BeginNest(1).AddAttribute(1, secrets[3]).EndNest().EndNest()                    // NL80211_ATTR_KEYS [ { KEY_DATA } ]
            .BeginNest(122).AddAttribute(1, secrets[4]).AddAttribute(2, secrets[5]).EndNest()              // NL80211_ATTR_REKEY_DATA { KEK, KCK }
            .AddAttribute(242, secrets[6])                                                                  // NL80211_ATTR_FILS_KEK
            .AddAttribute(252, secrets[7])                                                                  // NL80211_ATTR_FILS_ERP_RRK
            .ToArray();
        var m = DecodeOne(data, NetlinkProtocol.Generic, options);
        Assert.False(m.IsMalformed, m.MalformedReason);
        Assert.Equal("nl80211 NL80211_CMD_NEW_KEY", m.TypeName);
        foreach (var s in secrets) Assert.False(Holds(m.Bytes, s), Convert.ToHexString(s));
        var key = (NetlinkFields)m.Attributes["key"]!;
        Assert.Equal("REDACTED (16 bytes)", key["data"]);
        Assert.Equal((byte)1, key["idx"]);
        Assert.Equal("REDACTED (16 bytes)", m.Attributes["pmk"]);
        Assert.Equal($"REDACTED ({Password.Length} bytes)", m.Attributes["sae_password"]);
        Assert.Equal("REDACTED (24 bytes)", ((NetlinkFields[])m.Attributes["keys"]!)[0]["data"]);
        Assert.Equal("REDACTED (24 bytes)", ((NetlinkFields)m.Attributes["rekey_data"]!)["kek"]);
        Assert.StartsWith("REDACTED", (string)m.Attributes["fils_kek"]!);
        Assert.StartsWith("REDACTED", (string)m.Attributes["fils_erp_rrk"]!);
    }

    /// <summary>A WireGuard SET_DEVICE: private key, a peer with its public and preshared keys, an interface name.</summary>
    private static byte[] WireGuardSet(ushort id) => Genl(id, 1)
        .AddString(2, "wg0")
        .AddAttribute(3, Key)                                        // WGDEVICE_A_PRIVATE_KEY
        .AddU16(6, 51820)
        .BeginNest(8).BeginNest(0)
        .AddAttribute(1, Key.Reverse().ToArray())                    // WGPEER_A_PUBLIC_KEY
        .AddAttribute(2, Password)                                   // WGPEER_A_PRESHARED_KEY
        .EndNest().EndNest()
        .ToArray();

    [Fact]
    public void AGenericFamilyTheCaptureNeverNamesKeepsItsKeys()
    {
        // No nlctrl message: id 0x25 means nothing to the decoder.
        var m = DecodeOne(WireGuardSet(0x25), NetlinkProtocol.Generic);
        Assert.Equal("genl(37)", m.Family);
        Assert.False(m.IsMalformed, m.MalformedReason);
        Assert.False(Holds(m.Bytes, Key));
        Assert.False(Holds(m.Bytes, Password));
        Assert.StartsWith("REDACTED (32 bytes", (string)m.Attributes["unknown_3"]!);
        Assert.Equal(new byte[] { 0x6c, 0xca }, m.Attributes["unknown_6"]);   // 2-byte numbers stay readable
        var peer = (NetlinkFields)((NetlinkFields)m.Attributes["unknown_8"]!)["unknown_0"]!;
        Assert.StartsWith("REDACTED", (string)peer["unknown_2"]!);
        Assert.DoesNotContain("bgp-session", m.Summary + m.Attributes);

        var revealed = DecodeOne(WireGuardSet(0x25), NetlinkProtocol.Generic, new DecodeOptions { RevealSecrets = true });
        Assert.True(Holds(revealed.Bytes, Key));
        Assert.Equal(Key, revealed.Attributes["unknown_3"]);

        // Named by nlctrl, the same message decodes with its own table (and still hides its keys).
        var named = DecodeOne(WireGuardSet(0x25), NetlinkProtocol.Generic, new DecodeOptions { GenericFamilies = new Dictionary<int, string> { [0x25] = "wireguard" } });
        Assert.Equal("REDACTED (32 bytes)", named.Attributes["private_key"]);
        Assert.Equal("wg0", named.Attributes["ifname"]);
    }

    [Fact]
    public void MacsecKeysOfAnUnnamedFamilyAreRedacted()
    {
        var data = Genl(0x26, 7) // MACSEC_CMD_ADD_RXSA
            .AddU32(1, 5)
            .BeginNest(3).AddU8(1, 0).AddAttribute(4, Key[..16]).AddAttribute(5, Key[16..]).EndNest()
            .ToArray();
        var m = DecodeOne(data, NetlinkProtocol.Generic);
        Assert.False(Holds(m.Bytes, Key[..16]));
        Assert.Equal(5u, BitConverter.ToUInt32((byte[])m.Attributes["unknown_1"]!));
    }

    [Fact]
    public void KeysInAnErrorsEchoedRequestAreRedacted()
    {
        var request = WireGuardSet(0x25);
        var error = new MessageBuilder(Nl.NLMSG_ERROR, 0, 7).AddBytes(BitConverter.GetBytes(-22)).AddBytes(request).ToArray();
        var m = DecodeOne(error, NetlinkProtocol.Generic);
        Assert.Equal("EINVAL", m.Error!.ErrorName);
        Assert.False(Holds(m.Bytes, Key));
        Assert.False(Holds(m.Bytes, Password));
        Assert.False(Holds(m.Error.Request!.Bytes, Key));
        Assert.StartsWith("REDACTED", (string)m.Error.Request.Attributes["unknown_3"]!);
    }
}
