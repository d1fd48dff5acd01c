using NlmonPS.Decoding;
using NlmonPS.Wire;

namespace NlmonPS.Filtering;

/// <summary>
/// Judges a filter's conditions on attribute values ($_.Attributes.ifname -eq 'd0', $_.Attributes.mtu -eq 9000,
/// $_.Attributes.linkinfo.kind -in 'veth','vxlan'; -eq, -like, -match, -in, -contains) and on family-header fields
/// ($_.Header.index -eq 3) on one message type's bytes, before the message is decoded: when, for one condition, no
/// attribute at that path passes it (or there is none), or the header field fails it, the message cannot pass the
/// filter and is not decoded.
/// </summary>
/// <remarks>
/// Exact by construction, or it answers "may pass": made only for a layout the type picks (with, in netfilter, every
/// variant an attribute's value may pick; in generic netlink, by family and command, with every set the command may
/// use either way), and only for paths
/// whose every name, in every table the layout may use there (replies', requests', GET requests'), is a plain nest
/// (one attribute set, not chosen by a kind or a struct) down to a plain value at the end (a number, a name of a
/// number, text, an address: no nest, no key material). Each value is made by the decoder's own function
/// (<see cref="FieldValues.Scalar"/>) from the same bytes, kind, byte order and names, so it is the value
/// the decoded set hands the filter, and it is judged by the same compiled test the filter runs. A set answers a name
/// with every attribute of it (an array for several; member access over an array collects from each): when each
/// value fails, -eq, -like, -match and -in against them fail too. A fault in a stream on the way leaves the message
/// to the decoder.
/// </remarks>
internal sealed class AttributeValueProbe
{
    /// <summary>Where the bytes cannot be judged: every message may pass.</summary>
    public static readonly AttributeValueProbe Undecided = new(0, Array.Empty<Condition>(), Array.Empty<HeaderCondition>(), never: false);

    /// <summary>Where no message can pass: a condition a header field that the layout lacks ($null) fails.</summary>
    private static readonly AttributeValueProbe Never = new(0, Array.Empty<Condition>(), Array.Empty<HeaderCondition>(), never: true);

    /// <summary>
    /// One name of a path, at its level: the descriptions the level's tables give each attribute type carrying it,
    /// and the next name, inside those attributes' nests (null: their values are tested).
    /// </summary>
    private sealed record Step(AttributeSpec[]?[] SpecsByType, Step? Next);

    private sealed record Condition(Step First, Func<object?, bool> Test);

    /// <summary>A condition on a family-header field ($_.Header.index -eq 3): the field, where its bytes are in the message.</summary>
    private sealed record HeaderCondition(FieldSpec Field, int At, int Size, Func<object?, bool> Test);

    private readonly int _attributesAt;   // where the attribute stream starts in the message
    private readonly Condition[] _conditions;
    private readonly HeaderCondition[] _headerConditions;
    private readonly bool _never;

    private AttributeValueProbe(int attributesAt, Condition[] conditions, HeaderCondition[] headerConditions, bool never) =>
        (_attributesAt, _conditions, _headerConditions, _never) = (attributesAt, conditions, headerConditions, never);

