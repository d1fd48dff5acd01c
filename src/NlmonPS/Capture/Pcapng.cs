using System.Buffers.Binary;
using System.Text;
using NlmonPS.Wire;

namespace NlmonPS.Capture;

/// <summary>
/// How a source (host, network namespace, device) is named in a pcapng interface: if_name is "h1/blue/nlmon0" (the
/// parts it has), for Wireshark's interface name; if_description says each, "NlmonPS source: host=h1; netns=blue;
/// device=nlmon0", which the reader parses back into each message's ComputerName, NetNamespace and Device.
/// </summary>
internal static class Pcapng
{
    private const string Prefix = "NlmonPS source: ";

    /// <summary>An interface description block: the link type, nanosecond timestamps, the source's names.</summary>
    public static byte[] InterfaceBlock(int linkType, int snaplen, CaptureSource source)
    {
        var options = new List<(ushort Code, byte[] Value)>();
        if (Name(source) is { Length: > 0 } name) options.Add((2, Encoding.UTF8.GetBytes(name)));
        options.Add((3, Encoding.UTF8.GetBytes(Describe(source))));
        options.Add((9, new byte[] { 9 }));    // if_tsresol: 10^-9 s
        int length = 16 + 4 + 4;               // header and fields, opt_endofopt, trailing length
        foreach (var (_, value) in options) length += 4 + Nl.Align(value.Length);
        var block = new byte[length];
        var s = block.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(s[8..], (ushort)linkType);
        BinaryPrimitives.WriteUInt32LittleEndian(s[12..], (uint)snaplen);
        int offset = 16;
        foreach (var (code, value) in options)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s[offset..], code);
            BinaryPrimitives.WriteUInt16LittleEndian(s[(offset + 2)..], (ushort)value.Length);
            value.CopyTo(s[(offset + 4)..]);
            offset += 4 + Nl.Align(value.Length);
        }
        // opt_endofopt is the four zero bytes already there.
        BinaryPrimitives.WriteUInt32LittleEndian(s[^4..], (uint)length);
        return block;
    }

    /// <summary>if_name, what Wireshark shows first: host/namespace/device, of those the source knows.</summary>
    public static string Name(CaptureSource source) =>
        string.Join('/', new[] { source.ComputerName, source.NetNamespace, source.Device }.Where(p => !string.IsNullOrEmpty(p)));

    public static string Describe(CaptureSource source)
    {
        var parts = new List<string>(3);
        if (source.ComputerName is { Length: > 0 } h) parts.Add("host=" + Clean(h));
        if (source.NetNamespace is { Length: > 0 } n) parts.Add("netns=" + Clean(n));
        if (source.Device is { Length: > 0 } d) parts.Add("device=" + Clean(d));
        return Prefix + string.Join("; ", parts);
    }

    private static string Clean(string value) => value.Replace(';', ',');

    /// <summary>The host, namespace and device an NlmonPS interface description names (nulls for any other description).</summary>
    public static (string? ComputerName, string? NetNamespace, string? Device) ParseDescription(string? description)
    {
        if (description is null || !description.StartsWith(Prefix, StringComparison.Ordinal)) return default;
        string? host = null, ns = null, device = null;
        foreach (var part in description[Prefix.Length..].Split("; ", StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) continue;
            var value = part[(eq + 1)..];
            switch (part[..eq])
            {
                case "host": host = value; break;
                case "netns": ns = value; break;
                case "device": device = value; break;
            }
        }
        return (host, ns, device);
    }
}
