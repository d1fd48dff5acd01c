using System.Collections;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// Checks every attribute number of every table that carries a uapi prefix against the kernel's uapi headers:
/// the table entry [n] = "name" of a table with prefix "IFLA_" must be IFLA_NAME == n. One C program prints them all.
/// Needs gcc and the uapi headers (Debian: gcc, linux-libc-dev); without them the test fails, saying so.
/// </summary>
public class UapiConstantsTests
{
    /// <summary>
    /// Names the installed headers may lack, because they came after the headers CI has (Debian 12: linux-libc-dev 6.1)
    /// while the kernels we decode send them. A name here is still checked wherever the headers have it.
    /// Keep this short: anything else that does not compile is a wrong name, and so a number nobody checked.
    /// </summary>
    private static readonly HashSet<string> NewerThanHeaders = new(StringComparer.Ordinal)
    {
        // pkt_cls.h, pkt_sched.h, tc_act/tc_mirred.h, 6.2..6.18 (checked against upstream by the tc tables' author)
        "TCA_FLOWER_KEY_CFM", "TCA_FLOWER_KEY_CFM_MD_LEVEL", "TCA_FLOWER_KEY_CFM_OPCODE", "TCA_FLOWER_KEY_ENC_FLAGS",
        "TCA_FLOWER_KEY_ENC_FLAGS_MASK", "TCA_FLOWER_KEY_SPI", "TCA_FLOWER_KEY_SPI_MASK", "TCA_FLOWER_L2_MISS",
        "TCA_FQ_OFFLOAD_HORIZON", "TCA_FQ_PRIOMAP", "TCA_FQ_WEIGHTS", "TCA_MIRRED_BLOCKID", "TCA_NETEM_PRNG_SEED",
        // ethtool_netlink.h and xfrm.h, 6.2..6.18 (checked against upstream by the generic tables' author)
        "ETHTOOL_A_LINKSTATE_EXT_DOWN_CNT", "XFRMA_SA_DIR", "XFRMA_NAT_KEEPALIVE_INTERVAL", "XFRMA_SA_PCPU",
        // nfnetlink_conntrack.h and nf_tables.h, 6.2..6.18 (NetfilterUapiTests checks them against the kernel's numbers)
        "CTA_TIMESTAMP_EVENT", "NFTA_BITWISE_SREG2", "NFTA_DEVICE_PREFIX", "NFTA_SET_COUNT", "NFTA_SET_TYPE",
        "NFTA_TRACE_CT_DIRECTION", "NFTA_TRACE_CT_ID", "NFTA_TRACE_CT_STATE", "NFTA_TRACE_CT_STATUS",
        // if_link.h, 6.2..6.18
        "IFLA_DEVLINK_PORT", "IFLA_GSO_IPV4_MAX_SIZE", "IFLA_GRO_IPV4_MAX_SIZE", "IFLA_DPLL_PIN", "IFLA_MAX_PACING_OFFLOAD_HORIZON",
        "IFLA_NETNS_IMMUTABLE", "IFLA_HEADROOM", "IFLA_TAILROOM",
        "IFLA_BR_FDB_N_LEARNED", "IFLA_BR_FDB_MAX_LEARNED",
        "IFLA_BRPORT_MAB", "IFLA_BRPORT_MCAST_N_GROUPS", "IFLA_BRPORT_MCAST_MAX_GROUPS", "IFLA_BRPORT_NEIGH_VLAN_SUPPRESS", "IFLA_BRPORT_BACKUP_NHID",
        "IFLA_VXLAN_LOCALBYPASS", "IFLA_VXLAN_LABEL_POLICY", "IFLA_VXLAN_RESERVED_BITS", "IFLA_VXLAN_MC_ROUTE",
        "IFLA_BOND_BROADCAST_NEIGH", "IFLA_MACVLAN_BC_CUTOFF",
        // if_bridge.h, 6.3+
        "BRIDGE_VLANDB_ENTRY_MCAST_N_GROUPS", "BRIDGE_VLANDB_ENTRY_MCAST_MAX_GROUPS", "BRIDGE_VLANDB_ENTRY_NEIGH_SUPPRESS",
        // rtnetlink.h 6.15, fib_rules.h 6.14/6.15
        "RTA_FLOWLABEL", "FRA_DSCP", "FRA_FLOWLABEL", "FRA_FLOWLABEL_MASK", "FRA_SPORT_MASK", "FRA_DPORT_MASK", "FRA_DSCP_MASK",
        // nexthop.h 6.8/6.9
        "NHA_OP_FLAGS", "NHA_GROUP_STATS", "NHA_HW_STATS_ENABLE", "NHA_HW_STATS_USED", "NHA_GROUP_STATS_ENTRY",
        "NHA_GROUP_STATS_ENTRY_ID", "NHA_GROUP_STATS_ENTRY_PACKETS", "NHA_GROUP_STATS_ENTRY_PACKETS_HW",
    };

