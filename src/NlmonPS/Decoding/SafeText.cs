using System.Buffers;
using System.Globalization;
using System.Text;

namespace NlmonPS.Decoding;

/// <summary>
/// Text from the wire (interface names, extended ACK messages, family and process names) made safe for a terminal:
/// C0 controls, DEL, C1 controls and the bidirectional overrides are shown as visible escapes (ESC reads "\x1b"), so a
/// crafted name can neither retitle the terminal nor clear the screen nor reorder what is shown. Only what is shown
/// goes through here (Summary, the views, ToString); the values themselves stay exact in Attributes and Bytes.
/// </summary>
public static class SafeText
{
    // C0, DEL, C1; U+2028/U+2029 (line breaks), U+202A-U+202E and U+2066-U+2069 (bidi embeddings and isolates).
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f"
        + "\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f"
        + "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069");

    /// <summary>The text with every control character escaped; the same string (no copy) when it has none.</summary>
    public static string Printable(string? text)
    {
        if (text is null) return "";
        int first = text.AsSpan().IndexOfAny(Unsafe);
        if (first < 0) return text;
        var sb = new StringBuilder(text.Length + 8).Append(text, 0, first);
        foreach (var c in text.AsSpan(first))
        {
            if (!Unsafe.Contains(c)) sb.Append(c);
            else if (c < 0x100) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Whether the text holds anything <see cref="Printable"/> escapes.</summary>
    public static bool HasControls(string? text) => text is not null && text.AsSpan().IndexOfAny(Unsafe) >= 0;
}
