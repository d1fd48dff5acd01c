using System.Text;

namespace NlmonPS.DropMonitoring;

/// <summary>A kernel address resolved to its function: name, offset, size and module, as %pS prints it.</summary>
internal sealed record KernelSymbol(string Name, ulong Address, ulong Offset, ulong Size, string? Module)
{
    /// <summary>"__udp4_lib_rcv+0x9a2/0xc30", with " [module]" for module code: the kernel's %pS format.</summary>
    public string Location => $"{Name}+0x{Offset:x}/0x{Size:x}{(Module is null ? "" : $" [{Module}]")}";

    public override string ToString() => Location;
}

/// <summary>
/// /proc/kallsyms, read once and kept (it is large: ~100k lines). Resolves program counters of drop locations
/// to functions. When kptr_restrict hides the addresses (all zeros) nothing resolves, and <see cref="Unavailable"/>
/// says why.
/// </summary>
internal sealed class KernelSymbols
{
    private static readonly object Gate = new();
    private static KernelSymbols? _shared;
    private static long _sharedLoadedAt;

    private readonly ulong[] _addresses;
    private readonly string[] _names;
    private readonly string?[] _modules;

    private KernelSymbols(ulong[] addresses, string[] names, string?[] modules, string? unavailable)
    {
        _addresses = addresses; _names = names; _modules = modules; Unavailable = unavailable;
    }

    /// <summary>Why addresses cannot be resolved (unreadable file, kptr_restrict), or null when they can.</summary>
    public string? Unavailable { get; }
    public int Count => _addresses.Length;

    /// <summary>
    /// The process-wide table from /proc/kallsyms, loaded on first use. <paramref name="reloadIfOlderThan"/>
    /// reloads a table loaded before that (modules loaded since then have new symbols).
    /// </summary>
    public static KernelSymbols Shared(TimeSpan? reloadIfOlderThan = null)
    {
        lock (Gate)
        {
            if (_shared is null || (reloadIfOlderThan is { } age && Environment.TickCount64 - _sharedLoadedAt > age.TotalMilliseconds))
            {
                _shared = Load("/proc/kallsyms");
                _sharedLoadedAt = Environment.TickCount64;
            }
            return _shared;
        }
    }

    public static KernelSymbols Load(string path)
    {
        byte[] text;
        try
        {
            text = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new KernelSymbols(Array.Empty<ulong>(), Array.Empty<string>(), Array.Empty<string?>(), $"cannot read {path}: {e.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses kallsyms text ("ffffffff81000000 T _stext", module symbols end in "\t[module]"). Only text symbols are kept.</summary>
    public static KernelSymbols Parse(ReadOnlySpan<byte> text, string source = "/proc/kallsyms")
    {
        var addresses = new List<ulong>(1 << 16);
        var names = new List<string>(1 << 16);
        var modules = new List<string?>(1 << 16);
        var moduleNames = new Dictionary<string, string>(StringComparer.Ordinal);
        bool anyNonZero = false;
        int lines = 0;
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            var line = end < 0 ? text : text[..end];
            text = end < 0 ? ReadOnlySpan<byte>.Empty : text[(end + 1)..];
            lines++;
            int space = line.IndexOf((byte)' ');
            if (space <= 0 || line.Length < space + 4 || line[space + 2] != (byte)' ') continue;
            byte kind = line[space + 1];
            if (kind is not ((byte)'t' or (byte)'T')) continue;
            if (!TryParseHex(line[..space], out var address)) continue;
            var rest = line[(space + 3)..];
            string? module = null;
            int tab = rest.IndexOf((byte)'\t');
            if (tab >= 0)
            {
                var m = rest[(tab + 1)..].Trim((byte)' ');
                if (m.Length >= 2 && m[0] == (byte)'[' && m[^1] == (byte)']')
                {
                    var key = Encoding.ASCII.GetString(m[1..^1]);
                    if (!moduleNames.TryGetValue(key, out module)) moduleNames[key] = module = key;
                }
                rest = rest[..tab];
            }
            if (address != 0) anyNonZero = true;
            addresses.Add(address);
            names.Add(Encoding.ASCII.GetString(rest));
            modules.Add(module);
        }
        if (addresses.Count == 0)
            return new KernelSymbols(Array.Empty<ulong>(), Array.Empty<string>(), Array.Empty<string?>(), $"{source} has no text symbols ({lines} lines)");
        if (!anyNonZero)
            return new KernelSymbols(Array.Empty<ulong>(), Array.Empty<string>(), Array.Empty<string?>(),
                $"{source} shows every address as 0 (kernel.kptr_restrict hides them from this user; root sees them when kptr_restrict is 0 or 1)");
        var a = addresses.ToArray();
        var order = Enumerable.Range(0, a.Length).ToArray();
        Array.Sort(a, order);
        var n = new string[order.Length];
        var mod = new string?[order.Length];
        for (int i = 0; i < order.Length; i++) { n[i] = names[order[i]]; mod[i] = modules[order[i]]; }
        return new KernelSymbols(a, n, mod, null);
    }

    private static bool TryParseHex(ReadOnlySpan<byte> digits, out ulong value)
    {
        value = 0;
        if (digits.Length is 0 or > 16) return false;
        foreach (var c in digits)
        {
            int d = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                _ => -1,
            };
            if (d < 0) return false;
            value = (value << 4) | (uint)d;
        }
        return true;
    }

    /// <summary>The function containing <paramref name="pc"/>, or null (no table, or before the first symbol).</summary>
    public KernelSymbol? Resolve(ulong pc)
    {
        if (_addresses.Length == 0 || pc < _addresses[0]) return null;
        int i = Array.BinarySearch(_addresses, pc);
        if (i < 0) i = ~i - 1;
        // Several symbols can share an address: take the first of them (kallsyms order).
        while (i > 0 && _addresses[i - 1] == _addresses[i]) i--;
        ulong start = _addresses[i];
        int next = i + 1;
        while (next < _addresses.Length && _addresses[next] == start) next++;
        // Past the last symbol of the core kernel or of a module there is no end to measure: size unknown (0).
        ulong size = next < _addresses.Length && _modules[next] == _modules[i] ? _addresses[next] - start : 0;
        if (size != 0 && pc - start >= size) return null;
        return new KernelSymbol(_names[i], start, pc - start, size, _modules[i]);
    }

    /// <summary>The address of a function by name, or null.</summary>
    public ulong? AddressOf(string name)
    {
        for (int i = 0; i < _names.Length; i++) if (_names[i] == name) return _addresses[i];
        return null;
    }
}
