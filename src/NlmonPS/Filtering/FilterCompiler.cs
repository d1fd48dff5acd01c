using System.Collections;
using System.Linq.Expressions;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Reflection;
using System.Text.RegularExpressions;
using NlmonPS.Decoding;

namespace NlmonPS.Filtering;

/// <summary>
/// Compiles a Where-Object script block ({ $_.Attributes.ifname -like 'veth*' -and -not $_.Error }) once, from its
/// syntax tree, into a tree of small evaluators that run for each message inside the reader. What it compiles:
/// property paths from $_ / $PSItem (through the message, Header, Attributes at any depth, Error, any property);
/// constants, arrays of them and variables; -eq -ne -gt -ge -lt -le, -like -notlike, -match -notmatch, -contains
/// -notcontains, -in -notin (each with its c/i variants), -and -or -xor -not ! and parentheses. Anything else is
/// not compiled: the caller runs the script block instead.
/// </summary>
/// <remarks>
/// The semantics are PowerShell's (see <see cref="PowerShellOperators"/>). Member access follows the engine's
/// binder: a dictionary (a set of fields) answers a key before a property, a missing member is $null. Where a
/// value is something this compiler does not model (a collection to enumerate members over, a method), the
/// evaluator answers <see cref="Undecided"/> and that one message is judged by the script block.
/// </remarks>
internal static class FilterCompiler
{
    /// <summary>The answer of an evaluator that cannot decide for this message: run the script block for it.</summary>
    public static readonly object Undecided = new();

    internal abstract class Node
    {
        public abstract object? Eval(NetlinkMessage m);
    }

    /// <summary>Why a block cannot be compiled (for -Verbose).</summary>
    internal sealed class NotCompilable(string reason) : Exception(reason);

    /// <summary>The compiled filter, or throws <see cref="NotCompilable"/> naming what it does not compile.</summary>
    public static Node Compile(ScriptBlock block, Func<string, object?> variable)
    {
        if (!PowerShellOperators.Available) throw new NotCompilable("this PowerShell has no comparison binder to compile with");
        if (block.Ast is not ScriptBlockAst sb) throw new NotCompilable("the block has no syntax tree");
        if (sb.ParamBlock is not null || sb.BeginBlock is not null || sb.ProcessBlock is not null || sb.DynamicParamBlock is not null
            || sb.EndBlock is null || sb.EndBlock.Traps is { Count: > 0 } || sb.UsingStatements is { Count: > 0 })
            throw new NotCompilable("the block has a param, begin, process or trap block");
        if (sb.EndBlock.Statements.Count != 1) throw new NotCompilable("the block is not one expression");
        return new Compiler(variable).Statement(sb.EndBlock.Statements[0]);
    }

    private sealed class Compiler(Func<string, object?> variable)
    {
        public Node Statement(StatementAst statement) => statement switch
        {
            PipelineAst { PipelineElements.Count: 1 } p when p.PipelineElements[0] is CommandExpressionAst { Redirections.Count: 0 } c
                => Expression(c.Expression),
            _ => throw new NotCompilable($"'{Short(statement)}' is not an expression"),
        };

        private Node Expression(ExpressionAst e) => e switch
        {
            BinaryExpressionAst b => Binary(b),
            UnaryExpressionAst { TokenKind: TokenKind.Not or TokenKind.Exclaim } u => new NotNode(Expression(u.Child)),
            ParenExpressionAst p => Statement(p.Pipeline),
            MemberExpressionAst m => Member(m),
            VariableExpressionAst v => Variable(v),
            StringConstantExpressionAst s => new Constant(s.Value),
            ConstantExpressionAst c => new Constant(c.Value),
            ArrayLiteralAst a => new Constant(a.Elements.Select(ConstantValue).ToArray()),
            ArrayExpressionAst { SubExpression.Statements.Count: 1 } a
                when a.SubExpression.Statements[0] is PipelineAst { PipelineElements.Count: 1 } p
                  && p.PipelineElements[0] is CommandExpressionAst { Redirections.Count: 0 } c
                => new Constant(ConstantValue(c.Expression) is var v && PowerShellOperators.IsCollection(v) ? ((IEnumerable)v!).Cast<object?>().ToArray() : new[] { v }),
            _ => throw new NotCompilable($"'{Short(e)}' is not a property path, constant or comparison"),
        };

