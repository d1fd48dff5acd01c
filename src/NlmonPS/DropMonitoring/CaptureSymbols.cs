using System.Globalization;

namespace NlmonPS.DropMonitoring;

/// <summary>
/// The functions a saved capture names itself. A file has no kallsyms of the kernel that dropped, but each packet
/// alert carries its address and the kernel's %pS ("__udp4_lib_rcv+0x9a2/0xc30"): the function's start and size. A
/// bare address in that range (a summary alert's) is named by it. Only what was read before is known.
/// </summary>
internal sealed class CaptureSymbols
{
    // A capture names a handful of drop sites; a hostile one cannot make this grow past the bound, nor claim every
    // address with one huge function (the kernel's largest are tens of kilobytes).
    private const int MaxFunctions = 4096;
    private const ulong MaxFunctionSize = 1 << 20;
    private readonly List<KernelSymbol> _functions = new();

    /// <summary>Keeps the function a packet alert's %pS names at its address (nothing when the text is no %pS).</summary>
    public void Learn(ulong pc, string? location)
    {
        if (location is null || _functions.Count >= MaxFunctions || Parse(location) is not var (name, offset, size, module)) return;
        if (offset > pc || size == 0 || offset >= size || size > MaxFunctionSize) return;
        ulong start = pc - offset;
        foreach (var f in _functions) if (f.Address == start && f.Name == name) return;
        _functions.Add(new KernelSymbol(name, start, 0, size, module));
    }

    /// <summary>The function containing <paramref name="pc"/> among those learned, or null.</summary>
    public KernelSymbol? Resolve(ulong pc)
    {
        foreach (var f in _functions)
            if (pc >= f.Address && pc - f.Address < f.Size) return f with { Offset = pc - f.Address };
        return null;
    }

    /// <summary>"name+0xOFF/0xSIZE" with an optional " [module]".</summary>
    internal static (string Name, ulong Offset, ulong Size, string? Module)? Parse(string location)
    {
        var text = location.AsSpan().Trim();
        string? module = null;
        if (text.EndsWith("]") && text.LastIndexOf(" [") is var open and > 0)
        {
            module = text[(open + 2)..^1].ToString();
            text = text[..open];
        }
        int plus = text.LastIndexOf("+0x"), slash = text.LastIndexOf("/0x");
        if (plus <= 0 || slash < plus) return null;
        if (!ulong.TryParse(text[(plus + 3)..slash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var offset)
            || !ulong.TryParse(text[(slash + 3)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size))
            return null;
        return (text[..plus].ToString(), offset, size, module);
    }
}
