using System.Text;
using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>Summary lines shared by every protocol: control messages and the verb of a request.</summary>
internal static class Summaries
{
    public static string? Control(NetlinkMessage m)
    {
        switch (m.Type)
        {
            case Nl.NLMSG_ERROR when m.Error is { } e:
            {
                // The request it answers, by name: "ACK to ETHTOOL_MSG_LINKSTATE_GET seq 6".
                if (e.IsAck) return e.Request is { } acked ? $"ACK to {e.RequestName} seq {acked.Sequence}" : $"ACK seq {m.Sequence}";
                var about = e.Request is { } r ? $"{e.RequestTypeName ?? r.TypeName} seq {r.Sequence}" : $"seq {m.Sequence}";
                var sb = new StringBuilder().Append(e.ErrorName).Append(' ').Append(e.Text).Append(" (").Append(about).Append(')');
                if (e.ExtendedMessage is not null) sb.Append(": ").Append(e.ExtendedMessage);
                if (e.AttributePath is not null) sb.Append(" [at ").Append(e.AttributePath).Append(']');
                else if (e.ErrorOffset is not null) sb.Append(" [at offset ").Append(e.ErrorOffset).Append(']');
                if (e.MissingType is not null) sb.Append(" [missing attribute ").Append(e.MissingType).Append(']');
                return sb.ToString();
            }
            case Nl.NLMSG_DONE:
                // An errno is small and negative; nflog's end-of-batch DONE carries an nfgenmsg there instead.
                return m.Header["error"] is int err && err is < 0 and >= -4095
                    ? $"DONE seq {m.Sequence}: {Errno.NameOf(-err)} {Errno.TextOf(-err)}"
                    : $"DONE seq {m.Sequence}";
            case Nl.NLMSG_NOOP: return "NOOP";
            case Nl.NLMSG_OVERRUN: return $"OVERRUN seq {m.Sequence}: data lost";
            default: return null;
        }
    }

    /// <summary>The verb iproute2 would use for a request ("dump", "add", "del"...), or null for the kernel's messages.</summary>
    public static string? RequestVerb(NetlinkMessage m)
    {
        if (m.Direction != NetlinkDirection.ToKernel) return null;
        bool dump = (m.Flags & Nl.NLM_F_DUMP) == Nl.NLM_F_DUMP;
        if (m.TypeName.Contains("_GET", StringComparison.Ordinal) || m.TypeName.StartsWith("GET", StringComparison.Ordinal))
            return dump ? "dump" : "get";
        if (m.TypeName.Contains("_DEL", StringComparison.Ordinal)) return "del";
        if (m.TypeName.Contains("_SET", StringComparison.Ordinal)) return "set";
        if (m.TypeName.Contains("_NEW", StringComparison.Ordinal))
        {
            if ((m.Flags & Nl.NLM_F_CREATE) == 0) return "change";
            return (m.Flags & Nl.NLM_F_REPLACE) != 0 ? "replace" : "add";
        }
        return null;
    }

    /// <summary>"dev d0" for an interface index, named as the message's stream knew it ("dev 3" when it did not); null for none.</summary>
    public static string? Dev(NetlinkMessage m, object? ifindex)
    {
        long index = ifindex switch
        {
            int i => i, uint u => u, long l => l, ulong ul when ul <= long.MaxValue => (long)ul, ushort s => s, byte b => b,
            _ => 0,
        };
        if (index <= 0) return ifindex is null or int or uint or long or ulong or ushort or byte ? null : $"dev {NetlinkFields.Format(ifindex)}";
        return m.LinkName(index) is { } name ? $"dev {name}" : $"dev {index}";
    }

    /// <summary>An interface index as the stream named it ("d0"), or the number.</summary>
    public static string LinkName(NetlinkMessage m, long index) => m.LinkName(index) ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Joins non-empty parts with spaces.</summary>
    public static string Join(params object?[] parts)
    {
        var line = new Line();
        foreach (var p in parts) line.Add(NetlinkFields.Format(p));
        return line.ToStringAndFree();
    }
}

/// <summary>
/// One summary line built in place, as <see cref="Summaries.Join"/> joins: parts separated by one space, empty parts
/// left out, but no string made per part. Every message's line goes through one of these, so the builder is kept per
/// thread (a line built while another is open gets its own).
/// </summary>
internal readonly struct Line
{
    [ThreadStatic] private static StringBuilder? t_free;

    public readonly StringBuilder Builder;

    public Line()
    {
        Builder = t_free ?? new StringBuilder(256);
        t_free = null;
    }

    /// <summary>Starts a part: the space after the parts before it. The caller appends a non-empty part.</summary>
    public StringBuilder Part() => Builder.Length > 0 ? Builder.Append(' ') : Builder;

    /// <summary>"label" as a part.</summary>
    public StringBuilder Part(string label) => Part().Append(label);

    /// <summary>A part when not empty.</summary>
    public void Add(string? text)
    {
        if (!string.IsNullOrEmpty(text)) Part().Append(text);
    }

    /// <summary>"label value" when there is a value (written as <see cref="NetlinkFields.Format"/> writes it).</summary>
    public void Add(string label, object? value)
    {
        if (value is not null) Format(Part(label).Append(' '), value);
    }

    /// <summary>Drops trailing white space, as string.TrimEnd.</summary>
    public void TrimEnd()
    {
        int n = Builder.Length;
        while (n > 0 && char.IsWhiteSpace(Builder[n - 1])) n--;
        Builder.Length = n;
    }

    /// <summary>A value as <see cref="NetlinkFields.Format"/> writes it, numbers without a string of their own.</summary>
    public static StringBuilder Format(StringBuilder sb, object? value) => value switch
    {
        null => sb,
        string s => sb.Append(s),
        uint u => sb.Append(u),
        int i when i >= 0 => sb.Append(i),
        ushort u => sb.Append(u),
        byte b => sb.Append(b),
        ulong u => sb.Append(u),
        _ => sb.Append(NetlinkFields.Format(value)),
    };

    /// <summary>A value as string interpolation writes it ($"state {value}"): the current culture, null as nothing.</summary>
    public static StringBuilder Interpolated(StringBuilder sb, object? value) =>
        value is IFormattable f ? sb.Append(f.ToString(null, null)) : sb.Append(value?.ToString());

    /// <summary>The line; the builder goes back for the next one.</summary>
    public string ToStringAndFree()
    {
        var text = Builder.ToString();
        if (Builder.Capacity <= 1024) { Builder.Clear(); t_free = Builder; }
        return text;
    }
}