        private object? ConstantValue(ExpressionAst e) => e switch
        {
            StringConstantExpressionAst s => s.Value,
            ConstantExpressionAst c => c.Value,
            ArrayLiteralAst a => a.Elements.Select(ConstantValue).ToArray(),
            VariableExpressionAst v when v.VariablePath.UserPath is var n && (IsNamed(n, "true") || IsNamed(n, "false") || IsNamed(n, "null"))
                => IsNamed(n, "true") ? true : IsNamed(n, "false") ? false : null,
            _ => throw new NotCompilable($"'{Short(e)}' is not a constant"),
        };

        private Node Variable(VariableExpressionAst v)
        {
            var path = v.VariablePath;
            if (v.Splatted || !(path.IsUnqualified || path.IsScript || path.IsGlobal || path.IsLocal))
                throw new NotCompilable($"'{v.Extent.Text}' is not a plain variable");
            var name = path.IsUnqualified ? path.UserPath : path.UserPath[(path.UserPath.IndexOf(':') + 1)..];
            bool current = path.IsUnqualified || path.IsLocal;   // $_ and $local:_ are the block's own; $script:_ is not
            if (IsNamed(name, "_") || IsNamed(name, "PSItem"))
                return current ? new Root() : throw new NotCompilable($"'{v.Extent.Text}' is not the message");
            if (current && IsNamed(name, "true")) return new Constant(true);
            if (current && IsNamed(name, "false")) return new Constant(false);
            if (current && IsNamed(name, "null")) return new Constant(null);
            if (SetByTheBlock.Any(n => IsNamed(name, n)) || name.StartsWith("args", StringComparison.OrdinalIgnoreCase))
                throw new NotCompilable($"'{v.Extent.Text}' is set by the script block itself");
            return new VariableNode(path.UserPath, variable);
        }

        // Automatic variables a script block has its own value of (its invocation, its file, its last status), which
        // the reader would read from the caller instead.
        private static readonly string[] SetByTheBlock =
            { "this", "input", "Matches", "MyInvocation", "PSCommandPath", "PSScriptRoot", "?", "^", "$", "PSDebugContext", "foreach", "switch" };

        private static bool IsNamed(string name, string wanted) => string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase);

        private Node Member(MemberExpressionAst m)
        {
            if (m.Static || m is InvokeMemberExpressionAst || m.Member is not StringConstantExpressionAst name)
                throw new NotCompilable($"'{Short(m)}' is not a property path");
            var target = Expression(m.Expression);
            var step = new MemberStep(name.Value);
            if (target is Root && step.OnMessage is null)
                throw new NotCompilable($"'{name.Value}' is not a property of a netlink message");
            return new MemberNode(target, step);
        }

        private Node Binary(BinaryExpressionAst b)
        {
            var op = b.Operator;
            switch (op)
            {
                case TokenKind.And: return new AndNode(Expression(b.Left), Expression(b.Right));
                case TokenKind.Or: return new OrNode(Expression(b.Left), Expression(b.Right));
                case TokenKind.Xor: return new XorNode(Expression(b.Left), Expression(b.Right));
            }
            var left = Expression(b.Left);
            var right = Expression(b.Right);
            switch (op)
            {
                case TokenKind.Ieq or TokenKind.Ceq: return Compare(ExpressionType.Equal, op == TokenKind.Ieq);
                case TokenKind.Ine or TokenKind.Cne: return Compare(ExpressionType.NotEqual, op == TokenKind.Ine);
                case TokenKind.Igt or TokenKind.Cgt: return Compare(ExpressionType.GreaterThan, op == TokenKind.Igt);
                case TokenKind.Ige or TokenKind.Cge: return Compare(ExpressionType.GreaterThanOrEqual, op == TokenKind.Ige);
                case TokenKind.Ilt or TokenKind.Clt: return Compare(ExpressionType.LessThan, op == TokenKind.Ilt);
                case TokenKind.Ile or TokenKind.Cle: return Compare(ExpressionType.LessThanOrEqual, op == TokenKind.Ile);
                case TokenKind.Ilike or TokenKind.Clike or TokenKind.Inotlike or TokenKind.Cnotlike:
                {
                    bool ignoreCase = op is TokenKind.Ilike or TokenKind.Inotlike;
                    var pattern = new WildcardPattern(PowerShellOperators.ToStringParser(ConstantOf(right, b.Right)),
                        ignoreCase ? WildcardOptions.IgnoreCase : WildcardOptions.None);
                    return new LikeNode(left, pattern, op is TokenKind.Inotlike or TokenKind.Cnotlike);
                }
                case TokenKind.Imatch or TokenKind.Cmatch or TokenKind.Inotmatch or TokenKind.Cnotmatch:
                {
                    var rval = ConstantOf(right, b.Right);
                    Regex regex;
                    try
                    {
                        regex = rval as Regex ?? new Regex(PowerShellOperators.ToStringParser(rval),
                            op is TokenKind.Imatch or TokenKind.Inotmatch ? RegexOptions.IgnoreCase : RegexOptions.None);
                    }
                    catch (ArgumentException e)
                    {
                        throw new NotCompilable($"'{b.Right.Extent.Text}' is not a regular expression ({e.Message})");
                    }
                    return new MatchNode(left, regex, op is TokenKind.Inotmatch or TokenKind.Cnotmatch);
                }
                case TokenKind.Icontains or TokenKind.Ccontains:
                    return new ContainsNode(left, right, Scalar(op == TokenKind.Icontains), false);
                case TokenKind.Inotcontains or TokenKind.Cnotcontains:
                    return new ContainsNode(left, right, Scalar(op == TokenKind.Inotcontains), true);
                case TokenKind.Iin or TokenKind.Cin:
                    return new ContainsNode(right, left, Scalar(op == TokenKind.Iin), false);
                case TokenKind.Inotin or TokenKind.Cnotin:
                    return new ContainsNode(right, left, Scalar(op == TokenKind.Inotin), true);
            }
            throw new NotCompilable($"the operator -{b.Operator.ToString().ToLowerInvariant()} is not compiled");

            Node Compare(ExpressionType type, bool ignoreCase) => new CompareNode(left, right, PowerShellOperators.Comparison(type, ignoreCase));
            static Func<object?, object?, object?> Scalar(bool ignoreCase) => PowerShellOperators.Comparison(ExpressionType.Equal, ignoreCase, scalarCompare: true);
        }

