using System.Linq.Expressions;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;
using NlmonPS.Protocols;
using NlmonPS.Wire;

namespace NlmonPS.Filtering;

/// <summary>
/// What a filter needs of a message that its type number alone can refute, so that messages which cannot pass are
/// never decoded (as -MessageType does). Read from the conditions joined by -and at the top of the block: a test of
/// $_.TypeName that $null cannot pass (-eq, -like, -match, -in against constants), and any condition on
/// $_.Attributes.name... that $null cannot pass (the attribute must be there).
/// </summary>
/// <remarks>
/// Judged only where that is exact: protocols whose type number alone picks the layout (rtnetlink) and that learn
/// nothing from the stream (no observer: skipping a message changes nothing about the others). Everywhere else
/// every message is decoded and judged.
/// </remarks>
internal sealed class FilterRequirements
{
    private readonly List<Func<string, bool>> _typeNames = new();
    private readonly List<string> _attributes = new();

    public bool IsEmpty => _typeNames.Count == 0 && _attributes.Count == 0;

    public static FilterRequirements Of(ScriptBlock block)
    {
        var r = new FilterRequirements();
        if (block.Ast is ScriptBlockAst { EndBlock.Statements.Count: 1 } sb && Expression(sb.EndBlock.Statements[0]) is { } e)
            foreach (var condition in Conjuncts(e)) r.Learn(condition);
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
                        break;
                    case TokenKind.Ilike or TokenKind.Clike:
                        var pattern = new WildcardPattern(PowerShellOperators.ToStringParser(k),
                            b.Operator == TokenKind.Ilike ? WildcardOptions.IgnoreCase : WildcardOptions.None);
                        if (pattern.IsMatch("")) return;
                        test = v => PowerShellOperators.IsTrue(PowerShellOperators.Like(v, pattern, false));
                        break;
                    case TokenKind.Imatch or TokenKind.Cmatch:
                        Regex regex;
                        try { regex = new Regex(PowerShellOperators.ToStringParser(k), b.Operator == TokenKind.Imatch ? RegexOptions.IgnoreCase : RegexOptions.None); }
                        catch (ArgumentException) { return; }
                        if (regex.IsMatch("")) return;
                        test = v => PowerShellOperators.IsTrue(PowerShellOperators.Match(v, regex, false));
                        break;
                    default: return;
                }
                break;
            case BinaryExpressionAst { Operator: TokenKind.Iin or TokenKind.Cin } b
                when Constant(b.Right, out var list) && list is object[] items && items.All(i => i is not null && !PowerShellOperators.IsCollection(i)):
                path = b.Left;
                var scalar = PowerShellOperators.Comparison(ExpressionType.Equal, b.Operator == TokenKind.Iin, scalarCompare: true);
                test = v => PowerShellOperators.Contains(items, v, scalar);
                break;
            default:
                return;
        }
        var steps = Steps(path);
        if (steps is null || steps.Count < 1) return;
        if (steps.Count == 1 && steps[0].Equals("TypeName", StringComparison.OrdinalIgnoreCase) && test is not null)
            _typeNames.Add(name => test(name));
        // $_.Attributes.key...: $null all the way down unless the key is there. Not so for a property of the set
        // itself (Count, Names, MalformedReason) or Count/Length later on (PowerShell answers them on $null too).
        else if (steps.Count >= 2 && steps[0].Equals("Attributes", StringComparison.OrdinalIgnoreCase)
                 && typeof(NetlinkFields).GetProperty(steps[1], System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase) is null
                 && !steps.Skip(1).Any(s => s.Equals("Count", StringComparison.OrdinalIgnoreCase) || s.Equals("Length", StringComparison.OrdinalIgnoreCase))
                 && !steps[1].StartsWith("unknown_", StringComparison.OrdinalIgnoreCase))
            _attributes.Add(steps[1]);
    }

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
                if (MayPass(schema, type)) return true;
                // Skipping must change nothing about the messages that pass: nothing an observer would learn from
                // this type (rtnetlink learns interface names from link messages only), and no request an
                // acknowledgement that may pass would be named by (the decoder remembers requests for ACKs).
                if (Schemas.ObserverFor(protocol) is { } observer && observer.LearnsFrom(type)) return true;
                return type >= Nl.NLMSG_MIN_TYPE && MayPass(schema, Nl.NLMSG_ERROR);
            case { } other:
                return type < Nl.NLMSG_MIN_TYPE || MayPassInProtocol(protocol, other);
            default:
                return true;
        }
    }

    // Per protocol: 0 not yet, 1 no message of it can pass, 2 some may.
    private readonly byte[] _protocolDecided = new byte[32];

    /// <summary>
    /// For protocols whose layout the type alone does not always pick (netfilter's variants, sock_diag's families,
    /// generic netlink's dynamic ids): whether any of its messages may pass. Only an attribute that none of its known
    /// layouts names refutes a whole protocol: then skipping its data messages is exact, since what its observer
    /// learns from them serves only messages of the same protocol, none of which can pass (its control messages are
    /// still decoded). An unknown type has numbered attributes only, which a named condition cannot meet.
    /// </summary>
    private bool MayPassInProtocol(NetlinkProtocol protocol, IProtocolSchema schema)
    {
        ref byte decided = ref _protocolDecided[(int)protocol];
        if (decided == 0)
        {
            bool mayPass = _attributes.Count == 0
                || schema.KnownTypes.Any(t => schema.LayoutsOf(t.Type) is not { } layouts || layouts.Any(MayHoldAll));
            decided = mayPass ? (byte)2 : (byte)1;
        }
        return decided == 2;
    }

    private bool MayPass(TypeTableSchema schema, ushort type)
    {
        // As the decoder names and lays it out: control messages have no attribute set; unknown types neither.
        var spec = type < Nl.NLMSG_MIN_TYPE ? null : schema.SpecByTypeAlone(type);
        string name = type < Nl.NLMSG_MIN_TYPE ? NetlinkDecoder.ControlTypeName(type) : spec?.Name ?? $"unknown({type})";
        foreach (var test in _typeNames)
            if (!test(name)) return false;
        return _attributes.Count == 0 || (spec is not null && MayHoldAll(spec));
    }

    /// <summary>
    /// Whether a layout may hold every attribute the filter needs: its tables name them all, or code decodes it
    /// (a body). Without a table its attributes are numbered (unknown_N), which a required name never is.
    /// </summary>
    private bool MayHoldAll(MessageSpec spec)
    {
        if (spec.Body is not null) return true;
        if (spec.Attributes is not { } table) return false;
        foreach (var key in _attributes)
            if (table.TypesNamed(key).Length == 0 && !(table.Requests?.TypesNamed(key).Length > 0) && !(table.GetRequests?.TypesNamed(key).Length > 0))
                return false;
        return true;
    }
}
