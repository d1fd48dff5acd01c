using System.Management.Automation;

namespace NlmonPS.Cmdlets;

/// <summary>
/// The type converter NlmonPS.Types.ps1xml names for a type whose objects come back from Import-Clixml or remoting as
/// property bags (Deserialized.T): a cast or a parameter of type T rebuilds one through <see cref="Rebuild"/>.
/// </summary>
public abstract class DeserializedConverter<T> : PSTypeConverter where T : class
{
    public override bool CanConvertFrom(object sourceValue, Type destinationType) =>
        destinationType == typeof(T) && sourceValue is PSObject p && IsDeserialized(p);

    public override object ConvertFrom(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
        sourceValue is PSObject p && Rebuild(p) is { } rebuilt ? rebuilt
            : throw new PSInvalidCastException($"Cannot convert '{sourceValue}' to a {typeof(T).Name}: {Missing}.");

    public override bool CanConvertTo(object sourceValue, Type destinationType) => false;
    public override object ConvertTo(object sourceValue, Type destinationType, IFormatProvider formatProvider, bool ignoreCase) =>
        throw new NotSupportedException();

    /// <summary>A property bag of a deserialized T (not a T itself).</summary>
    internal static bool IsDeserialized(PSObject p) => p.BaseObject is not T && p.TypeNames.Contains("Deserialized." + typeof(T).FullName);

    /// <summary>The object again, or null when the bag lacks what it is rebuilt from.</summary>
    protected abstract T? Rebuild(PSObject p);

    /// <summary>What a bag that cannot be rebuilt lacks, for the cast's error.</summary>
    protected abstract string Missing { get; }
}
