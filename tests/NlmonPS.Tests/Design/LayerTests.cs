using ArchUnitNET.Loader;
using NlmonPS.Decoding;
using Xunit;

namespace NlmonPS.Tests.Design;

/// <summary>
/// The layers of docs/architecture.md, checked on the compiled module: a namespace may use only the layers its row
/// names (every type, method body and lambda, as ArchUnitNET reads them from the IL).
/// </summary>
public sealed class LayerTests
{
    // A row per layer (the second part of the namespace: NlmonPS.Protocols.Route is Protocols), lowest first.
    private static readonly Dictionary<string, string[]> MayUse = new()
    {
        ["Wire"] = [],
        ["Decoding"] = ["Wire"],
        ["Protocols"] = ["Decoding", "Wire"],
        ["KernelClients"] = ["Decoding", "Wire"],
        ["Capture"] = ["KernelClients", "Decoding", "Wire"],
        ["Tracing"] = ["Decoding", "Wire"],
        ["DropMonitoring"] = ["Capture", "KernelClients", "Protocols", "Decoding", "Wire"],
        ["PortMirroring"] = ["KernelClients", "Decoding", "Wire"],
        ["Conversation"] = ["Decoding", "Wire"],
        ["Filtering"] = ["Protocols", "Decoding", "Wire"],
        ["Cmdlets"] = ["Conversation", "Filtering", "PortMirroring", "DropMonitoring", "Tracing", "Capture", "KernelClients", "Protocols", "Decoding", "Wire"],
    };

    private static string? LayerOf(string ns)
    {
        var parts = ns.Split('.');
        return parts.Length >= 2 && parts[0] == "NlmonPS" ? parts[1] : null;
    }

    [Fact]
    public void EveryNamespaceIsALayer()
    {
        var unknown = typeof(NetlinkMessage).Assembly.GetTypes()
            .Select(t => t.Namespace is { } ns ? LayerOf(ns) : null).OfType<string>().Distinct()
            .Where(l => !MayUse.ContainsKey(l)).ToList();
        Assert.True(unknown.Count == 0, $"namespaces with no row in the layer table (add them here and to docs/architecture.md): {string.Join(", ", unknown)}");
    }

    [Fact]
    public void NoLayerUsesOneAboveIt()
    {
        var architecture = new ArchLoader().LoadAssemblies(typeof(NetlinkMessage).Assembly).Build();
        var wrong = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in architecture.Types)
        {
            if (LayerOf(type.Namespace.FullName) is not { } from || !MayUse.TryGetValue(from, out var allowed)) continue;
            foreach (var dependency in type.Dependencies)
            {
                if (LayerOf(dependency.Target.Namespace.FullName) is { } to && to != from && !allowed.Contains(to))
                    wrong.Add($"{from} -> {to}: {type.FullName} uses {dependency.Target.FullName}");
            }
        }
        Assert.True(wrong.Count == 0, "dependencies against the layer table:\n" + string.Join("\n", wrong.Take(40)));
    }
}
