using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text;

namespace NlmonPS.Cmdlets;

/// <summary>A script block that is not one native command line: says why, and what to write instead.</summary>
internal sealed class NativeCommandLineException : Exception
{
    public NativeCommandLineException(string message) : base(message) { }
}

/// <summary>
/// The program and argv that Trace-NetlinkCommand runs for a script block. The script block is never run by
/// PowerShell and never handed to a shell: its syntax tree must be exactly one native command invocation
/// (a program name or path and its arguments, what one types at the prompt), and the arguments become argv
/// the way PowerShell would pass them to that program:
///   * barewords and quoted strings as written (<c>-d</c>, <c>link</c>, <c>10.0.0.1/24</c>, <c>'a b'</c>);
///   * numbers as typed (<c>-4</c>, <c>0x10</c>);
///   * variables, "expandable $strings", $(subexpressions) and (expressions) evaluated in the caller's scope;
///     an array value gives one argument per element, $null gives none, an array literal written in place
///     (<c>a,b</c>) gives one comma-joined argument; <c>@splat</c> of an array gives its elements;
///   * <c>-name:value</c> gives "-name:value";
///   * any argument but a quoted string (barewords, variables, $(...)) with wildcards (<c>*.conf</c>) gives the files
///     it matches (none: the word as written), and <c>~</c> or <c>~/x</c> gives the home directory, as pwsh expands
///     them for programs on Unix (<see cref="BarewordExpansion"/>).
/// Refused, with an error that says how to write it: several statements, pipelines, redirections, the
/// stop-parsing token, dot-sourcing, and names that PowerShell resolves to something other than a program
/// (cmdlets, functions, aliases of those, scripts): Trace-NetlinkCommand traces native programs.
/// </summary>
internal sealed class NativeCommandLine
{
    /// <summary>How to trace this text as a shell command line (quoted for sh -c, as the user wrote it).</summary>
    private static string ShellHint(string text)
    {
        var quoted = "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
        return $"To trace a shell command line, run the shell: Trace-NetlinkCommand {{ sh -c {quoted} }}, or -FilePath sh -ArgumentList '-c', {quoted}.";
    }

    public NativeCommandLine(string program, IReadOnlyList<string> arguments, string? resolvedPath = null)
    {
        Program = program;
        Arguments = arguments;
        ResolvedPath = resolvedPath;
    }

    /// <summary>The program as written (a name looked up in PATH, or a path).</summary>
    public string Program { get; }

