using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// The attribute sets of generic netlink, xfrm and sock_diag against the uapi headers: every named attribute of a
/// table with a prefix must be the header's constant of that number. Constants newer than the installed headers
/// are listed here (and nowhere else may a name be missing from them).
/// </summary>
public class GenericUapiNumbersTests
{
    private static readonly string[] Headers =
    {
        "netlink.h", "genetlink.h", "net_dropmon.h", "ethtool_netlink.h", "devlink.h", "nl80211.h", "wireguard.h", "if_team.h",
        "mptcp.h", "taskstats.h", "fou.h", "tcp_metrics.h", "if_macsec.h", "xfrm.h", "inet_diag.h", "unix_diag.h",
        "netlink_diag.h", "packet_diag.h", "sock_diag.h",
    };

    /// <summary>Sent by newer kernels (this machine's 6.18 among them) but not in Debian 12's 6.1 headers.</summary>
    private static readonly HashSet<string> NewerThanHeaders = new(StringComparer.Ordinal)
    {
        "ETHTOOL_A_LINKSTATE_EXT_DOWN_CNT", "XFRMA_SA_DIR", "XFRMA_NAT_KEEPALIVE_INTERVAL", "XFRMA_SA_PCPU",
    };

    private static IEnumerable<AttributeTable> Tables()
    {
        var assembly = typeof(AttributeTable).Assembly;
        var seen = new HashSet<AttributeTable>(ReferenceEqualityComparer.Instance);
        foreach (var type in assembly.GetTypes().Where(t => t.Namespace is "NlmonPS.Protocols.Generic" or "NlmonPS.Protocols.Xfrm" or "NlmonPS.Protocols.SockDiag"))
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
                if (field.FieldType == typeof(AttributeTable) && field.GetValue(null) is AttributeTable t && t.UapiPrefix is not null && seen.Add(t))
                    yield return t;
    }

    [Fact]
    public void AttributeNumbersMatchTheHeaders()
    {
        Assert.SkipWhen(!File.Exists("/usr/bin/gcc") && !File.Exists("/usr/bin/cc"), "no C compiler");
        var checks = new List<(string Constant, int Number, string Table)>();
        foreach (var table in Tables())
            foreach (var (number, spec) in table.Entries())
                checks.Add((table.UapiPrefix + (spec.UapiName ?? spec.Name.ToUpperInvariant()), number, table.Name));
        Assert.True(checks.Count > 500);
        var dir = Directory.CreateTempSubdirectory("nlmonps-uapi");
        try
        {
            var c = new StringBuilder("#include <linux/types.h>\n");
            foreach (var h in Headers) c.Append("#include <linux/").Append(h).Append(">\n");
            int firstLine = Headers.Length + 2;
            foreach (var (constant, number, _) in checks) c.Append($"_Static_assert({constant} == {number}, \"\");\n");
            File.WriteAllText(Path.Combine(dir.FullName, "check.c"), c.ToString());
            var psi = new ProcessStartInfo("cc", "-fsyntax-only -fmax-errors=0 check.c") { WorkingDirectory = dir.FullName, RedirectStandardError = true, RedirectStandardOutput = true };
            using var cc = Process.Start(psi)!;
            var errors = cc.StandardError.ReadToEnd();
            cc.WaitForExit();
            var bad = Regex.Matches(errors, @"check\.c:(\d+):\d+: error")
                .Select(m => checks[int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - firstLine])
                .Distinct().Where(x => !NewerThanHeaders.Contains(x.Constant))
                .Select(x => $"{x.Table}: {x.Constant} is not {x.Number}").ToList();
            Assert.Empty(bad);
        }
        finally { dir.Delete(true); }
    }
}
