using System.Collections;
using System.Globalization;
using System.Net;
using System.Text;

namespace NlmonPS.Decoding;

/// <summary>One decoded value: a family-header field or an attribute, with where it came from.</summary>
public sealed class NetlinkField
{
    public NetlinkField(string name, object? value, int type, int offset, int length, ValueKind kind)
    {
        Name = name; Value = value; Type = type; Offset = offset; Length = length; Kind = kind;
    }

    public string Name { get; }
    public object? Value { get; }
    /// <summary>The attribute type number, or -1 for a struct field.</summary>
    public int Type { get; }
    /// <summary>Offset of the attribute header (or field) from the start of the netlink message.</summary>
    public int Offset { get; }
    public int Length { get; }
    public ValueKind Kind { get; }
    public bool IsKnown => !Name.StartsWith("unknown_", StringComparison.Ordinal);
    public string? MalformedReason { get; init; }

    public override string ToString() => $"{Name}={NetlinkFields.Format(Value)}";
}

/// <summary>
/// An ordered set of decoded fields that PowerShell reads like a hashtable: <c>$_.Attributes.ifname</c>,
/// <c>$_.Attributes.linkinfo.kind</c>. A name that occurs more than once yields all its values.
/// Keys compare case-insensitively, as PowerShell users expect.
/// </summary>
public sealed class NetlinkFields : IDictionary, IReadOnlyList<NetlinkField>
{
    private readonly List<NetlinkField> _fields;

    public NetlinkFields(int capacity = 8) => _fields = new List<NetlinkField>(capacity);

    public static readonly NetlinkFields Empty = new(0);

    /// <summary>Why the attribute stream stopped early, naming the offset; null when well formed.</summary>
    public string? MalformedReason { get; internal set; }

    internal void Add(NetlinkField field) => _fields.Add(field);

    public NetlinkField this[int index] => _fields[index];
    public int Count => _fields.Count;

    /// <summary>The value of a field by name (an array when it repeats), or null.</summary>
    public object? this[string name]
    {
        get
        {
            object? first = null;
            List<object?>? all = null;
            bool found = false;
            foreach (var f in _fields)
            {
                if (!string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)) continue;
                if (!found) { first = f.Value; found = true; }
                else (all ??= new List<object?> { first }).Add(f.Value);
            }
            return all is null ? first : all.ToArray();
        }
    }

    public NetlinkField? Field(string name) => _fields.Find(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    public bool Contains(string name) => Field(name) is not null;

    /// <summary>Typed access for code: the value when present and of type T.</summary>
    public T? Get<T>(string name) => this[name] is T t ? t : default;

    public IEnumerable<string> Names => _fields.Select(f => f.Name);

    public IEnumerator<NetlinkField> GetEnumerator() => _fields.GetEnumerator();

    public override string ToString()
    {
        var sb = new StringBuilder("{");
        for (int i = 0; i < _fields.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(_fields[i].Name).Append('=').Append(Format(_fields[i].Value));
        }
        return sb.Append('}').ToString();
    }

    /// <summary>How a value reads in summaries and views.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        string s => s,
        byte[] b => Hex(b, 32),
        string[] names => string.Join(",", names),
        IPAddress ip => ip.ToString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        object[] many => "[" + string.Join(", ", many.Select(Format)) + "]",
        _ => value.ToString() ?? "",
    };

    public static string Hex(ReadOnlySpan<byte> bytes, int max = int.MaxValue)
    {
        int n = Math.Min(bytes.Length, max);
        var s = Convert.ToHexString(bytes[..n]).ToLowerInvariant();
        return n < bytes.Length ? s + $"...({bytes.Length} bytes)" : s;
    }

    // IDictionary, so PowerShell's member access and hashtable-style indexing find fields by name.
    object? IDictionary.this[object key]
    {
        get => key is string s ? this[s] : null;
        set => throw new NotSupportedException("Decoded netlink fields are read-only.");
    }
    ICollection IDictionary.Keys => _fields.Select(f => f.Name).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    ICollection IDictionary.Values => ((IDictionary)this).Keys.Cast<string>().Select(k => this[k]).ToArray();
    bool IDictionary.IsReadOnly => true;
    bool IDictionary.IsFixedSize => true;
    void IDictionary.Add(object key, object? value) => throw new NotSupportedException("Decoded netlink fields are read-only.");
    void IDictionary.Clear() => throw new NotSupportedException("Decoded netlink fields are read-only.");
    bool IDictionary.Contains(object key) => key is string s && Contains(s);
    void IDictionary.Remove(object key) => throw new NotSupportedException("Decoded netlink fields are read-only.");
    IDictionaryEnumerator IDictionary.GetEnumerator()
    {
        var entries = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var k in ((IDictionary)this).Keys) entries[k] = this[(string)k];
        return entries.GetEnumerator();
    }
    bool ICollection.IsSynchronized => false;
    object ICollection.SyncRoot => this;
    void ICollection.CopyTo(Array array, int index) => ((ICollection)_fields).CopyTo(array, index);
    IEnumerator IEnumerable.GetEnumerator() => _fields.GetEnumerator();
}
