using System.Collections;
using System.Globalization;
using System.Linq.Expressions;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace NlmonPS.Filtering;

/// <summary>
/// PowerShell's own operator semantics, for the compiled filter. The comparisons (-eq -ne -gt -ge -lt -le and the
/// element tests of -contains / -in) go through the engine's comparison binder, the very call site a compiled
/// script block makes, so conversions, case rules and collection operands are PowerShell's, not a copy of them.
/// -like and -match follow ParserOps (LikeOperator, MatchOperator) with the public WildcardPattern, Regex and
/// LanguagePrimitives. When the running engine has no such binder, <see cref="Available"/> is false and filters run
/// as script blocks.
/// </summary>
internal static class PowerShellOperators
{
    private static readonly MethodInfo? BinderGet = typeof(PSObject).Assembly
        .GetType("System.Management.Automation.Language.PSBinaryOperationBinder")
        ?.GetMethod("Get", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public, null,
            new[] { typeof(ExpressionType), typeof(bool), typeof(bool) }, null);

    /// <summary>Whether the engine's comparison binder was found (pwsh 7 and Windows PowerShell 5.1 have it).</summary>
    public static bool Available => BinderGet is not null;

    /// <summary>A call site of the engine's binder for one comparison: (left, right) -> result, as `left -op right`.</summary>
    /// <remarks>One site per operation for the process, as the engine shares its binders: the site keeps the rules it
    /// has learned (per operand types), so a filter compiled again (each pipeline) jits nothing new.</remarks>
    public static Func<object?, object?, object?> Comparison(ExpressionType operation, bool ignoreCase, bool scalarCompare = false) =>
        Sites.GetOrAdd((operation, ignoreCase, scalarCompare), static key =>
        {
            var binder = (CallSiteBinder)BinderGet!.Invoke(null, new object[] { key.Operation, key.IgnoreCase, key.ScalarCompare })!;
            var site = CallSite<Func<CallSite, object?, object?, object?>>.Create(binder);
            return (l, r) => site.Target(site, l, r);
        });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(ExpressionType Operation, bool IgnoreCase, bool ScalarCompare),
        Func<object?, object?, object?>> Sites = new();

    public static readonly object True = true, False = false;

    public static object Box(bool b) => b ? True : False;

    /// <summary>PowerShell's truth (LanguagePrimitives.IsTrue: empty strings and collections, zero and $null are false).</summary>
    public static bool IsTrue(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length != 0,
        _ => LanguagePrimitives.IsTrue(value),
    };

    /// <summary>PSObject.ToStringParser's string of a value (invariant culture, arrays joined by $OFS), as -like and -match read it.</summary>
    public static string ToStringParser(object? value) => value switch
    {
        null => string.Empty,
        string s => s,
        _ => (string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture)!,
    };

    /// <summary>-like / -notlike (ParserOps.LikeOperator): a collection yields the matching elements as strings.</summary>
    public static object Like(object? left, WildcardPattern pattern, bool not)
    {
        var list = LanguagePrimitives.GetEnumerator(left);
        if (list is null) return Box(pattern.IsMatch(ToStringParser(left)) ^ not);
        var result = new List<object?>();
        while (list.MoveNext())
        {
            var text = ToStringParser(list.Current);
            if (pattern.IsMatch(text) ^ not) result.Add(text);
        }
        return result.ToArray();
    }

    /// <summary>-match / -notmatch (ParserOps.MatchOperator, without setting $Matches): a collection yields the matching elements.</summary>
    public static object Match(object? left, Regex regex, bool not)
    {
        var list = LanguagePrimitives.GetEnumerator(left);
        if (list is null) return Box(regex.IsMatch(ToStringParser(left)) ^ not);
        var result = new List<object?>();
        while (list.MoveNext())
        {
            var value = list.Current;
            if (regex.IsMatch(ToStringParser(value)) ^ not) result.Add(value);
        }
        return result.ToArray();
    }

    /// <summary>-contains (ParserOps.ContainsOperatorCompiled): any element of the collection equals the value, by the scalar -eq.</summary>
    public static bool Contains(object? collection, object? value, Func<object?, object?, object?> scalarEquals)
    {
        var list = LanguagePrimitives.GetEnumerator(collection);
        if (list is null) return (bool)scalarEquals(collection, value)!;
        while (list.MoveNext())
            if ((bool)scalarEquals(list.Current, value)!) return true;
        return false;
    }

    /// <summary>Whether a value is something PowerShell enumerates (arrays, lists; not strings or dictionaries).</summary>
    public static bool IsCollection(object? value) => value is IEnumerable and not string and not IDictionary;
}
