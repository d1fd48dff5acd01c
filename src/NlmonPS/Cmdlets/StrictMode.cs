using System.Management.Automation;
using System.Reflection;
using NlmonPS.Filtering;

namespace NlmonPS.Cmdlets;

/// <summary>
/// Whether Set-StrictMode is on (any version) in the scope a cmdlet's caller runs in, read as the engine reads it
/// (ExecutionContext.IsStrictVersion: the nearest scope that set a version, up to the module's own scope). The scope
/// chain is internal: read through getters compiled once (PropertyGetters), so asking costs a few calls, with no script run (a probe
/// script would reset $? and add to $Error). Null when this PowerShell does not show it.
/// </summary>
internal static class StrictMode
{
    private const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
    private static readonly PropertyInfo? StateInternal = typeof(SessionState).GetProperty("Internal", Internal);
    private static readonly PropertyInfo? CurrentScope = StateInternal?.PropertyType.GetProperty("CurrentScope", Internal);
    private static readonly PropertyInfo? ModuleScope = StateInternal?.PropertyType.GetProperty("ModuleScope", Internal);
    private static readonly PropertyInfo? Parent = CurrentScope?.PropertyType.GetProperty("Parent", Internal);
    private static readonly PropertyInfo? Version = CurrentScope?.PropertyType.GetProperty("StrictModeVersion", Internal);

    private static readonly (Func<object, object?> Current, Func<object, object?> Module, Func<object, object?> Parent, Func<object, object?> Version)? Getters =
        StateInternal is null || CurrentScope is null || ModuleScope is null || Parent is null || Version is null ? null
            : (PropertyGetters.For(CurrentScope), PropertyGetters.For(ModuleScope), PropertyGetters.For(Parent), PropertyGetters.For(Version));

    /// <summary>A test of the caller's strict mode, to ask as often as needed (a later command may turn it on); null when it cannot be read.</summary>
    public static Func<bool>? Reader(SessionState state)
    {
        if (Getters is not { } get || StateInternal!.GetValue(state) is not { } engineState) return null;
        return () =>
        {
            var moduleScope = get.Module(engineState);
            for (var scope = get.Current(engineState); scope is not null; scope = get.Parent(scope))
            {
                if (get.Version(scope) is Version version) return version.Major >= 1;
                if (ReferenceEquals(scope, moduleScope)) break;
            }
            return false;
        };
    }
}
