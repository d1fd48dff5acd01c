using System.Linq.Expressions;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Protocols;
using NlmonPS.Protocols.Generic;
using NlmonPS.Protocols.Netfilter;
using NlmonPS.Wire;

namespace NlmonPS.Filtering;

/// <summary>
/// What a filter needs of a message that its type number alone can refute, so that messages which cannot pass are
/// never decoded (as -MessageType does). Read from the conditions joined by -and at the top of the block: a test of
/// $_.TypeName that $null cannot pass (-eq, -like, -match, -in, -contains against constants), and any condition on
/// $_.Attributes.name... that $null cannot pass (the attribute must be there).
/// </summary>
/// <remarks>
/// Judged only where skipping is exact, so that what passes, and how it reads, is what Where-Object sees: per type
/// where the type alone picks the layout (rtnetlink, whose observer learns interface names from skipped link
/// messages' bytes); per protocol for netfilter and sock_diag (none of its messages can pass); per family for
/// generic netlink (nlctrl, which teaches the family ids, is always decoded). Never where an acknowledgement that
/// may pass is named by requests that would be skipped. Conditions on attribute values and family-header fields are
/// judged per message on its bytes (<see cref="MayMatchBytes"/>): rtnetlink and netfilter by type, generic netlink by
/// family and command.
/// </remarks>
internal sealed class FilterRequirements
{
    private readonly List<Func<string, bool>> _typeNames = new();
    private bool _openTypeTests;   // a TypeName test that a made-up name ("unknown(N)") may pass
    private readonly List<string> _attributes = new();
    private readonly List<(string[] Path, Func<object?, bool> Test)> _valueTests = new();   // $_.Attributes.a.b -eq 'd0' ...
    private readonly List<(string Field, Func<object?, bool> Test)> _headerTests = new();   // $_.Header.index -eq 3 ...

    public bool IsEmpty => _typeNames.Count == 0 && _attributes.Count == 0;

    public static FilterRequirements Of(ScriptBlock block)
    {
        var r = new FilterRequirements();
        if (block.Ast is ScriptBlockAst { EndBlock.Statements.Count: 1 } sb && Expression(sb.EndBlock.Statements[0]) is { } e)
            foreach (var condition in Conjuncts(e)) r.Learn(condition);
        return r;
    }

    /// <summary>
    /// -MessageType's patterns as one TypeName test (a message of another protocol than generic netlink passes when
    /// its name matches one), so that protocols none of whose names match are skipped whole, learning nothing.
    /// </summary>
    public static FilterRequirements OfMessageTypes(IReadOnlyList<WildcardPattern> patterns, IEnumerable<string> texts)
    {
        var r = new FilterRequirements();
        r._typeNames.Add(name => patterns.Any(p => p.IsMatch(name)));
        r._openTypeTests = texts.Any(t => WildcardPattern.ContainsWildcardCharacters(t) || NamesUnnamed(t));
        return r;
    }

    private static ExpressionAst? Expression(StatementAst s) =>
        s is PipelineAst { PipelineElements.Count: 1 } p && p.PipelineElements[0] is CommandExpressionAst { Redirections.Count: 0 } c ? c.Expression : null;

    private static IEnumerable<ExpressionAst> Conjuncts(ExpressionAst e)
    {
        if (e is BinaryExpressionAst { Operator: TokenKind.And } and)
            return Conjuncts(and.Left).Concat(Conjuncts(and.Right));
        if (e is ParenExpressionAst paren && Expression(paren.Pipeline) is { } inner)
            return Conjuncts(inner);
        return new[] { e };
    }

