using System.Diagnostics;
using System.Reflection;
using System.Text;
using NlmonPS.Decoding;
using NlmonPS.Protocols.Netfilter;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Every attribute number and message number of the netfilter tables against the uapi headers: a C file of
/// _Static_asserts compiled with gcc. Constants newer than the installed headers (Debian 12 ships 6.1's) are
/// checked against the numbers of the kernel that added them instead.
/// </summary>
public class NetfilterUapiTests
{
    private static readonly string[] Headers =
    {
        "linux/netfilter/nfnetlink.h", "linux/netfilter/nfnetlink_conntrack.h", "linux/netfilter/nfnetlink_cttimeout.h",
        "linux/netfilter/nfnetlink_cthelper.h", "linux/netfilter/nf_tables.h", "linux/netfilter/nf_tables_compat.h",
        "linux/netfilter/nfnetlink_queue.h", "linux/netfilter/nfnetlink_log.h", "linux/netfilter/nfnetlink_acct.h",
        "linux/netfilter/nfnetlink_osf.h", "linux/netfilter/nfnetlink_hook.h", "linux/netfilter/ipset/ip_set.h",
    };

    /// <summary>Newer than Linux 6.1's headers: the numbers from the kernel's nf_tables.h / nfnetlink_conntrack.h.</summary>
    private static readonly Dictionary<string, int> Newer = new()
    {
        ["CTA_TIMESTAMP_EVENT"] = 27, ["NFTA_SET_TYPE"] = 19, ["NFTA_SET_COUNT"] = 20, ["NFTA_DEVICE_PREFIX"] = 2,
        ["NFTA_BITWISE_SREG2"] = 8, ["NFTA_TRACE_CT_ID"] = 18, ["NFTA_TRACE_CT_DIRECTION"] = 19, ["NFTA_TRACE_CT_STATUS"] = 20,
        ["NFTA_TRACE_CT_STATE"] = 21, ["NFT_MSG_GETRULE_RESET"] = 25, ["NFT_MSG_DESTROYTABLE"] = 26, ["NFT_MSG_DESTROYCHAIN"] = 27,
        ["NFT_MSG_DESTROYRULE"] = 28, ["NFT_MSG_DESTROYSET"] = 29, ["NFT_MSG_DESTROYSETELEM"] = 30, ["NFT_MSG_DESTROYOBJ"] = 31,
        ["NFT_MSG_DESTROYFLOWTABLE"] = 32, ["NFT_MSG_GETSETELEM_RESET"] = 33,
    };

    /// <summary>Every (constant, number) the netfilter tables claim: attribute sets by prefix, and the message enums.</summary>
    public static List<(string Constant, long Value)> Constants()
    {
        var types = typeof(NetfilterSchema).Assembly.GetTypes().Where(t => t.Namespace == typeof(NetfilterSchema).Namespace);
        var tables = new HashSet<AttributeTable>(ReferenceEqualityComparer.Instance);
        var enums = new List<EnumTable>();
        foreach (var field in types.SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static)))
        {
            switch (field.GetValue(null))
            {
                case AttributeTable table: tables.Add(table); break;
                case IReadOnlyDictionary<string, AttributeTable> byName: foreach (var t in byName.Values) tables.Add(t); break;
                case IReadOnlyDictionary<ulong, AttributeTable> byNumber: foreach (var t in byNumber.Values) tables.Add(t); break;
                case EnumTable e when e.Values.Any(v => v.Contains("_MSG_", StringComparison.Ordinal) || v.StartsWith("IPSET_CMD_", StringComparison.Ordinal)
                    || v.StartsWith("IPSET_ERR_", StringComparison.Ordinal)): enums.Add(e); break;
            }
        }
        var constants = new List<(string, long)>();
        foreach (var t in tables.Where(t => t.UapiPrefix is not null))
            foreach (var (type, spec) in t.Entries())
                constants.Add((t.UapiPrefix + (spec.UapiName ?? spec.Name.ToUpperInvariant()), type));
        foreach (var e in enums)
            foreach (var (value, name) in e)
                constants.Add((name, (long)value));
        return constants.Distinct().ToList();
    }

    [Fact]
    public void NumbersMatchTheHeaders()
    {
        Assert.SkipUnless(File.Exists("/usr/bin/gcc") && File.Exists("/usr/include/linux/netfilter/nf_tables.h"), "needs gcc and the uapi headers");
        var constants = Constants();
        Assert.True(constants.Count > 400, $"only {constants.Count} constants found");
        var source = new StringBuilder();
        foreach (var h in Headers) source.Append("#include <").Append(h).Append(">\n");
        foreach (var (constant, value) in constants)
        {
            if (Newer.TryGetValue(constant, out var expected))
            {
                Assert.True(expected == value, $"{constant} is {expected} in the kernel, the table says {value}");
                continue;
            }
            source.Append($"_Static_assert({constant} == {value}, \"{constant} is not {value}\");\n");
        }
        var file = Path.Combine(Path.GetTempPath(), $"nlmonps-nf-uapi-{Environment.ProcessId}.c");
        File.WriteAllText(file, source.ToString());
        try
        {
            using var gcc = Process.Start(new ProcessStartInfo("gcc", $"-fsyntax-only -x c {file}") { RedirectStandardError = true })!;
            var errors = gcc.StandardError.ReadToEnd();
            gcc.WaitForExit();
            Assert.True(gcc.ExitCode == 0, errors);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
