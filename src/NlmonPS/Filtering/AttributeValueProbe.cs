using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Filtering;

/// <summary>
/// Judges a filter's conditions on the values of top-level attributes ($_.Attributes.ifname -eq 'd0',
/// $_.Attributes.operstate -in 'up','unknown', $_.Attributes.mtu -eq 9000; -eq, -like, -match, -in) on one message
/// type's bytes, before the message is decoded: when, for one condition, no attribute of that name passes it (or
/// there is none), the message cannot pass the filter and is not decoded.
/// </summary>
/// <remarks>
/// Exact by construction, or it answers "may pass": made only for a layout the type alone picks, and only for names
/// that every table the layout may use (replies', requests', GET requests') gives to plain values (numbers, names of
/// numbers, text, addresses: no nest, no key material). Each such value is made by the decoder's own function
/// (<see cref="AttributeDecoder.DecodeScalar"/>) from the same bytes, kind, byte order and names, so it is the value
/// the decoded set hands the filter, and it is judged by the same compiled test the filter runs. The set answers a
/// name with every attribute of it (an array for several): when each fails, -eq, -like, -match and -in against them
/// fail too. A fault in the attribute stream leaves the message to the decoder.
/// </remarks>
internal sealed class AttributeValueProbe
{
    /// <summary>Where the bytes cannot be judged: every message may pass.</summary>
    public static readonly AttributeValueProbe Undecided = new(0, Array.Empty<Condition>());

    // One condition: for each attribute type that carries its name, the descriptions the tables give that type.
    private sealed record Condition(AttributeSpec[]?[] SpecsByType, Func<object?, bool> Test);

    private readonly int _attributesAt;   // where the attribute stream starts in the message
    private readonly Condition[] _conditions;

    private AttributeValueProbe(int attributesAt, Condition[] conditions) => (_attributesAt, _conditions) = (attributesAt, conditions);

    /// <summary>The probe for a layout: the conditions whose attribute is a plain value in every table it may use.</summary>
    public static AttributeValueProbe For(MessageSpec spec, IEnumerable<(string Key, Func<object?, bool> Test)> conditions)
    {
        if (spec.Body is not null || spec.Attributes is not { } table) return Undecided;
        var tables = new[] { table, table.Requests, table.GetRequests }.OfType<AttributeTable>().Distinct().ToArray();
        if (tables.Any(t => t.GuardsUnknown)) return Undecided;
        var probed = new List<Condition>();
        foreach (var (key, test) in conditions)
        {
            var named = tables.SelectMany(t => t.TypesNamed(key).Select(type => (Type: type, Spec: t[type]!))).ToArray();
            if (named.Any(n => FieldLevels.ModeOf(n.Spec, 0) != EntryMode.Scalar)) continue;
            var specsByType = new AttributeSpec[]?[named.Select(n => n.Type + 1).DefaultIfEmpty(0).Max()];
            foreach (var group in named.GroupBy(n => n.Type))
                specsByType[group.Key] = group.Select(n => n.Spec).Distinct().ToArray();
            probed.Add(new Condition(specsByType, test));
        }
        // As the decoder lays it out: the attribute stream follows the family header, aligned.
        int at = Nl.HeaderLength + (spec.Header is { } header ? Nl.Align(header.Size) : 0);
        return probed.Count is 0 or > 32 ? Undecided : new AttributeValueProbe(at, probed.ToArray());
    }

    /// <summary>False when the message surely fails a condition; true when it may pass, or its bytes do not tell.</summary>
    public bool MayPass(ReadOnlySpan<byte> message, ByteOrder order)
    {
        if (_conditions.Length == 0 || message.Length <= _attributesAt) return true;
        var stream = message[_attributesAt..];
        uint passed = 0, all = _conditions.Length == 32 ? uint.MaxValue : (1u << _conditions.Length) - 1;
        int offset = 0;
        while (AttributeWalker.TryNext(stream, ref offset, _attributesAt, order, out var a, out _))
        {
            int type = a.Type;
            for (int i = 0; i < _conditions.Length; i++)
            {
                var c = _conditions[i];
                if ((passed & (1u << i)) != 0 || type >= c.SpecsByType.Length || c.SpecsByType[type] is not { } specs) continue;
                var payload = stream.Slice(a.PayloadOffset, a.PayloadLength);
                foreach (var spec in specs)
                {
                    // The value as FieldValues.Make makes it for the decoded set.
                    var valueOrder = a.IsNetByteOrder || spec.NetworkOrder ? ByteOrder.BigEndian : order;
                    if (Passes(c.Test, spec, payload, valueOrder)) { passed |= 1u << i; break; }
                }
            }
        }
        // A fault stops the walk short of the end: the decoder then says what the set holds.
        return passed == all || offset < stream.Length;
    }

    // A test that fails to run (PowerShell's conversion refusing a value) leaves the message to the filter itself.
    private static bool Passes(Func<object?, bool> test, AttributeSpec spec, ReadOnlySpan<byte> payload, ByteOrder order)
    {
        try { return test(AttributeDecoder.DecodeScalar(spec.Kind, payload, order, spec.Enum, spec.Flags)); }
        catch (Exception e) when (e is not OutOfMemoryException) { return true; }
    }
}