    private void Learn(ExpressionAst condition)
    {
        ExpressionAst path;
        Func<object?, bool>? test = null;   // for TypeName: the condition on a value (never true of $null)
        bool openTest = false;               // a pattern (-like, -match), not a set of names
        switch (condition)
        {
            case MemberExpressionAst m:
                path = m;
                break;
            case BinaryExpressionAst b when Constant(b.Right, out var k) && k is not null && !PowerShellOperators.IsCollection(k):
                path = b.Left;
                switch (b.Operator)
                {
                    case TokenKind.Ieq or TokenKind.Ceq:
                        var eq = PowerShellOperators.Comparison(ExpressionType.Equal, b.Operator == TokenKind.Ieq);
                        test = v => PowerShellOperators.IsTrue(eq(v, k));
                        openTest = NamesUnnamed(k);
                        break;
                    case TokenKind.Ilike or TokenKind.Clike:
                        var pattern = new WildcardPattern(PowerShellOperators.ToStringParser(k),
                            b.Operator == TokenKind.Ilike ? WildcardOptions.IgnoreCase : WildcardOptions.None);
                        if (pattern.IsMatch("")) return;
                        test = v => PowerShellOperators.IsTrue(PowerShellOperators.Like(v, pattern, false));
                        openTest = true;
                        break;
                    case TokenKind.Imatch or TokenKind.Cmatch:
                        Regex regex;
                        try { regex = new Regex(PowerShellOperators.ToStringParser(k), b.Operator == TokenKind.Imatch ? RegexOptions.IgnoreCase : RegexOptions.None); }
                        catch (ArgumentException) { return; }
                        if (regex.IsMatch("")) return;
                        test = v => PowerShellOperators.IsTrue(PowerShellOperators.Match(v, regex, false));
                        openTest = true;
                        break;
                    case TokenKind.Icontains or TokenKind.Ccontains:
                        // As the compiled filter's -contains: a collection's elements (flags' names), a scalar itself.
                        var element = PowerShellOperators.Comparison(ExpressionType.Equal, b.Operator == TokenKind.Icontains, scalarCompare: true);
                        test = v => PowerShellOperators.Contains(v, k, element);
                        openTest = NamesUnnamed(k);
                        break;
                    default: return;
                }
                break;
            case BinaryExpressionAst { Operator: TokenKind.Iin or TokenKind.Cin } b
                when Constant(b.Right, out var list) && list is object[] items && items.All(i => i is not null && !PowerShellOperators.IsCollection(i)):
                path = b.Left;
                var scalar = PowerShellOperators.Comparison(ExpressionType.Equal, b.Operator == TokenKind.Iin, scalarCompare: true);
                test = v => PowerShellOperators.Contains(items, v, scalar);
                openTest = items.Any(NamesUnnamed);
                break;
            default:
                return;
        }
        var steps = Steps(path);
        if (steps is null || steps.Count < 1) return;
        if (steps.Count == 1 && steps[0].Equals("TypeName", StringComparison.OrdinalIgnoreCase) && test is not null)
        {
            _typeNames.Add(name => test(name));
            _openTypeTests |= openTest;
        }
        // $_.Attributes.key...: $null all the way down unless the key is there. Not so for a member of the set
        // itself (Count, Names, ToString, PSObject) or Count/Length later on (PowerShell answers them on $null too).
        else if (steps.Count >= 2 && steps[0].Equals("Attributes", StringComparison.OrdinalIgnoreCase)
                 && !TheSetAnswers(steps[1])
                 && !steps.Skip(1).Any(s => s.Equals("Count", StringComparison.OrdinalIgnoreCase) || s.Equals("Length", StringComparison.OrdinalIgnoreCase))
                 && !steps[1].StartsWith("unknown_", StringComparison.OrdinalIgnoreCase))
        {
            _attributes.Add(steps[1]);
            // A condition on an attribute's value may also be judged on the bytes (MayMatchBytes), along a path of
            // attribute names (not a member every set answers, which PowerShell gives where the name is missing).
            if (test is not null && !steps.Skip(2).Any(TheSetAnswers)) _valueTests.Add((steps.Skip(1).ToArray(), test));
        }
        // $_.Header.field: a family-header field's value, judged on the bytes too (MayMatchBytes).
        else if (steps.Count == 2 && steps[0].Equals("Header", StringComparison.OrdinalIgnoreCase) && test is not null && !TheSetAnswers(steps[1]))
        {
            _headerTests.Add((steps[1], test));
            _headerMustHaveValue |= !AttributeValueProbe.Passes(test, null);
        }
    }

    // A condition on a header field that $null fails: a message without that header (an NLMSG_ERROR) cannot pass.
    private bool _headerMustHaveValue;

    /// <summary>
    /// Whether $_.Attributes.name answers without an attribute of that name: a member of the set (a property, a
    /// method, an interface's member) or one PowerShell gives every object.
    /// </summary>
    private static bool TheSetAnswers(string name)
    {
        const System.Reflection.BindingFlags Members = System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase;
        return typeof(NetlinkFields).GetMember(name, Members).Length > 0
            || typeof(NetlinkFields).GetInterfaces().Any(i => i.GetMember(name, Members).Length > 0)
            || PowerShellIntrinsics.Contains(name);
    }

    // PowerShell answers Count and Length on any object (1 for a set it does not enumerate as a collection).
    private static readonly HashSet<string> PowerShellIntrinsics = new(StringComparer.OrdinalIgnoreCase)
        { "PSObject", "PSTypeNames", "psbase", "psadapted", "psextended", "ForEach", "Where", "Count", "Length" };

