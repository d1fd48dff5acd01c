namespace NlmonPS.Cmdlets;

/// <summary>
/// "Did you mean ...?": the valid names closest to a mistyped one, by edit distance (any case), so a typo is an
/// error that names the fix instead of a filter that silently matches nothing.
/// </summary>
internal static class NameSuggestions
{
    /// <summary>
    /// The candidates nearest to <paramref name="typo"/> (at most <paramref name="max"/>, best first), or none when
    /// even the nearest is too far to be a typo of it (more than a third of its letters, at least 2, changed).
    /// </summary>
    public static IReadOnlyList<string> Closest(string typo, IEnumerable<string> candidates, int max = 3)
    {
        var word = typo.Trim().ToUpperInvariant();
        int limit = Math.Max(2, word.Length / 3);
        var scored = new List<(int Distance, string Name)>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in candidates)
        {
            // Names far longer or shorter cannot be within the limit: skip them without the quadratic step.
            if (Math.Abs(name.Length - word.Length) > limit || !seen.Add(name)) continue;
            int d = Distance(word, name.ToUpperInvariant(), limit);
            if (d <= limit) scored.Add((d, name));
        }
        return scored.OrderBy(s => s.Distance).ThenBy(s => s.Name, StringComparer.Ordinal).Take(max).Select(s => s.Name).ToList();
    }

    /// <summary>" Did you mean A, B or C?" (empty when there is nothing close).</summary>
    public static string DidYouMean(IReadOnlyList<string> closest) => closest.Count switch
    {
        0 => "",
        1 => $" Did you mean {closest[0]}?",
        _ => $" Did you mean {string.Join(", ", closest.Take(closest.Count - 1))} or {closest[^1]}?",
    };

    /// <summary>Levenshtein distance (insert, delete, substitute), stopping early once every path exceeds <paramref name="limit"/>.</summary>
    internal static int Distance(string a, string b, int limit = int.MaxValue)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            int rowMin = current[0];
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                rowMin = Math.Min(rowMin, current[j]);
            }
            if (rowMin > limit) return rowMin;
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
