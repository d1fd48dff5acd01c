using System.Runtime.CompilerServices;
using NlmonPS.Wire;

namespace NlmonPS.Decoding;

/// <summary>The value of one walked entry, made when it is first read.</summary>
internal static class FieldValues
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static object? Make(in FieldLevel level, in FieldEntry e)
    {
        var message = level.Message;
        var p = message.Bytes.AsSpan(e.ValueStart, e.ValueLength);
        switch (e.Mode)
        {
            case EntryMode.Scalar:
                return Scalar(e.Kind, e.Spec, p, e.BigEndian, message.ByteOrder);
            case EntryMode.Secret:
                return message.RevealSecrets ? p.ToArray() : $"REDACTED ({p.Length} bytes)";
            case EntryMode.Speculative:
                return Speculative(level, e, p);
            case EntryMode.Guarded:
                if (FieldLevels.GuardedNest(message, e.ValueStart, e.ValueLength, level.Depth))
                    return new NetlinkFields(FieldLevel.Attributes(message, level.Table, e.ValueStart, e.ValueLength, level.Depth + 1));
                return p.Length <= FieldLevels.GuardedClearLength || message.RevealSecrets ? p.ToArray()
                    : $"REDACTED ({p.Length} bytes: the family is unknown, -RevealSecrets shows it)";
            case EntryMode.Nest:
                return FieldLevels.TryOpen(level, e, out var child) ? new NetlinkFields(child) : Speculative(level, e, p);
            case EntryMode.NestedArray:
            {
                var spec = (AttributeSpec)e.Spec!;
                var items = FieldLevels.Entries(FieldLevel.Attributes(message, null, e.ValueStart, e.ValueLength, level.Depth));
                var array = new NetlinkFields[items.Length];
                for (int i = 0; i < array.Length; i++) array[i] = new NetlinkFields(FieldLevels.ArrayItem(level, spec, items[i]));
                return array;
            }
            case EntryMode.FixedStructArray:
            {
                var element = ((AttributeSpec)e.Spec!).Struct!;
                var array = new NetlinkFields[e.ValueLength / element.Size];
                for (int i = 0; i < array.Length; i++)
                    array[i] = new NetlinkFields(FieldLevel.OfStruct(message, element, e.ValueStart + i * element.Size, element.Size));
                return array;
            }
            case EntryMode.LengthPrefixedArray:
            {
                var items = new List<FieldLevel>();
                FieldLevels.LengthPrefixedItems(level, e, items, null);
                return items.Select(item => new NetlinkFields(item)).ToArray();
            }
            default: // Bytes, TooDeep
                return p.ToArray();
        }
    }

    /// <summary>
    /// A plain value (a number, a name of one, text, an address) from its bytes: the one place its byte order and names
    /// are applied, for the decoded set and for -Filter's judging of a message's bytes before decoding.
    /// </summary>
    /// <param name="bigEndian">The attribute is flagged NLA_F_NET_BYTEORDER or its spec says network order.</param>
    public static object? Scalar(ValueKind kind, ValueSpec? spec, ReadOnlySpan<byte> p, bool bigEndian, ByteOrder messageOrder) =>
        AttributeDecoder.DecodeScalar(kind, p, bigEndian ? ByteOrder.BigEndian : messageOrder, spec?.Enum, spec?.Flags);

    /// <summary>
    /// A nest whose set is not known: numbered attributes when its bytes parse as attributes, else bytes. Never a
    /// fault: not knowing the layout is not the sender's error.
    /// </summary>
    private static object Speculative(in FieldLevel level, in FieldEntry e, ReadOnlySpan<byte> p) =>
        level.Depth < FieldLevels.MaxDepth && AttributeWalker.LooksLikeAttributes(p, level.Message.ByteOrder)
            ? new NetlinkFields(FieldLevel.Attributes(level.Message, null, e.ValueStart, e.ValueLength, level.Depth + 1))
            : p.ToArray();
}