    /// <summary>
    /// Whether a constant may equal a name made up for a type no table names: "unknown(5)", "genl(30)",
    /// "subsys(12) unknown(3)" all have a parenthesis (a constant that is no string is compared as its text).
    /// </summary>
    private static bool NamesUnnamed(object constant) => PowerShellOperators.ToStringParser(constant).Contains('(');

    /// <summary>The member names of a path from $_ ($_.Attributes.linkinfo.kind: Attributes, linkinfo, kind), or null.</summary>
    private static List<string>? Steps(ExpressionAst e)
    {
        var steps = new List<string>();
        while (e is MemberExpressionAst { Static: false, Member: StringConstantExpressionAst name } m and not InvokeMemberExpressionAst)
        {
            steps.Insert(0, name.Value);
            e = m.Expression;
        }
        return e is VariableExpressionAst v && (v.VariablePath.UserPath is "_" || v.VariablePath.UserPath.Equals("PSItem", StringComparison.OrdinalIgnoreCase))
            ? steps : null;
    }

    private static bool Constant(ExpressionAst e, out object? value)
    {
        switch (e)
        {
            case StringConstantExpressionAst s: value = s.Value; return true;
            case ConstantExpressionAst c: value = c.Value; return true;
            case ArrayLiteralAst a:
                var items = new object?[a.Elements.Count];
                for (int i = 0; i < items.Length; i++)
                    if (!Constant(a.Elements[i], out items[i])) { value = null; return false; }
                value = items;
                return true;
            default: value = null; return false;
        }
    }

    /// <summary>Whether some condition is on an attribute's or a header field's value, which <see cref="MayMatchBytes"/> may judge.</summary>
    public bool JudgesBytes => _valueTests.Count > 0 || _headerTests.Count > 0;

    /// <summary>The paths of those conditions, after $_ ("Attributes.ifname", "Attributes.linkinfo.kind", "Header.index"), each once.</summary>
    public IEnumerable<string> ValuePaths => _valueTests.Select(t => "Attributes." + string.Join('.', t.Path))
        .Concat(_headerTests.Select(t => "Header." + t.Field)).Distinct(StringComparer.OrdinalIgnoreCase);

    // Made once per protocol and type (AttributeValueProbe.Undecided where the bytes cannot be judged).
    private readonly AttributeValueProbe?[]?[] _probes = new AttributeValueProbe?[]?[32];

    /// <summary>
    /// False when a message whose type may pass cannot, by its bytes: a condition on an attribute's value
    /// ($_.Attributes.ifname -eq 'd0', $_.Attributes.linkinfo.kind -in 'veth','vxlan'; -eq, -like, -match, -in, -contains)
    /// fails for every attribute at that path the message holds, or it holds none. Such a message is skipped as one of a
    /// type that cannot pass is (what it teaches is learned from its bytes). Judged only where that is exact
    /// (<see cref="AttributeValueProbe"/>); true elsewhere.
    /// </summary>
    /// <param name="families">The stream's generic netlink family ids (generic netlink is judged by family and command).</param>
    public bool MayMatchBytes(NetlinkProtocol protocol, in RawMessage raw, ByteOrder order, GenericFamilyRegistry? families = null)
    {
        ushort type = raw.Header.Type;
        if (!JudgesBytes || type < Nl.NLMSG_MIN_TYPE || (uint)protocol >= (uint)_probes.Length) return true;
        if (protocol == NetlinkProtocol.Generic) return GenericProbe(raw, families).MayPass(raw.Bytes.Span, order);
        ref var byType = ref _probes[(int)protocol];
        if (byType is null || type >= byType.Length) Array.Resize(ref byType, Math.Max(type + 1, 64));
        var probe = byType[type] ??= MakeProbe(protocol, type);
        return probe.MayPass(raw.Bytes.Span, order);
    }

    private AttributeValueProbe MakeProbe(NetlinkProtocol protocol, ushort type)
    {
        switch (Schemas.For(protocol))
        {
            case TypeTableSchema { ResolvesByTypeAlone: true } schema:
                return schema.SpecByTypeAlone(type) is { } spec && SkippingIsExact(schema, protocol, type) && MessageLayout.Of(spec) is { } layout
                    ? AttributeValueProbe.For(layout, _valueTests, _headerTests) : AttributeValueProbe.Undecided;
            case NetfilterSchema netfilter:
                // The type picks the layout but for a variant an attribute's value chooses: the probe needs every
                // variant's set to agree. Exact where the observer learns what the type teaches from its bytes
                // (pending GETs; not NEWSET's set types) and no acknowledgement may pass.
                return Schemas.ObserverFor(protocol)?.LearnsFrom(type) != Learning.OnlyWhenDecoded && !AcknowledgementMayPass
                    && netfilter.Layout(type) is { } variants
                    ? AttributeValueProbe.For(variants, _valueTests, _headerTests) : AttributeValueProbe.Undecided;
            default:
                return AttributeValueProbe.Undecided;
        }
    }

