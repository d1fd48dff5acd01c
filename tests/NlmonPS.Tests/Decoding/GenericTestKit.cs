using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Tests.Decoding;

/// <summary>Shared by the generic netlink, drop monitor, xfrm and sock_diag decoder tests.</summary>
internal static class GenericTestKit
{
    /// <summary>A fixture recorded on this machine by tests/fixtures/native/record-*.sh.</summary>
    public static string Native(string name) => ModuleLoader.Fixture(Path.Combine("native", name));

    /// <summary>A fixture recorded through nlmon on the rig's Debian 6.1 kernel (tests/fixtures/NAME).</summary>
    public static string Rig(string name) => ModuleLoader.Fixture(name);

    /// <summary>The printed output kept beside a fixture.</summary>
    public static string Transcript(string pcap) => File.ReadAllText(Path.ChangeExtension(pcap, ".txt"));

    /// <summary>A public capture under shared/captures: next to the repository, or next to the worktrees' folder.</summary>
    public static string? Shared(string name)
    {
        if (ModuleLoader.SharedCapture(name) is { } path) return path;
        var up = Path.GetFullPath(Path.Combine(ModuleLoader.RepoRoot, "..", "..", "shared", "captures", name));
        return File.Exists(up) ? up : null;
    }

    public static List<NetlinkMessage> Decode(string path, bool reveal = false, IReadOnlyDictionary<int, string>? families = null) =>
        Fixtures.Decode(path, new DecodeOptions { RevealSecrets = reveal, GenericFamilies = families });

    /// <summary>Every field of a set, depth first, with its path ("in_port.netdev_ifindex", "tmpl[0].reqid").</summary>
    public static IEnumerable<(string Path, NetlinkField Field)> Walk(NetlinkFields fields, string prefix = "")
    {
        foreach (var f in fields)
        {
            var path = prefix.Length == 0 ? f.Name : $"{prefix}.{f.Name}";
            yield return (path, f);
            switch (f.Value)
            {
                case NetlinkFields nested:
                    foreach (var inner in Walk(nested, path)) yield return inner;
                    break;
                case NetlinkFields[] array:
                    for (int i = 0; i < array.Length; i++)
                        foreach (var inner in Walk(array[i], $"{path}[{i}]")) yield return inner;
                    break;
            }
        }
    }

    /// <summary>Whether <paramref name="needle"/> occurs anywhere in <paramref name="haystack"/>.</summary>
    public static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    /// <summary>Every value (recursively) rendered as text, hex for bytes: where a secret must not show.</summary>
    public static string AllText(NetlinkMessage m) =>
        string.Join("\n", Walk(m.Header).Concat(Walk(m.Attributes)).Select(p => p.Field.Value switch
        {
            byte[] b => Convert.ToHexString(b).ToLowerInvariant(),
            _ => NetlinkFields.Format(p.Field.Value),
        })) + "\n" + m.Summary;

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.StartsWith("0x", StringComparison.Ordinal) ? hex[2..] : hex);

    /// <summary>
    /// The coverage rule for the protocols these tests own: every message is named (no unknown type, family or
    /// command), every attribute and field is named (no "unknown_"), and nothing is malformed.
    /// </summary>
    public static List<string> CoverageProblems(IEnumerable<NetlinkMessage> messages)
    {
        var problems = new List<string>();
        foreach (var m in messages)
        {
            if (m.Protocol is not (NetlinkProtocol.Generic or NetlinkProtocol.Xfrm or NetlinkProtocol.SockDiag)) continue;
            var where = $"{m.Source} #{m.RecordNumber}.{m.Index} {m.TypeName}";
            if (m.IsMalformed) problems.Add($"{where}: malformed: {m.MalformedReason}");
            if (m.TypeName.StartsWith("unknown", StringComparison.Ordinal) || m.TypeName.StartsWith("genl(", StringComparison.Ordinal))
                problems.Add($"{where}: unknown message type");
            if (m.Protocol == NetlinkProtocol.Generic && m.Type >= Nl.NLMSG_MIN_TYPE
                && (m.Command is null || m.Command.StartsWith("unknown", StringComparison.Ordinal) || Regex.IsMatch(m.Command, "^[0-9]+$")))
                problems.Add($"{where}: unknown command {m.Command}");
            foreach (var (path, f) in Walk(m.Header).Concat(Walk(m.Attributes)))
                if (!f.IsKnown) problems.Add($"{where}: unknown attribute {path}");
        }
        return problems;
    }
}
