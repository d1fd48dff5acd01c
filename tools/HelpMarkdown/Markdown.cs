using System.Text;

namespace NlmonPS.HelpMarkdown;

/// <summary>
/// One cmdlet's help as markdown in platyPS's schema 2.0.0 (PowerShell/platyPS platyPS.schema.md), the subset
/// MAML needs. A paragraph is a run of non-blank lines; its line breaks are kept as they are (tables in help text).
/// The SYNTAX section is written for readers and ignored when read (as platyPS does): the syntax comes from each
/// parameter's "Parameter Sets". Whatever a file says, <see cref="Write"/> of what <see cref="Read"/> made of it is
/// the canonical text (tests keep every file canonical).
/// </summary>
public static class Markdown
{
    private const string CommonParameters =
        "This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction, -InformationVariable, " +
        "-OutVariable, -OutBuffer, -PipelineVariable, -ProgressAction, -Verbose, -WarningAction, and -WarningVariable. " +
        "For more information, see [about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).";

    public static string Write(Command c)
    {
        var w = new StringBuilder();
        void Line(string s = "") => w.Append(s).Append('\n');
        void Paras(IEnumerable<string> paras, string where)
        {
            foreach (var p in paras)
            {
                foreach (var l in p.Split('\n'))
                    if (l.Trim().Length == 0 || l.TrimStart().StartsWith('#') || l.StartsWith("```", StringComparison.Ordinal))
                        throw new HelpFormatException(c.Name, 0, $"{where}: a paragraph line that markdown would read as something else: '{l}'");
                Line(p);
                Line();
            }
        }

        Line("---");
        Line("external help file: NlmonPS.dll-Help.xml");
        Line("Module Name: NlmonPS");
        Line("online version:");
        Line("schema: 2.0.0");
        Line("---");
        Line();
        Line("# " + c.Name);
        Line();
        Line("## SYNOPSIS");
        Paras(c.Synopsis, "SYNOPSIS");
        Line("## SYNTAX");
        Line();
        foreach (var set in c.Sets)
        {
            Line("### " + set);
            Line("```");
            Line(Syntax(c, set));
            Line("```");
            Line();
        }
        Line("## DESCRIPTION");
        Paras(c.Description, "DESCRIPTION");
        Line("## EXAMPLES");
        Line();
        foreach (var e in c.Examples)
        {
            Line("### " + e.Title);
            Line("```powershell");
            Line(e.Code);
            Line("```");
            Line();
            Paras(e.Remarks, e.Title);
        }
        Line("## PARAMETERS");
        Line();
        foreach (var p in c.Parameters)
        {
            Line("### -" + p.Name);
            Paras(p.Description, "-" + p.Name);
            foreach (var (sets, m) in p.Blocks)
            {
                Line("```yaml");
                Line("Type: " + m.Type);
                Line("Parameter Sets: " + (sets.Count == c.Sets.Count ? "(All)" : string.Join(", ", sets)));
                Line(("Aliases: " + m.Aliases).TrimEnd());
                Line();
                Line("Required: " + (m.Required ? "True" : "False"));
                Line("Position: " + m.Position);
                Line("Default value: " + m.DefaultValue);
                Line("Accept pipeline input: " + m.PipelineInput);
                Line("Accept wildcard characters: " + (m.Globbing ? "True" : "False"));
                Line("```");
                Line();
            }
        }
        Line("### CommonParameters");
        Line(CommonParameters);
        Line();
        foreach (var (title, types) in new[] { ("INPUTS", c.Inputs), ("OUTPUTS", c.Outputs) })
        {
            Line("## " + title);
            Line();
            foreach (var t in types)
            {
                Line("### " + t.Type);
                Paras(t.Description, t.Type);
            }
        }
        Line("## NOTES");
        Paras(c.Notes, "NOTES");
        Line("## RELATED LINKS");
        Line();
        foreach (var l in c.Links)
        {
            Line($"[{l.Text}]({l.Uri})");
            Line();
        }
        return w.ToString().TrimEnd('\n') + "\n";
    }