    // Generic netlink's: by family id and command, while the stream's ids mean the same families.
    private readonly Dictionary<int, AttributeValueProbe> _genericProbes = new();
    private GenericFamilyRegistry? _probedFamilies;
    private int _probedVersion;

    /// <summary>
    /// The probe for a generic netlink message: its family (as the stream named its id) and command (genlmsghdr.cmd)
    /// give the layout. Never for nlctrl, which teaches the family ids and is always decoded; skipping the others is
    /// exact as it is for -Filter's family test (<see cref="MayMatchFamily"/>), unless an acknowledgement may pass.
    /// </summary>
    private AttributeValueProbe GenericProbe(in RawMessage raw, GenericFamilyRegistry? families)
    {
        var bytes = raw.Bytes.Span;
        ushort id = raw.Header.Type;
        if (families is null || id == Nl.GENL_ID_CTRL || bytes.Length <= Nl.HeaderLength || AcknowledgementMayPass)
            return AttributeValueProbe.Undecided;
        if (!ReferenceEquals(families, _probedFamilies) || families.Version != _probedVersion)
        {
            _genericProbes.Clear();
            (_probedFamilies, _probedVersion) = (families, families.Version);
        }
        int cmd = bytes[Nl.HeaderLength];
        int key = id << 8 | cmd;
        if (!_genericProbes.TryGetValue(key, out var probe))
            _genericProbes[key] = probe = GenericSchema.Instance.Layout(GenericSchema.FamilyName(families, id), cmd) is { } layout
                ? AttributeValueProbe.For(layout, _valueTests, _headerTests) : AttributeValueProbe.Undecided;
        return probe;
    }

    /// <summary>
    /// Whether leaving a message of this type undecoded changes nothing about the messages that pass: nothing an
    /// observer would learn from this type only by decoding it (rtnetlink learns interface names from link messages'
    /// bytes, which the decoder hands it undecoded), and no request an acknowledgement that may pass would be named
    /// by (the decoder remembers requests for ACKs).
    /// </summary>
    private bool SkippingIsExact(TypeTableSchema schema, NetlinkProtocol protocol, ushort type) =>
        Schemas.ObserverFor(protocol)?.LearnsFrom(type) != Learning.OnlyWhenDecoded
        && !(type >= Nl.NLMSG_MIN_TYPE && AcknowledgementMayPass);

    // Decided once per protocol and type: 0 not yet, 1 no, 2 maybe.
    private readonly byte[]?[] _decided = new byte[]?[32];

    /// <summary>False when a message of this protocol and type cannot pass the filter, whatever its bytes.</summary>
    public bool MayMatch(NetlinkProtocol protocol, ushort type)
    {
        if (IsEmpty || (uint)protocol >= (uint)_decided.Length) return true;
        var decided = _decided[(int)protocol] ??= new byte[ushort.MaxValue + 1];
        if (decided[type] == 0) decided[type] = Decide(protocol, type) ? (byte)2 : (byte)1;
        return decided[type] == 2;
    }

    private bool Decide(NetlinkProtocol protocol, ushort type)
    {
        switch (Schemas.For(protocol))
        {
            case TypeTableSchema { ResolvesByTypeAlone: true } schema:
                return MayPass(schema, type) || !SkippingIsExact(schema, protocol, type);
            case { } other:
                return type < Nl.NLMSG_MIN_TYPE || MayPassInProtocol(protocol, other);
            default:
                return true;
        }
    }

    // Per protocol: 0 not yet, 1 no message of it can pass, 2 some may.
    private readonly byte[] _protocolDecided = new byte[32];

    /// <summary>
    /// For protocols whose layout the type alone does not always pick (netfilter's variants, sock_diag's families):
    /// whether any of its messages may pass. Decided for the whole protocol, never per type: then skipping its data
    /// messages is exact, since what its observer learns from them serves only messages of the same protocol, none of
    /// which can pass (its control messages are still decoded). Generic netlink is judged per family instead
    /// (<see cref="MayMatchFamily"/>).
    /// </summary>
    private bool MayPassInProtocol(NetlinkProtocol protocol, IProtocolSchema schema)
    {
        if (protocol == NetlinkProtocol.Generic) return true;
        ref byte decided = ref _protocolDecided[(int)protocol];
        if (decided == 0)
        {
            var layouts = schema.KnownTypes.SelectMany(t => schema.LayoutsOf(t.Type)?.Select(l => (l.Name, (MessageSpec?)l))
                                                             ?? new[] { (t.Name, (MessageSpec?)null) });
            decided = AcknowledgementMayPass || AnyMayPass(layouts, typesWithoutName: true) ? (byte)2 : (byte)1;
        }
        return decided == 2;
    }

