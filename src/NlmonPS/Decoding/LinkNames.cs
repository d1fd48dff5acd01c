using System.Text;

namespace NlmonPS.Decoding;

/// <summary>
/// Interface names by index, as one stream of messages teaches them (its own RTM_NEWLINK messages) or as the kernel
/// knew them when a live capture began, so summaries read "dev d0" where the message holds index 3.
/// <para>
/// Summaries are made when first read, possibly long after the message: each message keeps the table's version
/// when it was decoded and reads the name the index had then, so a summary does not depend on when it is read.
/// Bounded: at most <see cref="MaxLinks"/> indexes and <see cref="MaxNamesPerLink"/> names per index are kept.
/// </para>
/// </summary>
internal sealed class LinkNames
{
    public const int MaxLinks = 4096, MaxNamesPerLink = 4;

    private sealed class Entry
    {
        public required string Name;
        public required byte[] Utf8;      // to compare a message's IFLA_IFNAME without making a string
        public int Since;                 // the version this name holds from
        public Entry? Before;             // the name the index had before (newest first)
    }

    private readonly Dictionary<int, Entry> _byIndex = new();

    /// <summary>Moves on each time a name is learned anew; a message keeps the value it had when decoded.</summary>
    public int Version { get; private set; }

    public int Count => _byIndex.Count;

    /// <summary>A name the kernel gave before the stream began (live captures): known to every message of the stream.</summary>
    public void Seed(int index, string name)
    {
        if (index <= 0 || name.Length == 0 || _byIndex.ContainsKey(index) || _byIndex.Count >= MaxLinks) return;
        _byIndex[index] = new Entry { Name = name, Utf8 = Encoding.UTF8.GetBytes(name), Since = 0 };
    }

    /// <summary>Learns the name of an index from the raw IFLA_IFNAME payload; allocates only when the name is new.</summary>
    public void Learn(int index, ReadOnlySpan<byte> ifname)
    {
        int nul = ifname.IndexOf((byte)0);
        if (nul >= 0) ifname = ifname[..nul];
        if (index <= 0 || ifname.IsEmpty || ifname.Length > 64) return;
        _byIndex.TryGetValue(index, out var current);
        if (current is not null && ifname.SequenceEqual(current.Utf8)) return;
        if (current is null && _byIndex.Count >= MaxLinks) return;
        var entry = new Entry { Name = Encoding.UTF8.GetString(ifname), Utf8 = ifname.ToArray(), Since = ++Version, Before = current };
        // Keep a few names per index: enough for renames while a capture runs, bounded against churn.
        var last = entry;
        for (int kept = 1; last.Before is not null; kept++)
        {
            if (kept >= MaxNamesPerLink) { last.Before = null; break; }
            last = last.Before;
        }
        _byIndex[index] = entry;
    }

    /// <summary>The name the index had at a version of the table (null when not known then).</summary>
    public string? NameOf(long index, int version)
    {
        if (index <= 0 || index > int.MaxValue || !_byIndex.TryGetValue((int)index, out var e)) return null;
        for (; e is not null; e = e.Before)
            if (e.Since <= version) return e.Name;
        return null;
    }

    /// <summary>The newest name of an index.</summary>
    public string? NameOf(long index) => NameOf(index, int.MaxValue);
}