    /// <summary>Headers that define attribute constants, each included only where present (__has_include).</summary>
    private static readonly string[] Headers =
    {
        "linux/netlink.h", "linux/rtnetlink.h", "linux/if_link.h", "linux/if_addr.h", "linux/neighbour.h", "linux/fib_rules.h",
        "linux/nexthop.h", "linux/if_bridge.h", "linux/netconf.h", "linux/net_namespace.h", "linux/lwtunnel.h", "linux/mpls_iptunnel.h",
        "linux/mpls.h", "linux/seg6_iptunnel.h", "linux/seg6_local.h", "linux/rpl_iptunnel.h", "linux/ioam6_iptunnel.h", "linux/ila.h",
        "linux/if_tunnel.h", "linux/veth.h", "linux/if_vlan.h", "linux/if_bonding.h", "linux/if_addrlabel.h", "linux/if_macsec.h",
        "linux/pkt_sched.h", "linux/pkt_cls.h",
        "linux/tc_act/tc_bpf.h", "linux/tc_act/tc_connmark.h", "linux/tc_act/tc_csum.h", "linux/tc_act/tc_ct.h", "linux/tc_act/tc_ctinfo.h",
        "linux/tc_act/tc_defact.h", "linux/tc_act/tc_gact.h", "linux/tc_act/tc_gate.h", "linux/tc_act/tc_ife.h", "linux/tc_act/tc_ipt.h",
        "linux/tc_act/tc_mirred.h", "linux/tc_act/tc_mpls.h", "linux/tc_act/tc_nat.h", "linux/tc_act/tc_pedit.h", "linux/tc_act/tc_sample.h",
        "linux/tc_act/tc_skbedit.h", "linux/tc_act/tc_skbmod.h", "linux/tc_act/tc_tunnel_key.h", "linux/tc_act/tc_vlan.h",
        "linux/tc_ematch/tc_em_meta.h", "linux/gen_stats.h",
        "linux/genetlink.h", "linux/net_dropmon.h", "linux/xfrm.h", "linux/inet_diag.h", "linux/sock_diag.h", "linux/unix_diag.h",
        "linux/netlink_diag.h", "linux/packet_diag.h", "linux/smc_diag.h", "linux/vm_sockets_diag.h",
        "linux/netfilter/nfnetlink.h", "linux/netfilter/nfnetlink_conntrack.h", "linux/netfilter/nfnetlink_log.h",
        "linux/netfilter/nfnetlink_queue.h", "linux/netfilter/nfnetlink_acct.h", "linux/netfilter/nfnetlink_cthelper.h",
        "linux/netfilter/nfnetlink_cttimeout.h", "linux/netfilter/nfnetlink_osf.h", "linux/netfilter/nfnetlink_hook.h",
        "linux/netfilter/nfnetlink_compat.h", "linux/netfilter/nf_tables.h", "linux/netfilter/nf_tables_compat.h", "linux/netfilter/nf_conntrack_common.h",
        "linux/netfilter/ipset/ip_set.h", "linux/ethtool_netlink.h", "linux/devlink.h", "linux/nl80211.h", "linux/wireguard.h",
        "linux/if_team.h", "linux/taskstats.h", "linux/cgroupstats.h", "linux/thermal.h", "linux/psample.h",
        "linux/tcp_metrics.h", "linux/l2tp.h", "linux/fou.h", "linux/seg6_genl.h", "linux/ioam6_genl.h", "linux/mpls_iptunnel.h",
        "linux/nfc.h", "linux/batman_adv.h", "linux/openvswitch.h", "linux/handshake.h", "linux/netdev.h", "linux/dpll.h", "linux/ovpn.h",
        "linux/cryptouser.h", "linux/audit.h", "linux/connector.h", "linux/cn_proc.h", "linux/ipv6.h", "linux/if_arp.h",
    };

    [Fact]
    public void EveryPrefixedTableMatchesTheUapiHeaders()
    {
        var tables = PrefixedTables(typeof(AttributeTable).Assembly).ToList();
        Assert.NotEmpty(tables);
        var expected = new Dictionary<string, (long Value, string Where)>(StringComparer.Ordinal);
        var conflicts = new List<string>();
        foreach (var table in tables)
            foreach (var (type, spec) in table.Entries())
            {
                var constant = table.UapiPrefix + (spec.UapiName ?? spec.Name.ToUpperInvariant());
                // linux/mptcp.h drags in linux/in.h, which clashes with the libc headers here; GenericUapiNumbersTests
                // checks the MPTCP tables in a compilation of their own.
                if (constant.StartsWith("MPTCP_", StringComparison.Ordinal)) continue;
                if (expected.TryGetValue(constant, out var seen) && seen.Value != type)
                    conflicts.Add($"{constant}: table {table.Name} says {type}, table {seen.Where} says {seen.Value}");
                expected[constant] = (type, table.Name);
            }
        Assert.True(conflicts.Count == 0, string.Join("\n", conflicts));

        var (values, missing) = Evaluate(expected.Keys);
        var problems = new List<string>();
        foreach (var (constant, (value, where)) in expected.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (values.TryGetValue(constant, out var actual))
            {
                if (actual != value) problems.Add($"{constant} is {actual} in the headers, {value} in table {where}");
            }
            else if (!NewerThanHeaders.Contains(constant))
                problems.Add($"{constant} (table {where}) is not in the headers: a wrong name, or add it to NewerThanHeaders if it is newer than them");
        }
        Assert.True(problems.Count == 0, $"{problems.Count} of {expected.Count} constants wrong:\n" + string.Join("\n", problems));
        Assert.True(values.Count > expected.Count / 2, $"only {values.Count} of {expected.Count} constants found: are the headers complete?");
        Assert.DoesNotContain(missing, m => !expected.ContainsKey(m));
    }