    /// <summary>The syntax line of a set, as Get-Help prints it.</summary>
    public static string Syntax(Command c, string set)
    {
        var parts = new List<string> { c.Name };
        foreach (var p in c.Parameters)
        {
            if (p.Blocks.FirstOrDefault(b => b.Sets.Contains(set)) is not { Meta: { } m }) continue;
            var name = m.Position == "named" ? "-" + p.Name : $"[-{p.Name}]";
            var text = m.IsSwitch ? name : $"{name} <{m.Type}>";
            parts.Add(m.Required ? text : $"[{text}]");
        }
        parts.Add("[<CommonParameters>]");
        return string.Join(' ', parts);
    }

    private enum Kind { H1, H2, H3, Para, Fence }

    private sealed record Block(Kind Kind, string Text, int Line, string Info = "");

    public static Command Read(string text, string file)
    {
        var blocks = Blocks(text.Replace("\r\n", "\n"), file);
        HelpFormatException Fail(Block b, string message) => new(file, b.Line, message);
        int i = 0;
        if (blocks.Count == 0 || blocks[0].Kind != Kind.H1) throw new HelpFormatException(file, 1, "the file starts with '# Verb-Noun'");
        var c = new Command(blocks[i++].Text);
        List<string> TakeParas()
        {
            var paras = new List<string>();
            while (i < blocks.Count && blocks[i].Kind == Kind.Para) paras.Add(blocks[i++].Text);
            return paras;
        }
        var seen = new HashSet<string>();
        while (i < blocks.Count)
        {
            var section = blocks[i++];
            if (section.Kind != Kind.H2) throw Fail(section, "expected a '## SECTION' heading here");
            if (!seen.Add(section.Text)) throw Fail(section, $"a second {section.Text} section");
            switch (section.Text)
            {
                case "SYNOPSIS": c.Synopsis.AddRange(TakeParas()); break;
                case "DESCRIPTION": c.Description.AddRange(TakeParas()); break;
                case "NOTES": c.Notes.AddRange(TakeParas()); break;
                case "SYNTAX":
                    while (i < blocks.Count && blocks[i].Kind == Kind.H3)
                    {
                        c.Sets.Add(blocks[i++].Text.Replace(" (Default)", "", StringComparison.Ordinal));
                        while (i < blocks.Count && blocks[i].Kind == Kind.Fence) i++;   // regenerated from the parameters
                    }
                    break;
                case "EXAMPLES":
                    while (i < blocks.Count && blocks[i].Kind == Kind.H3)
                    {
                        var title = blocks[i++];
                        if (i >= blocks.Count || blocks[i].Kind != Kind.Fence) throw Fail(title, "an example starts with its code (```powershell), then its remarks");
                        c.Examples.Add(new Example(title.Text, blocks[i++].Text, TakeParas()));
                    }
                    break;
                case "PARAMETERS":
                    while (i < blocks.Count && blocks[i].Kind == Kind.H3)
                    {
                        var heading = blocks[i++];
                        if (heading.Text is "CommonParameters" or "<CommonParameters>") { TakeParas(); continue; }
                        if (!heading.Text.StartsWith('-')) throw Fail(heading, "a parameter heading is '### -Name'");
                        var p = new Parameter(heading.Text[1..]);
                        p.Description.AddRange(TakeParas());
                        while (i < blocks.Count && blocks[i].Kind == Kind.Fence) p.Blocks.Add(Yaml(blocks[i++], file));
                        if (p.Blocks.Count == 0) throw Fail(heading, $"-{p.Name} has no ```yaml block (Type, Parameter Sets, Required...)");
                        c.Parameters.Add(p);
                    }
                    break;
                case "INPUTS" or "OUTPUTS":
                    while (i < blocks.Count && blocks[i].Kind == Kind.H3)
                        (section.Text == "INPUTS" ? c.Inputs : c.Outputs).Add(new TypeHelp(blocks[i++].Text, TakeParas()));
                    break;
                case "RELATED LINKS":
                    foreach (var line in TakeParas().SelectMany(p => p.Split('\n')))
                    {
                        var close = line.IndexOf("](", StringComparison.Ordinal);
                        if (!line.StartsWith('[') || close < 0 || !line.EndsWith(')')) throw Fail(section, $"a related link is '[text](uri)': '{line}'");
                        c.Links.Add(new Link(line[1..close], line[(close + 2)..^1]));
                    }
                    break;
                default: throw Fail(section, $"unknown section '{section.Text}'");
            }
            if (i < blocks.Count && blocks[i].Kind is not Kind.H2) throw Fail(blocks[i], $"unexpected {blocks[i].Kind} in {section.Text}");
        }
        if (c.Synopsis.Count == 0) throw new HelpFormatException(file, 1, "no SYNOPSIS");
        if (c.Sets.Count == 0) c.Sets.Add("__AllParameterSets");
        foreach (var p in c.Parameters)
            foreach (var (sets, _) in p.Blocks)
                for (int s = 0; s < sets.Count; s++)
                {
                    if (sets[s] == "(All)") { sets.RemoveAt(s); sets.InsertRange(s, c.Sets); s += c.Sets.Count - 1; continue; }
                    if (!c.Sets.Contains(sets[s])) throw new HelpFormatException(file, 1, $"-{p.Name}: parameter set '{sets[s]}' is not under SYNTAX");
                }
        return c;
    }