    /// <summary>The full path PowerShell resolved the name to, when it did.</summary>
    public string? ResolvedPath { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The command line as a POSIX shell would read it back (for messages and Source).</summary>
    public override string ToString() => string.Join(" ", new[] { Program }.Concat(Arguments).Select(ShellQuote));

    public static string ShellQuote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%^".Contains(c)))
            return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>
    /// Reads the command line out of <paramref name="scriptBlock"/>. <paramref name="evaluate"/> runs a piece of
    /// PowerShell (an argument expression) in the caller's scope; <paramref name="resolve"/> says what PowerShell
    /// would run for a command name among the given command types (null when nothing).
    /// </summary>
    /// <exception cref="NativeCommandLineException">The script block is not one native command line.</exception>
    /// <param name="expand">What an unquoted word becomes (<see cref="BarewordExpansion"/>); null leaves words as written.</param>
    public static NativeCommandLine FromScriptBlock(ScriptBlock scriptBlock, Func<string, IEnumerable<object?>> evaluate,
        Func<string, CommandTypes, CommandInfo?> resolve, Func<string, IReadOnlyList<string>?>? expand = null)
    {
        var ast = scriptBlock.Ast as ScriptBlockAst
            ?? throw new NativeCommandLineException("The script block has no syntax tree to read a command line from.");
        if (ast.ParamBlock is not null || ast.BeginBlock is not null || ast.ProcessBlock is not null || ast.DynamicParamBlock is not null)
            throw new NativeCommandLineException("The script block must hold one native command line, without param(), begin, process or dynamicparam blocks.");
        var statements = ast.EndBlock?.Statements ?? (IReadOnlyList<StatementAst>)Array.Empty<StatementAst>();
        if (ast.EndBlock?.Traps is { Count: > 0 })
            throw new NativeCommandLineException("The script block must hold one native command line, without trap statements.");
        if (statements.Count == 0)
            throw new NativeCommandLineException("The script block is empty: give the command to trace, e.g. Trace-NetlinkCommand { ip link show }.");
        if (statements.Count > 1)
            throw new NativeCommandLineException($"The script block holds {statements.Count} statements; Trace-NetlinkCommand traces one command line. {ShellHint(ast.EndBlock!.Extent.Text)}");
        if (statements[0] is not PipelineAst pipeline)
            throw new NativeCommandLineException($"'{statements[0].Extent.Text}' is a PowerShell statement, not a command line. {ShellHint("ip link | grep UP")}");
        if (pipeline.PipelineElements.Count != 1)
            throw new NativeCommandLineException($"'{pipeline.Extent.Text}' is a pipeline; Trace-NetlinkCommand traces one program. {ShellHint(pipeline.Extent.Text)}");
        if (pipeline.PipelineElements[0] is not CommandAst command)
            throw new NativeCommandLineException($"'{pipeline.Extent.Text}' is an expression, not a command line: give a program and its arguments, e.g. {{ ip link show }}.");
        if (command.Redirections.Count > 0)
            throw new NativeCommandLineException($"Redirections ('{command.Redirections[0].Extent.Text}') are not supported: the traced command's output goes to the Information stream (-CommandOutput chooses). {ShellHint(command.Extent.Text)}");
        if (command.InvocationOperator == TokenKind.Dot)
            throw new NativeCommandLineException("Dot-sourcing runs PowerShell code; give a native program: { ip link show } or { & $program args }.");

        var elements = command.CommandElements;
        string program = ProgramName(elements[0], evaluate, out CommandInfo? fromExpression);
        string? resolvedPath = null;
        var info = fromExpression ?? (program.Contains('/') ? null : resolve(program, CommandTypes.All));
        if (info is AliasInfo alias && alias.ResolvedCommand is { } target && target.CommandType == CommandTypes.Application)
            info = target;
        switch (info)
        {
            case null:
                break; // not found: the tracer reports it with the PATH it searched
            case ApplicationInfo app:
                resolvedPath = app.Path;
                break;
            default:
                string what = info is AliasInfo a ? $"alias of {a.Definition}" : info.CommandType.ToString().ToLowerInvariant();
                string hint = resolve(program, CommandTypes.Application) is ApplicationInfo shadowed
                    ? $" To trace the program {shadowed.Path}, write its path ({{ {shadowed.Path} ... }}) or use -FilePath {program}."
                    : "";
                throw new NativeCommandLineException($"'{program}' is a PowerShell {what}, not a native program: Trace-NetlinkCommand traces native programs.{hint}");
        }

        var arguments = new List<string>();
        for (int i = 1; i < elements.Count; i++) AddArgument(elements[i], arguments, evaluate, expand);
        return new NativeCommandLine(program, arguments, resolvedPath);
    }

    private static string ProgramName(CommandElementAst element, Func<string, IEnumerable<object?>> evaluate, out CommandInfo? info)
    {
        info = null;
        if (element is StringConstantExpressionAst constant) return constant.Value;
        if (element is not ExpressionAst)
            throw new NativeCommandLineException($"'{element.Extent.Text}' is not a program name.");
        var values = Flatten(evaluate(element.Extent.Text)).ToList();
        if (values.Count != 1 || values[0] is null)
            throw new NativeCommandLineException($"'{element.Extent.Text}' does not give one program name (it gives {values.Count} values).");
        if (values[0] is CommandInfo ci)
        {
            info = ci;
            return ci is ApplicationInfo app ? app.Path : ci.Name;
        }
        var name = ToArgument(values[0]);
        if (string.IsNullOrEmpty(name)) throw new NativeCommandLineException($"'{element.Extent.Text}' gives an empty program name.");
        return name;
    }

    private static void AddArgument(CommandElementAst element, List<string> arguments, Func<string, IEnumerable<object?>> evaluate,
        Func<string, IReadOnlyList<string>?>? expand)
    {
        switch (element)
        {
            case CommandParameterAst parameter:
                if (parameter.Argument is null)
                {
                    arguments.Add(parameter.Extent.Text);
                }
                else
                {
                    var value = string.Join(",", Flatten(ValuesOf(parameter.Argument, evaluate)).Select(ToArgument));
                    // -o:~/x: the value is expanded as an argument of its own would be (when it gives one word).
                    if (expand is not null && !IsQuoted(parameter.Argument) && expand(value) is { Count: 1 } one) value = one[0];
                    arguments.Add("-" + parameter.ParameterName + ":" + value);
                }
                return;
            case StringConstantExpressionAst s when s.Value == "--%":
                throw new NativeCommandLineException("The stop-parsing token --% is not supported: write the arguments as PowerShell arguments, or use -FilePath and -ArgumentList.");
            case ExpressionAst expression:
                var values = ArgumentsOf(expression, evaluate);
                // pwsh expands every argument but a quoted string: barewords, variables, $(...), (...).
                arguments.AddRange(expand is null || IsQuoted(expression) ? values : values.SelectMany(v => expand(v) ?? new[] { v }));
                return;
            default:
                throw new NativeCommandLineException($"'{element.Extent.Text}' cannot be passed to a native program.");
        }
    }

    private static IEnumerable<string> ArgumentsOf(ExpressionAst expression, Func<string, IEnumerable<object?>> evaluate)
    {
        switch (expression)
        {
            case StringConstantExpressionAst s:
                return new[] { s.Value };
            case ConstantExpressionAst c:
                return new[] { c.Extent.Text }; // a number as typed: 0x10 stays 0x10
            case ArrayLiteralAst array:
                // Written in place (a,b): PowerShell passes one comma-joined argument.
                return new[] { string.Join(",", array.Elements.SelectMany(e => ArgumentsOf(e, evaluate))) };
            case VariableExpressionAst { Splatted: true } v:
                var splat = Flatten(evaluate("$" + v.VariablePath.UserPath)).ToList();
                if (splat.Count == 1 && splat[0] is IDictionary table)
                    return table.Cast<DictionaryEntry>().Select(e => "-" + ToArgument(e.Key) + ":" + ToArgument(e.Value));
                return splat.Where(o => o is not null).Select(ToArgument);
            case ScriptBlockExpressionAst:
                throw new NativeCommandLineException($"A script block argument ({expression.Extent.Text}) cannot be passed to a native program.");
            default:
                return Flatten(ValuesOf(expression, evaluate)).Where(o => o is not null).Select(ToArgument);
        }
    }

    private static IEnumerable<object?> ValuesOf(ExpressionAst expression, Func<string, IEnumerable<object?>> evaluate) => expression switch
    {
        StringConstantExpressionAst s => new object?[] { s.Value },
        ConstantExpressionAst c => new object?[] { c.Extent.Text },
        // An unquoted word with variables in it ($HOME/x, $dir/*.conf) is a string PowerShell expands: read as
        // written it would be an expression ($HOME / x).
        ExpandableStringExpressionAst { StringConstantType: StringConstantType.BareWord } word =>
            evaluate("\"" + word.Extent.Text.Replace("\"", "`\"", StringComparison.Ordinal) + "\""),
        _ => evaluate(expression.Extent.Text),
    };

    /// <summary>A quoted string ('a*', "$x*"): pwsh passes it as it is; everything else it expands.</summary>
    private static bool IsQuoted(ExpressionAst e) =>
        e is StringConstantExpressionAst { StringConstantType: not StringConstantType.BareWord }
            or ExpandableStringExpressionAst { StringConstantType: not StringConstantType.BareWord };

    /// <summary>Arrays and lists become their elements (PowerShell passes each as an argument); strings stay whole.</summary>
    private static IEnumerable<object?> Flatten(IEnumerable<object?> values)
    {
        foreach (var raw in values)
        {
            var value = raw is PSObject ps ? ps.BaseObject : raw;
            if (value is string or IDictionary or null || value is not IEnumerable enumerable)
            {
                yield return value;
                continue;
            }
            foreach (var item in enumerable) yield return item is PSObject p ? p.BaseObject : item;
        }
    }

    private static string ToArgument(object? value) => value switch
    {
        null => "",
        string s => s,
        _ => LanguagePrimitives.ConvertTo<string>(value) ?? "", // invariant culture, as PowerShell passes it
    };

    /// <summary>
    /// pwsh's expansion of an argument passed to a program on Unix (NativeCommandParameterBinder.PossiblyGlobArg): with
    /// wildcards, the file-system paths it matches, relative when the word was (none, or a location outside the file
    /// system: null, the word stays as written); else <c>~</c> and <c>~/...</c> with the home directory.
    /// </summary>
    public static Func<string, IReadOnlyList<string>?> BarewordExpansion(SessionState session) => word =>
    {
        if (WildcardPattern.ContainsWildcardCharacters(word))
        {
            var here = session.Path.CurrentLocation;
            if (!here.Provider.Name.Equals("FileSystem", StringComparison.OrdinalIgnoreCase)) return null;
            System.Collections.ObjectModel.Collection<PSObject> items;
            // As pwsh: whatever the provider says (a bad pattern, no access), the word is passed as written.
            try { items = session.InvokeProvider.ChildItem.Get(word, false); }
            catch (Exception e) when (e is not (OutOfMemoryException or PipelineStoppedException)) { return null; }
            if (items.Count == 0 || !items.All(i => i.BaseObject is FileSystemInfo)) return null;
            bool relative = !(word.StartsWith('~') || word.StartsWith('/'));
            return items.Select(i => ((FileSystemInfo)i.BaseObject).FullName)
                .Select(path => relative ? session.Path.NormalizeRelativePath(path, here.ProviderPath) : path).ToList();
        }
        if (word != "~" && !word.StartsWith("~/", StringComparison.Ordinal)) return null;
        var home = session.Provider.GetOne("FileSystem").Home;
        return string.IsNullOrEmpty(home) ? null : new[] { home + word[1..] };
    };

    /// <summary>For messages: the command line of -FilePath/-ArgumentList.</summary>
    public static string Describe(string program, IEnumerable<string> arguments)
    {
        var text = new StringBuilder(ShellQuote(program));
        foreach (var a in arguments) text.Append(' ').Append(ShellQuote(a));
        return text.ToString();
    }
}