    [Fact]
    public void AWrongNumberIsCaught()
    {
        var (values, missing) = Evaluate(new[] { "IFLA_IFNAME", "IFLA_NO_SUCH_THING" });
        Assert.Equal(3, values["IFLA_IFNAME"]);
        Assert.Contains("IFLA_NO_SUCH_THING", missing);
    }

    /// <summary>Every table with a uapi prefix reachable from the assembly's public static fields and properties,
    /// following nested, per-kind and request tables.</summary>
    internal static IEnumerable<AttributeTable> PrefixedTables(Assembly assembly)
    {
        var seen = new HashSet<AttributeTable>(ReferenceEqualityComparer.Instance);
        var queue = new Queue<AttributeTable>();
        void Visit(object? value)
        {
            switch (value)
            {
                case AttributeTable t: if (seen.Add(t)) queue.Enqueue(t); break;
                case IDictionary d: foreach (var v in d.Values) Visit(v); break;
            }
        }
        foreach (var type in assembly.GetTypes())
        {
            foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.Static))
                if (typeof(AttributeTable).IsAssignableFrom(f.FieldType) || typeof(IDictionary).IsAssignableFrom(f.FieldType)) Visit(f.GetValue(null));
            foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Static))
                if (p.GetIndexParameters().Length == 0 && typeof(AttributeTable).IsAssignableFrom(p.PropertyType)) Visit(p.GetValue(null));
        }
        while (queue.Count > 0)
        {
            var table = queue.Dequeue();
            Visit(table.Requests);
            Visit(table.GetRequests);
            foreach (var (_, spec) in table.Entries())
            {
                Visit(spec.Nested);
                if (spec.NestedByKind is not null) foreach (var t in spec.NestedByKind.Values) Visit(t);
            }
        }
        return seen.Where(t => t.UapiPrefix is not null);
    }

    /// <summary>Compiles and runs one C program printing each constant; names the headers lack are found from the
    /// compiler's errors and left out of a second compile.</summary>
    private static (Dictionary<string, long> Values, HashSet<string> Missing) Evaluate(IEnumerable<string> constants)
    {
        Assert.True(File.Exists("/usr/include/linux/rtnetlink.h"), "the uapi headers are missing: install linux-libc-dev (Debian) or your distribution's kernel headers package");
        var names = constants.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var missing = new HashSet<string>(StringComparer.Ordinal);
        var dir = Directory.CreateTempSubdirectory("nlmonps-uapi-");
        try
        {
            for (int attempt = 0; attempt < 4; attempt++)
            {
                var source = Path.Combine(dir.FullName, "uapi.c");
                var exe = Path.Combine(dir.FullName, "uapi");
                File.WriteAllText(source, Program(names.Where(n => !missing.Contains(n))));
                var (code, _, errors) = Run("gcc", $"-w -o {exe} {source}");
                if (code != 0)
                {
                    var undeclared = Regex.Matches(errors, @"'(\w+)' undeclared").Select(m => m.Groups[1].Value).ToList();
                    Assert.True(undeclared.Count > 0, "gcc failed for another reason than unknown names:\n" + errors[..Math.Min(errors.Length, 4000)]);
                    missing.UnionWith(undeclared);
                    continue;
                }
                var (runCode, output, runErrors) = Run(exe, "");
                Assert.True(runCode == 0, runErrors);
                var values = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var parts = line.Split(' ');
                    values[parts[0]] = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                }
                return (values, missing);
            }
            throw new InvalidOperationException("gcc kept failing on unknown names");
        }
        finally { dir.Delete(true); }
    }

    private static string Program(IEnumerable<string> names)
    {
        var sb = new StringBuilder("#include <stdio.h>\n#include <sys/socket.h>\n#include <linux/types.h>\n");
        foreach (var h in Headers) sb.Append("#if __has_include(<").Append(h).Append(">)\n#include <").Append(h).Append(">\n#endif\n");
        sb.Append("int main(void) {\n");
        foreach (var n in names) sb.Append("  printf(\"%s %lld\\n\", \"").Append(n).Append("\", (long long)(").Append(n).Append("));\n");
        return sb.Append("  return 0;\n}\n").ToString();
    }

    private static (int Code, string Output, string Errors) Run(string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["LC_ALL"] = "C"; // plain quotes in gcc's messages
        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"cannot run {file} ({e.Message}): install gcc to check the tables against the uapi headers");
            throw;
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output.Result, errors);
        }
    }
}
