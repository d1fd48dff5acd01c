using System.Reflection;
using System.Text;
using NlmonPS.Decoding;
using NlmonPS.Protocols.Generic;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// docs/decoders.md lists what is decoded, family by family, generated from the tables themselves; this test
/// fails when the page and the tables disagree. Regenerate with NLMONPS_UPDATE_DOCS=1.
/// </summary>
public class DecoderCatalogTests
{
    private static string PagePath => Path.Combine(ModuleLoader.RepoRoot, "docs", "decoders.md");

    [Fact]
    public void DocsPageMatchesTheTables()
    {
        var page = Render();
        if (Environment.GetEnvironmentVariable("NLMONPS_UPDATE_DOCS") == "1") File.WriteAllText(PagePath, page);
        Assert.True(File.Exists(PagePath), "docs/decoders.md exists (NLMONPS_UPDATE_DOCS=1 writes it)");
        Assert.True(File.ReadAllText(PagePath) == page,
            "docs/decoders.md is out of date with the decoder tables: regenerate it with NLMONPS_UPDATE_DOCS=1 " +
            "tests/NlmonPS.Tests/bin/Debug/net10.0/NlmonPS.Tests -class NlmonPS.Tests.Decoding.DecoderCatalogTests");
    }

    public static string Render()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# What NlmonPS decodes");
        sb.AppendLine();
        sb.AppendLine("Generated from the decoder tables in `src/NlmonPS/Protocols/` (a test keeps this page and the tables in step;");
        sb.AppendLine("regenerate with `NLMONPS_UPDATE_DOCS=1` and the `DecoderCatalogTests` class). Anything not listed still decodes:");
        sb.AppendLine("unknown message types keep their numbers, unknown attributes are shown as `unknown_<n>` with their bytes, and the bytes");
        sb.AppendLine("of a struct longer than its known fields (a newer kernel's) as `unknown_tail`.");
        sb.AppendLine();
        sb.AppendLine("## Message types by protocol");
        foreach (var schema in Schemas.All.OrderBy(s => (int)s.Protocol))
        {
            var types = schema.KnownTypes.OrderBy(t => t.Type).ToList();
            sb.AppendLine();
            sb.AppendLine($"### {schema.Protocol} ({(int)schema.Protocol}): {types.Count} message types");
            sb.AppendLine();
            sb.AppendLine(types.Count == 0 ? "Header fields and raw payload only." : string.Join(", ", types.Select(t => $"{t.Name} ({t.Type})")));
        }
        sb.AppendLine();
        sb.AppendLine("## Generic netlink families");
        sb.AppendLine();
        sb.AppendLine("Family ids are learned from nlctrl in the stream, from the running kernel for live sources, or from `-GenericFamily`.");
        foreach (var family in GenericSchema.Instance.Families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            sb.AppendLine();
            sb.AppendLine($"### {family.Name}: {family.Commands.Count} commands");
            sb.AppendLine();
            sb.AppendLine(string.Join(", ", family.Commands.OrderBy(c => c.Key).Select(c => c.Value)));
        }
        sb.AppendLine();
        sb.AppendLine("## Attribute sets");
        sb.AppendLine();
        sb.AppendLine("| set | uapi prefix | attributes |");
        sb.AppendLine("|---|---|---|");
        foreach (var table in AllTables().OrderBy(t => t.Name, StringComparer.Ordinal).ThenBy(t => t.UapiPrefix, StringComparer.Ordinal))
        {
            var entries = table.Entries().ToList();
            if (entries.Count == 0) continue;
            sb.AppendLine($"| {table.Name} | {table.UapiPrefix ?? ""} | {string.Join(", ", entries.Select(e => e.Spec.Name))} |");
        }
        return sb.ToString();
    }

    /// <summary>Every distinct attribute table reachable from the public static members of the module.</summary>
    private static IEnumerable<AttributeTable> AllTables()
    {
        var seen = new HashSet<AttributeTable>(ReferenceEqualityComparer.Instance);
        // Only the decoder tables: other statics (kernel clients, tracing) are none of this page's business.
        foreach (var type in typeof(AttributeTable).Assembly.GetTypes().Where(t =>
            t.Namespace is { } ns && (ns.StartsWith("NlmonPS.Protocols", StringComparison.Ordinal) || ns == "NlmonPS.Decoding")))
        {
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            {
                object? value = member switch
                {
                    FieldInfo f when !f.FieldType.ContainsGenericParameters && !type.ContainsGenericParameters => SafeGet(() => f.GetValue(null)),
                    PropertyInfo p when p.GetIndexParameters().Length == 0 && !type.ContainsGenericParameters => SafeGet(() => p.GetValue(null)),
                    _ => null,
                };
                foreach (var t in Tables(value)) Walk(t, seen);
            }
        }
        return seen;
    }

    private static object? SafeGet(Func<object?> get)
    {
        try { return get(); }
        catch (Exception ex) when (ex is TargetInvocationException or InvalidOperationException or NotSupportedException) { return null; }
    }

    private static IEnumerable<AttributeTable> Tables(object? value) => value switch
    {
        AttributeTable t => new[] { t },
        IDictionary<string, AttributeTable> d => d.Values,
        GenericFamily f => new[] { f.Attributes }.Concat(f.AttributesByCommand.Values),
        IEnumerable<GenericFamily> fs => fs.SelectMany(f => new[] { f.Attributes }.Concat(f.AttributesByCommand.Values)),
        _ => Array.Empty<AttributeTable>(),
    };

    private static void Walk(AttributeTable table, HashSet<AttributeTable> seen)
    {
        if (!seen.Add(table)) return;
        foreach (var (_, spec) in table.Entries())
        {
            if (spec.Nested is not null) Walk(spec.Nested, seen);
            if (spec.NestedByKind is not null) foreach (var t in spec.NestedByKind.Values) Walk(t, seen);
        }
    }
}
