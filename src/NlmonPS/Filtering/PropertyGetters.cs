using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;

namespace NlmonPS.Filtering;

/// <summary>
/// A compiled getter per property, made once for the process: reflection's GetValue is slow on a per-message path,
/// and compiling a getter costs a JIT, which every pipeline would otherwise pay again. Works for internal properties too.
/// </summary>
internal static class PropertyGetters
{
    private static readonly ConcurrentDictionary<PropertyInfo, Func<object, object?>> Made = new();

    /// <summary>(target) => target.Property, boxed.</summary>
    public static Func<object, object?> For(PropertyInfo property) => Made.GetOrAdd(property, static property =>
    {
        var target = Expression.Parameter(typeof(object));
        return Expression.Lambda<Func<object, object?>>(
            Expression.Convert(Expression.Property(Expression.Convert(target, property.DeclaringType!), property), typeof(object)),
            target).Compile();
    });
}
