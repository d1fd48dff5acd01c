using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using NlmonPS.KernelClients;
using Xunit;

namespace NlmonPS.Tests.Mirror;

/// <summary>Every uapi-named constant of the rtnetlink/tc clients against /usr/include/linux.</summary>
public partial class UapiConstantTests
{
    private static readonly string[] Headers =
    {
        "linux/rtnetlink.h", "linux/pkt_sched.h", "linux/pkt_cls.h", "linux/tc_act/tc_mirred.h", "linux/gen_stats.h",
        "linux/if_link.h", "linux/if_ether.h",
    };

    /// <summary>Newer than the distribution's headers (kernel 6.12); checked by value in the comment instead.</summary>
    private static readonly HashSet<string> NewerThanHeaders = new() { "TCA_MIRRED_BLOCKID" };

    [Fact]
    public void ConstantsMatchTheKernelHeaders()
    {
        Assert.SkipUnless(File.Exists("/usr/include/linux/pkt_cls.h"), "kernel headers (linux-libc-dev) not installed");
        var values = new Dictionary<string, string>();
        foreach (var h in Headers) Parse(File.ReadAllText(Path.Combine("/usr/include", h)), values);
        int checkedCount = 0;
        foreach (var type in new[] { typeof(Rtm), typeof(Tc) })
        {
            foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && UapiName().IsMatch(f.Name)))
            {
                var ours = Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture);
                if (!values.ContainsKey(f.Name))
                {
                    Assert.True(NewerThanHeaders.Contains(f.Name), $"{f.Name} is not in the headers");
                    continue;
                }
                var theirs = Resolve(f.Name, values, 0);
                // Compare as the 32-bit patterns the kernel uses (TC_H_CLSACT is 0xFFFFFFF1U, TC_ACT_UNSPEC is -1).
                Assert.True((uint)ours == (uint)theirs, $"{type.Name}.{f.Name} = {ours}, the headers say {theirs}");
                checkedCount++;
            }
        }
        Assert.True(checkedCount > 40, $"only {checkedCount} constants checked");
    }

    private static long Resolve(string name, Dictionary<string, string> values, int depth)
    {
        Assert.True(depth < 10, $"{name}: definition loop");
        var text = values[name].Trim();
        while (text.StartsWith('(') && text.EndsWith(')')) text = text[1..^1].Trim();
        text = UnsignedSuffix().Replace(text, "$1");
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) return long.Parse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return n;
        if (values.ContainsKey(text)) return Resolve(text, values, depth + 1);
        throw new InvalidOperationException($"{name}: cannot read '{values[name]}'");
    }

    /// <summary>#define NAME value, and enum members (implicit values counted, preprocessor lines skipped).</summary>
    private static void Parse(string header, Dictionary<string, string> into)
    {
        header = Comments().Replace(header, " ");
        foreach (Match m in Define().Matches(header)) into.TryAdd(m.Groups[1].Value, m.Groups[2].Value.Trim());
        foreach (Match e in EnumBody().Matches(header))
        {
            long next = 0;
            var body = string.Join("\n", e.Groups[1].Value.Split('\n').Where(l => !l.TrimStart().StartsWith('#')));
            foreach (var item in body.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = item.Split('=', 2, StringSplitOptions.TrimEntries);
                if (!UapiName().IsMatch(parts[0])) continue;
                if (parts.Length == 2)
                {
                    var tmp = new Dictionary<string, string>(into) { [parts[0]] = parts[1] };
                    try { next = Resolve(parts[0], tmp, 0); } catch (InvalidOperationException) { continue; } catch (KeyNotFoundException) { continue; }
                }
                into[parts[0]] = next.ToString(CultureInfo.InvariantCulture);
                next++;
            }
        }
    }

    [GeneratedRegex(@"^[A-Z][A-Z0-9_]*_[A-Z0-9_]+$")]
    private static partial Regex UapiName();

    [GeneratedRegex(@"/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(@"^\s*#define\s+([A-Z][A-Z0-9_]*)[ \t]+([^\n]+)$", RegexOptions.Multiline)]
    private static partial Regex Define();

    [GeneratedRegex(@"enum\s*[A-Za-z0-9_]*\s*\{([^}]*)\}", RegexOptions.Singleline)]
    private static partial Regex EnumBody();

    [GeneratedRegex(@"\b(0x[0-9A-Fa-f]+|\d+)U?L*\b")]
    private static partial Regex UnsignedSuffix();
}