    /// <summary>
    /// The probe for a layout: the attribute conditions whose path it can follow in every set the layout may use, and
    /// the conditions on its family-header fields.
    /// </summary>
    /// <param name="attributeTests">Each path's names after Attributes (linkinfo, kind), and the test of the value.</param>
    /// <param name="headerTests">Each field's name after Header (index, family), and the test of the value.</param>
    public static AttributeValueProbe For(MessageLayout layout, IEnumerable<(string[] Path, Func<object?, bool> Test)> attributeTests,
        IEnumerable<(string Field, Func<object?, bool> Test)> headerTests)
    {
        var conditions = new List<Condition>();
        var level = layout.Tables.SelectMany(TablesOf).ToArray();
        if (level.Length > 0)
            foreach (var (path, test) in attributeTests)
                if (StepOf(level, path, 0) is { } first) conditions.Add(new Condition(first, test));
        var headerConditions = new List<HeaderCondition>();
        foreach (var (name, test) in headerTests)
        {
            // As the header set finds a name: its structs' fields, case-insensitively (one set for both structs).
            var fields = layout.Headers.SelectMany(h => h.Struct.Where(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                .Select(f => (Field: f, At: h.At + f.Offset))).ToArray();
            if (fields.Length == 0)
            {
                if (!Passes(test, null)) return Never;   // $_.Header.name is $null in every message of this layout
                continue;
            }
            // A repeated name (an array), a field whose size or layout depends on the bytes, a nested struct or key
            // material: left to the decoder.
            if (fields.Length > 1) continue;
            var (field, at) = fields[0];
            if (field.Size == 0 || field.FamilyField is not null || FieldLevels.ModeOf(field) != EntryMode.Scalar) continue;
            headerConditions.Add(new HeaderCondition(field, at, field.Size, test));
        }
        return conditions.Count == 0 && headerConditions.Count == 0 ? Undecided
            : new AttributeValueProbe(layout.AttributesAt, conditions.ToArray(), headerConditions.ToArray(), never: false);
    }

    /// <summary>A set's table and the ones requests use instead: the probe cannot tell a message's direction.</summary>
    private static IEnumerable<AttributeTable> TablesOf(AttributeTable table) =>
        new[] { table, table.Requests, table.GetRequests }.OfType<AttributeTable>();

    private static Step? StepOf(IEnumerable<AttributeTable> level, string[] path, int depth)
    {
        var tables = level.Distinct().ToArray();
        // unknown_N is how the decoded set names a type no table describes: no table answers it.
        if (tables.Any(t => t.GuardsUnknown) || path[depth].StartsWith("unknown_", StringComparison.OrdinalIgnoreCase)) return null;
        var named = tables.SelectMany(t => t.TypesNamed(path[depth]).Select(type => (Type: type, Spec: t[type]!))).ToArray();
        Step? next = null;
        if (depth == path.Length - 1)
        {
            // A value whose kind the message's family picks (an MPLS route's label) is left to the decoder.
            if (named.Any(n => FieldLevels.ModeOf(n.Spec, depth) != EntryMode.Scalar || n.Spec.LabelsForMplsFamily)) return null;
        }
        else
        {
            if (named.Any(n => !n.Spec.IsPlainNest || FieldLevels.ModeOf(n.Spec, depth) != EntryMode.Nest)) return null;
            next = StepOf(named.SelectMany(n => TablesOf(n.Spec.Nested!)), path, depth + 1);
            if (next is null) return null;
        }
        var specsByType = new AttributeSpec[]?[named.Select(n => n.Type + 1).DefaultIfEmpty(0).Max()];
        foreach (var group in named.GroupBy(n => n.Type))
            specsByType[group.Key] = group.Select(n => n.Spec).Distinct().ToArray();
        return new Step(specsByType, next);
    }

    /// <summary>False when the message surely fails a condition; true when it may pass, or its bytes do not tell.</summary>
    public bool MayPass(ReadOnlySpan<byte> message, ByteOrder order)
    {
        if (_never) return false;
        // A header field the message is too short to hold is not in its header set: left to the decoder.
        foreach (var h in _headerConditions)
            if (h.At + h.Size <= message.Length && !Passes(h.Test, h.Field, message.Slice(h.At, h.Size), h.Field.NetworkOrder, order))
                return false;
        if (_conditions.Length == 0 || message.Length <= _attributesAt) return true;
        var stream = message[_attributesAt..];
        foreach (var condition in _conditions)
            if (!AnyMayPass(stream, condition.First, condition.Test, order)) return false;
        return true;
    }

    /// <summary>Whether some value at the step's path within this attribute stream may pass the test.</summary>
    private static bool AnyMayPass(ReadOnlySpan<byte> stream, Step step, Func<object?, bool> test, ByteOrder order)
    {
        int offset = 0;
        while (AttributeWalker.TryNext(stream, ref offset, 0, order, out var a, out _))
        {
            int type = a.Type;
            if (type >= step.SpecsByType.Length || step.SpecsByType[type] is not { } specs) continue;
            var payload = stream.Slice(a.PayloadOffset, a.PayloadLength);
            if (step.Next is { } next)
            {
                if (AnyMayPass(payload, next, test, order)) return true;
                continue;
            }
            foreach (var spec in specs)
                if (Passes(test, spec, payload, a.IsNetByteOrder || spec.NetworkOrder, order)) return true;
        }
        // A fault stops the walk short of the end: the decoder then says what the set holds.
        return offset < stream.Length;
    }

    // A test that fails to run (PowerShell's conversion refusing a value) leaves the message to the filter itself.
    private static bool Passes(Func<object?, bool> test, ValueSpec spec, ReadOnlySpan<byte> payload, bool bigEndian, ByteOrder order) =>
        Passes(test, FieldValues.Scalar(spec.Kind, spec, payload, bigEndian, order));

    internal static bool Passes(Func<object?, bool> test, object? value)
    {
        try { return test(value); }
        catch (Exception e) when (e is not OutOfMemoryException) { return true; }
    }
}