    private static (List<string> Sets, ParameterMeta Meta) Yaml(Block b, string file)
    {
        if (b.Info != "yaml") throw new HelpFormatException(file, b.Line, "parameter metadata is a ```yaml block");
        var values = new Dictionary<string, string>();
        foreach (var line in b.Text.Split('\n'))
        {
            if (line.Trim().Length == 0) continue;
            var colon = line.IndexOf(':');
            if (colon < 0) throw new HelpFormatException(file, b.Line, $"'Key: value' expected: '{line}'");
            values[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        string Get(string key, string? fallback = null) =>
            values.Remove(key, out var v) ? v : fallback ?? throw new HelpFormatException(file, b.Line, $"'{key}:' is missing");
        bool Bool(string key) => Get(key) switch
        {
            var v when v.Equals("true", StringComparison.OrdinalIgnoreCase) => true,
            var v when v.Equals("false", StringComparison.OrdinalIgnoreCase) => false,
            var v => throw new HelpFormatException(file, b.Line, $"{key}: True or False, not '{v}'"),
        };
        var sets = Get("Parameter Sets", "(All)").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        var meta = new ParameterMeta(Get("Type"), Bool("Required"), Get("Position", "named"), Get("Default value", "None"),
            Get("Accept pipeline input", "False"), Bool("Accept wildcard characters"), Get("Aliases", ""));
        values.Remove("Accepted values");
        if (values.Count > 0) throw new HelpFormatException(file, b.Line, $"unknown key '{values.Keys.First()}:'");
        if (sets.Count == 0) throw new HelpFormatException(file, b.Line, "'Parameter Sets:' is empty");
        return (sets, meta);
    }

    private static List<Block> Blocks(string text, string file)
    {
        var lines = text.Split('\n');
        var blocks = new List<Block>();
        int i = 0;
        if (lines.Length > 0 && lines[0] == "---")   // front matter: platyPS's keys, not help text
        {
            i = Array.IndexOf(lines, "---", 1);
            if (i < 0) throw new HelpFormatException(file, 1, "the front matter has no closing '---'");
            i++;
        }
        var para = new List<string>();
        int paraLine = 0;
        void EndPara()
        {
            if (para.Count > 0) blocks.Add(new Block(Kind.Para, string.Join('\n', para), paraLine));
            para.Clear();
        }
        for (; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                EndPara();
                int start = i;
                var end = Array.IndexOf(lines, "```", i + 1);
                if (end < 0) throw new HelpFormatException(file, start + 1, "a code block with no closing ```");
                blocks.Add(new Block(Kind.Fence, string.Join('\n', lines[(start + 1)..end]), start + 1, line[3..].Trim()));
                i = end;
            }
            else if (line.StartsWith('#'))
            {
                EndPara();
                var level = line.TakeWhile(ch => ch == '#').Count();
                if (level > 3 || line.Length <= level || line[level] != ' ') throw new HelpFormatException(file, i + 1, $"a heading is '# ', '## ' or '### ' and text: '{line}'");
                blocks.Add(new Block(level == 1 ? Kind.H1 : level == 2 ? Kind.H2 : Kind.H3, line[(level + 1)..].Trim(), i + 1));
            }
            else if (line.Trim().Length == 0) EndPara();
            else
            {
                if (para.Count == 0) paraLine = i + 1;
                para.Add(line);
            }
        }
        EndPara();
        return blocks;
    }
}