    private readonly Dictionary<string, bool> _familyDecided = new(StringComparer.Ordinal);

    /// <summary>
    /// False when no message of this generic netlink family (named as the stream taught its id, or "genl(N)") can
    /// pass. Its names are "family command" from the family's tables (or the family alone without tables), its
    /// attributes those of its tables. Exact: generic netlink learns only from nlctrl, which is always decoded.
    /// </summary>
    public bool MayMatchFamily(string family)
    {
        if (IsEmpty) return true;
        if (_familyDecided.TryGetValue(family, out var may)) return may;
        return _familyDecided[family] = AcknowledgementMayPass || DecideFamily(family);
    }

    private bool DecideFamily(string name)
    {
        if (!GenericSchema.Instance.Families.TryGetValue(name, out var family))
            return _attributes.Count == 0 && NameMayPass(name);   // named by the family alone, attributes numbered
        // Whether some attribute set of the family may hold them all (a command decoded by code may).
        bool holds = _attributes.Count == 0 || family.BodyByCommand.Count > 0
            || new[] { family.Attributes, family.EventAttributes }.Concat(family.AttributesByCommand.Values)
                .Concat(family.AttributesByCommandName.Values).Any(t => t is not null && TableMayHoldAll(t));
        if (!holds) return false;
        var commands = new[] { family.Commands, family.ReplyCommands, family.EventCommands }
            .SelectMany(c => c?.Values ?? Enumerable.Empty<string>());
        // An echo without genlmsghdr is named by the family alone; a command the tables lack is "family unknown(N)".
        return NameMayPass(name) || commands.Any(c => NameMayPass($"{name} {c}")) || _openTypeTests;
    }

    /// <summary>
    /// An NLMSG_ERROR that may pass is named by the request it answers: then every request must be decoded, and
    /// nothing of the protocol is skipped. It has no attributes and no family header (its Header is empty).
    /// </summary>
    private bool AcknowledgementMayPass => _attributes.Count == 0 && !_headerMustHaveValue && NameMayPass(NetlinkDecoder.ControlTypeName(Nl.NLMSG_ERROR));

    /// <summary>
    /// Whether a message laid out as one of these (its name, and its layout: null for one the schema does not tell)
    /// may pass; with <paramref name="typesWithoutName"/>, a type no table names may come too ("unknown(N)", its
    /// attributes numbered).
    /// </summary>
    private bool AnyMayPass(IEnumerable<(string Name, MessageSpec? Layout)> layouts, bool typesWithoutName) =>
        layouts.Any(l => NameMayPass(l.Name) && (l.Layout is null || MayHoldAll(l.Layout)))
        || (typesWithoutName && _attributes.Count == 0 && _openTypeTests);

    private bool NameMayPass(string name)
    {
        foreach (var test in _typeNames)
            if (!test(name)) return false;
        return true;
    }

    private bool MayPass(TypeTableSchema schema, ushort type)
    {
        // As the decoder names and lays it out: control messages have no attribute set; unknown types neither.
        var spec = type < Nl.NLMSG_MIN_TYPE ? null : schema.SpecByTypeAlone(type);
        string name = type < Nl.NLMSG_MIN_TYPE ? NetlinkDecoder.ControlTypeName(type) : spec?.Name ?? $"unknown({type})";
        return NameMayPass(name) && (_attributes.Count == 0 || (spec is not null && MayHoldAll(spec)));
    }

    /// <summary>
    /// Whether a layout may hold every attribute the filter needs: its tables name them all, or code decodes it
    /// (a body). Without a table its attributes are numbered (unknown_N), which a required name never is.
    /// </summary>
    private bool MayHoldAll(MessageSpec spec)
    {
        if (spec.Body is not null) return true;
        return spec.Attributes is { } table && TableMayHoldAll(table);
    }

    private bool TableMayHoldAll(AttributeTable table)
    {
        foreach (var key in _attributes)
            if (table.TypesNamed(key).Length == 0 && !(table.Requests?.TypesNamed(key).Length > 0) && !(table.GetRequests?.TypesNamed(key).Length > 0))
                return false;
        return true;
    }
}