        /// <summary>A -like pattern or -match expression is compiled once: it must be a constant (as PowerShell precompiles constant patterns).</summary>
        private static object? ConstantOf(Node node, ExpressionAst ast) =>
            node is Constant c ? c.Value : throw new NotCompilable($"the pattern '{ast.Extent.Text}' is not a constant");

        private static string Short(Ast ast) => ast.Extent.Text.Length <= 60 ? ast.Extent.Text : ast.Extent.Text[..57] + "...";
    }

    // ---- Evaluators. Each answers a value (boxed), or Undecided.

    private sealed class Root : Node
    {
        public override object? Eval(NetlinkMessage m) => m;
    }

    private sealed class Constant(object? value) : Node
    {
        public readonly object? Value = value;
        public override object? Eval(NetlinkMessage m) => Value;
    }

    /// <summary>A variable of the caller's scope, read for each message as the script block would.</summary>
    private sealed class VariableNode(string name, Func<string, object?> read) : Node
    {
        public override object? Eval(NetlinkMessage m) => read(name);
    }

    private sealed class NotNode(Node operand) : Node
    {
        public override object? Eval(NetlinkMessage m) =>
            operand.Eval(m) is var v && v == Undecided ? v : PowerShellOperators.Box(!PowerShellOperators.IsTrue(v));
    }

    private sealed class AndNode(Node left, Node right) : Node
    {
        public override object? Eval(NetlinkMessage m)
        {
            var l = left.Eval(m);
            if (l == Undecided) return l;
            if (!PowerShellOperators.IsTrue(l)) return PowerShellOperators.False;
            var r = right.Eval(m);
            return r == Undecided ? r : PowerShellOperators.Box(PowerShellOperators.IsTrue(r));
        }
    }

    private sealed class OrNode(Node left, Node right) : Node
    {
        public override object? Eval(NetlinkMessage m)
        {
            var l = left.Eval(m);
            if (l == Undecided) return l;
            if (PowerShellOperators.IsTrue(l)) return PowerShellOperators.True;
            var r = right.Eval(m);
            return r == Undecided ? r : PowerShellOperators.Box(PowerShellOperators.IsTrue(r));
        }
    }

    private sealed class XorNode(Node left, Node right) : Node
    {
        public override object? Eval(NetlinkMessage m)
        {
            var l = left.Eval(m);
            if (l == Undecided) return l;
            var r = right.Eval(m);
            return r == Undecided ? r : PowerShellOperators.Box(PowerShellOperators.IsTrue(l) ^ PowerShellOperators.IsTrue(r));
        }
    }

    private sealed class CompareNode(Node left, Node right, Func<object?, object?, object?> compare) : Node
    {
        public override object? Eval(NetlinkMessage m)
        {
            var l = left.Eval(m);
            if (l == Undecided) return l;
            var r = right.Eval(m);
            return r == Undecided ? r : compare(l, r);
        }
    }

    private sealed class LikeNode(Node left, WildcardPattern pattern, bool not) : Node
    {
        public override object? Eval(NetlinkMessage m) =>
            left.Eval(m) is var l && l == Undecided ? l : PowerShellOperators.Like(l, pattern, not);
    }

    private sealed class MatchNode(Node left, Regex regex, bool not) : Node
    {
        public override object? Eval(NetlinkMessage m) =>
            left.Eval(m) is var l && l == Undecided ? l : PowerShellOperators.Match(l, regex, not);
    }

    private sealed class ContainsNode(Node collection, Node value, Func<object?, object?, object?> scalarEquals, bool not) : Node
    {
        public override object? Eval(NetlinkMessage m)
        {
            var c = collection.Eval(m);
            if (c == Undecided) return c;
            var v = value.Eval(m);
            return v == Undecided ? v : PowerShellOperators.Box(PowerShellOperators.Contains(c, v, scalarEquals) ^ not);
        }
    }

    private sealed class MemberNode(Node target, MemberStep step) : Node
    {
        public override object? Eval(NetlinkMessage m) => target.Eval(m) is var t && t == Undecided ? t : step.Get(t);
    }

    /// <summary>
    /// One `.Name` step, resolved once per type it may meet: the message, its error, a field, a set of fields (a key
    /// first, as the engine's binder reads dictionaries, then a property of the set). Other values go through
    /// PowerShell's own member lookup (PSObject); collections and methods are left to the script block.
    /// </summary>
    private sealed class MemberStep
    {
        private readonly string _name;
        public readonly Func<object, object?>? OnMessage;
        private readonly Func<object, object?>? _onError, _onField, _onFields;
        private readonly bool _messageUndecided, _errorUndecided, _fieldUndecided, _fieldsUndecided;

        // Count and Length answer on any object (1) and on $null (0) in PowerShell: left to the script block.
        private readonly bool _intrinsic;

        public MemberStep(string name)
        {
            _name = name;
            _intrinsic = name.Equals("Count", StringComparison.OrdinalIgnoreCase) || name.Equals("Length", StringComparison.OrdinalIgnoreCase);
            OnMessage = Accessor(new NetlinkMessage(), name, out _messageUndecided);
            _onError = Accessor(new NetlinkError(), name, out _errorUndecided);
            _onField = Accessor(new NetlinkField("", null, 0, 0, 0, ValueKind.Binary), name, out _fieldUndecided);
            _onFields = Accessor(new NetlinkFields(0), name, out _fieldsUndecided);
            if (_messageUndecided) OnMessage = null;
            else OnMessage ??= static _ => null;
        }

        public object? Get(object? target)
        {
            switch (target)
            {
                case null: return _intrinsic ? Undecided : null;
                case NetlinkMessage: return OnMessage!(target);
                case NetlinkFields set:
                    if (set.TryGetValue(_name, out var value)) return value;
                    return _fieldsUndecided ? Undecided : _onFields?.Invoke(set);
                case NetlinkError: return _errorUndecided ? Undecided : _onError?.Invoke(target);
                case NetlinkField: return _fieldUndecided ? Undecided : _onField?.Invoke(target);
                case IEnumerable and not string and not IDictionary: return Undecided;   // member enumeration
                default:
                    // Anything else (a string, a number, an address...): PowerShell's own member lookup.
                    var member = PSObject.AsPSObject(target).Members[_name];
                    return member switch
                    {
                        null => _intrinsic ? Undecided : null,
                        PSScriptProperty or PSCodeProperty => Undecided,   // code of its own: run once, by the block
                        PSPropertyInfo p => p.Value is PSObject wrapped && wrapped.BaseObject is not PSCustomObject ? wrapped.BaseObject : p.Value,
                        _ => Undecided,
                    };
            }
        }

        /// <summary>
        /// How `.name` reads on objects of a type, as PowerShell resolves it (type data included: an alias is
        /// followed, a script or code property or a method is left undecided); null when the type has no such member.
        /// </summary>
        private static Func<object, object?>? Accessor(object sample, string name, out bool undecided)
        {
            undecided = false;
            var member = PSObject.AsPSObject(sample).Members[name];
            for (int hops = 0; member is PSAliasProperty alias && hops < 8; hops++)
                member = PSObject.AsPSObject(sample).Members[alias.ReferencedMemberName];
            if (member is null)
            {
                undecided = name.Equals("Count", StringComparison.OrdinalIgnoreCase) || name.Equals("Length", StringComparison.OrdinalIgnoreCase);
                return null;
            }
            var property = member is PSProperty ? sample.GetType().GetProperty(member.Name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) : null;
            if (property?.GetMethod is null) { undecided = true; return null; }
            return PropertyGetters.For(property);
        }
    }
}
