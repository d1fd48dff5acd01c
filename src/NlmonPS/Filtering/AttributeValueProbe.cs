using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Filtering;

/// <summary>
/// Judges a filter's conditions on top-level text attributes ($_.Attributes.ifname -eq 'd0', -like, -match, -in)
/// on one message type's bytes, before the message is decoded: when, for one condition, no attribute of that name
/// passes it (or there is none), the message cannot pass the filter and is not decoded.
/// </summary>
/// <remarks>
/// Exact by construction, or it answers "may pass": made only for a layout the type alone picks, and only for names
/// that every table the layout may use (replies', requests', GET requests') gives to text attributes. Such a value
/// is the bytes up to the first NUL read as UTF-8 (<see cref="AttributeDecoder.CString"/>), the string the decoded set
/// hands the filter, and it is judged by the same compiled test the filter runs. The set answers the name with every
/// attribute of it (an array for several): when each fails, -eq, -like, -match and -in against it fail too. A fault
/// in the attribute stream leaves the message to the decoder.
/// </remarks>
internal sealed class AttributeValueProbe
{
    /// <summary>Where the bytes cannot be judged: every message may pass.</summary>
    public static readonly AttributeValueProbe Undecided = new(0, Array.Empty<(bool[], Func<object?, bool>)>());

    private readonly int _attributesAt;   // where the attribute stream starts in the message
    private readonly (bool[] Types, Func<object?, bool> Test)[] _tests;

    private AttributeValueProbe(int attributesAt, (bool[] Types, Func<object?, bool> Test)[] tests) =>
        (_attributesAt, _tests) = (attributesAt, tests);

    /// <summary>The probe for a layout: the conditions whose attribute is text in every table it may use.</summary>
    public static AttributeValueProbe For(MessageSpec spec, IEnumerable<(string Key, Func<object?, bool> Test)> conditions)
    {
        if (spec.Body is not null || spec.Attributes is not { GuardsUnknown: false } table) return Undecided;
        var tables = new[] { table, table.Requests, table.GetRequests }.OfType<AttributeTable>().ToArray();
        var tests = new List<(bool[], Func<object?, bool>)>();
        foreach (var (key, test) in conditions)
        {
            if (tables.Any(t => t.GuardsUnknown)) continue;
            var types = tables.SelectMany(t => t.TypesNamed(key).Select(type => (Table: t, Type: type))).ToArray();
            if (types.Any(p => p.Table[p.Type] is not { Kind: ValueKind.String } attribute || FieldLevels.ModeOf(attribute, 0) != EntryMode.Scalar))
                continue;
            var named = new bool[types.Select(p => p.Type + 1).DefaultIfEmpty(0).Max()];
            foreach (var (_, type) in types) named[type] = true;
            tests.Add((named, test));
        }
        // As the decoder lays it out: the attribute stream follows the family header, aligned.
        int at = Nl.HeaderLength + (spec.Header is { } header ? Nl.Align(header.Size) : 0);
        return tests.Count == 0 || tests.Count > 32 ? Undecided : new AttributeValueProbe(at, tests.ToArray());
    }

    /// <summary>False when the message surely fails a condition; true when it may pass, or its bytes do not tell.</summary>
    public bool MayPass(ReadOnlySpan<byte> message, ByteOrder order)
    {
        if (_tests.Length == 0 || message.Length <= _attributesAt) return true;
        var stream = message[_attributesAt..];
        uint passed = 0, all = _tests.Length == 32 ? uint.MaxValue : (1u << _tests.Length) - 1;
        int offset = 0;
        while (AttributeWalker.TryNext(stream, ref offset, _attributesAt, order, out var a, out _))
        {
            int type = a.Type;
            for (int i = 0; i < _tests.Length; i++)
            {
                var (types, test) = _tests[i];
                if ((passed & (1u << i)) == 0 && type < types.Length && types[type]
                    && Passes(test, AttributeDecoder.CString(stream.Slice(a.PayloadOffset, a.PayloadLength))))
                    passed |= 1u << i;
            }
        }
        // A fault stops the walk short of the end: the decoder then says what the set holds.
        return passed == all || offset < stream.Length;
    }

    // A test that fails to run (PowerShell's conversion refusing a value) leaves the message to the filter itself.
    private static bool Passes(Func<object?, bool> test, string value)
    {
        try { return test(value); }
        catch (Exception e) when (e is not OutOfMemoryException) { return true; }
    }
}
