using System.Reflection;
using NlmonPS.Decoding;
using NlmonPS.Wire;
using Xunit;

namespace NlmonPS.Tests.Decoding;

/// <summary>
/// A set of one struct that fits shares its struct's entries (<see cref="StructSpec.Template"/>) instead of walking
/// it: for every struct the decoder knows, on random bytes at several places and lengths, the shared set reads
/// exactly as the walk does (names, places, values, faults).
/// </summary>
public class SharedStructEntriesTests
{
    /// <summary>Every struct reachable from the decoder's static tables: struct fields, attribute sets, nested structs.</summary>
    private static List<StructSpec> AllStructs()
    {
        var found = new HashSet<StructSpec>(ReferenceEqualityComparer.Instance);
        var tables = new HashSet<AttributeTable>(ReferenceEqualityComparer.Instance);
        void Struct(StructSpec? s)
        {
            if (s is null || !found.Add(s)) return;
            foreach (var f in s) Struct(f.Struct);
        }
        void Table(AttributeTable? t)
        {
            if (t is null || !tables.Add(t)) return;
            foreach (var (_, spec) in t.Entries()) { Struct(spec.Struct); Table(spec.Nested); }
        }
        void Value(object? v)
        {
            switch (v)
            {
                case StructSpec s: Struct(s); break;
                case AttributeTable t: Table(t); break;
                case System.Collections.IEnumerable items and not string:
                    foreach (var item in items) if (item is StructSpec or AttributeTable) Value(item);
                    break;
            }
        }
        foreach (var type in typeof(NetlinkMessage).Assembly.GetTypes().Where(t => !t.ContainsGenericParameters))
            foreach (var field in type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            {
                object? v;
                try { v = field.GetValue(null); }
                catch (TargetInvocationException) { continue; }
                Value(v);
            }
        return found.ToList();
    }

    [Fact]
    public void EveryStructReadsAsItsWalk()
    {
        var structs = AllStructs();
        Assert.True(structs.Count(s => s.Template is not null) >= 100, $"{structs.Count} structs found");
        var random = new Random(15);
        int cases = 0;
        foreach (var s in structs.Where(s => s.Template is not null))
        {
            var bytes = new byte[s.RequiredLength + 200];
            foreach (int start in new[] { 16, 17, 100 })
                foreach (int extra in new[] { 0, 3, 40 })
                {
                    int length = s.RequiredLength + extra;
                    if (start + length > bytes.Length) continue;
                    random.NextBytes(bytes);
                    var message = new NetlinkMessage { Bytes = bytes, ByteOrder = ByteOrder.LittleEndian };
                    var level = FieldLevel.OfStruct(message, s, start, length);
                    Assert.NotNull(FieldLevels.SharedEntries(level));
                    var walked = FieldLevels.Entries(level);
                    var shared = new NetlinkFields(level);
                    Assert.Equal(walked.Length, shared.Count);
                    for (int i = 0; i < walked.Length; i++)
                    {
                        var field = shared[i];
                        Assert.Equal(walked[i].Name, field.Name);
                        Assert.Equal(walked[i].Offset, field.Offset);
                        Assert.Equal(walked[i].Length, field.Length);
                        Assert.Equal(walked[i].Kind, field.Kind);
                        Assert.Equal(Text(FieldValues.Make(level, walked[i])), Text(field.Value));
                        Assert.Equal(FieldLevels.EntryFault(level, walked[i], null), field.MalformedReason);
                    }
                    cases++;
                }
        }
        Assert.True(cases > 300, $"{cases} cases");
    }

    private static string Text(object? value) => value switch
    {
        NetlinkFields set => set.ToString(),
        Array a => string.Join(",", a.Cast<object?>().Select(Text)),
        _ => NetlinkFields.Format(value),
    };
}
