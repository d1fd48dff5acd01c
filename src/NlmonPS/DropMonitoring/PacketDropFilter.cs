using System.Management.Automation;
using NlmonPS.KernelClients;

namespace NlmonPS.DropMonitoring;

/// <summary>
/// The user-space filters of Get-PacketDrop, for what the kernel cannot filter: device (by name, wildcards),
/// drop location (function or full location, wildcards), drop reason (wildcards), protocol (EtherType by name
/// or number, or the transport: TCP, UDP, ICMP...).
/// </summary>
internal sealed class PacketDropFilter
{
    private static readonly string[] Transports = { "TCP", "UDP", "ICMP", "ICMPv6", "IGMP", "GRE", "SCTP", "ARP" };

    /// <summary>The transports -Protocol accepts by name (completion offers them).</summary>
    public static IReadOnlyList<string> TransportNames => Transports;

    private readonly WildcardPattern[]? _interfaces;
    private readonly WildcardPattern[]? _symbols;
    private readonly WildcardPattern[]? _reasons;
    private readonly HashSet<ushort>? _etherTypes;
    private readonly HashSet<string>? _transports;

    public PacketDropFilter(string[]? interfaceName = null, string[]? symbol = null, string[]? reason = null, string[]? protocol = null)
    {
        // Device names are case-sensitive on Linux; symbols too; reasons are upper-case words: match them in any case.
        _interfaces = Patterns(interfaceName, WildcardOptions.None);
        _symbols = Patterns(symbol, WildcardOptions.None);
        _reasons = Patterns(reason, WildcardOptions.IgnoreCase);
        if (protocol is { Length: > 0 })
        {
            foreach (var p in protocol)
            {
                if (Transports.FirstOrDefault(t => string.Equals(t, p.Trim(), StringComparison.OrdinalIgnoreCase)) is { } t)
                    (_transports ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(t);
                else if (EtherTypeNames.TryParse(p, out var etherType))
                    (_etherTypes ??= new HashSet<ushort>()).Add(etherType);
                else
                    throw new DropMonitorException(DropMonitorErrorKind.NotFound,
                        $"Unknown protocol '{p}': give an EtherType by name ({string.Join(", ", EtherTypeNames.KnownNames.Take(8))}...) or number (0x0800), or a transport ({string.Join(", ", Transports)}).")
                    { Target = p };
            }
        }
    }

    public bool FiltersPacketFields => _interfaces is not null || _reasons is not null || _etherTypes is not null || _transports is not null;
    public bool IsEmpty => !FiltersPacketFields && _symbols is null;

    private static WildcardPattern[]? Patterns(string[]? values, WildcardOptions options) =>
        values is { Length: > 0 } ? values.Select(v => WildcardPattern.Get(v, options)).ToArray() : null;

    private static bool Any(WildcardPattern[] patterns, string? value) => value is not null && patterns.Any(p => p.IsMatch(value));

    public bool Matches(PacketDrop d)
    {
        if (_interfaces is not null && !Any(_interfaces, d.InterfaceName)) return false;
        if (_symbols is not null && !Any(_symbols, d.Symbol) && !Any(_symbols, d.Location)) return false;
        if (_reasons is not null && !Any(_reasons, d.Reason)) return false;
        if (_etherTypes is not null || _transports is not null)
        {
            bool byEther = _etherTypes?.Contains(d.Protocol) == true;
            bool byTransport = _transports is not null && d.TransportProtocol is { } tp && _transports.Contains(tp);
            if (!byEther && !byTransport) return false;
        }
        return true;
    }

    public bool Matches(DropSummary s) =>
        _symbols is null || Any(_symbols, s.Symbol) || Any(_symbols, s.Location) || Any(_symbols, s.HardwareTrapName);

    public bool Matches(object alert) => alert switch
    {
        PacketDrop d => Matches(d),
        DropSummary s => Matches(s),
        _ => false,
    };
}
