using System.Xml;
using System.Xml.Linq;

namespace NlmonPS.HelpMarkdown;

/// <summary>One cmdlet's help: what a platyPS markdown file and a MAML command entry both hold.</summary>
public sealed record Command(string Name)
{
    public List<string> Synopsis { get; } = new();
    public List<string> Description { get; } = new();
    /// <summary>Parameter set names, one per syntax line (MAML has no names: see <see cref="Help.ReadMaml"/>).</summary>
    public List<string> Sets { get; } = new();
    public List<Parameter> Parameters { get; } = new();
    public List<TypeHelp> Inputs { get; } = new();
    public List<TypeHelp> Outputs { get; } = new();
    public List<string> Notes { get; } = new();
    public List<Example> Examples { get; } = new();
    public List<Link> Links { get; } = new();
}

public sealed record Parameter(string Name)
{
    public List<string> Description { get; } = new();
    /// <summary>What the parameter is in each set; a parameter can be mandatory in one set and not in another.</summary>
    public List<(List<string> Sets, ParameterMeta Meta)> Blocks { get; } = new();
}

public sealed record ParameterMeta(string Type, bool Required, string Position, string DefaultValue, string PipelineInput, bool Globbing, string Aliases)
{
    public bool IsSwitch => Type == "SwitchParameter";
}

public sealed record TypeHelp(string Type, List<string> Description);

public sealed record Example(string Title, string Code, List<string> Remarks);

public sealed record Link(string Text, string Uri);

public sealed class HelpFormatException(string file, int line, string message) : Exception(message)
{
    public string File { get; } = file;
    public int Line { get; } = line;
}

/// <summary>MAML in and out, and the markdown folder in.</summary>
public static class Help
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace MamlNs = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace CommandNs = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace DevNs = "http://schemas.microsoft.com/maml/dev/2004/10";
    private const string ExampleDashes = "--------------------------";

    /// <summary>Every Verb-Noun.md of a folder, in file-name order; each file must be named for its cmdlet.</summary>
    public static List<Command> ReadMarkdownFolder(string dir)
    {
        var files = Directory.GetFiles(dir, "*-*.md").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new HelpFormatException(dir, 0, "no Verb-Noun.md help files in this folder");
        var commands = new List<Command>();
        foreach (var file in files)
        {
            var command = Markdown.Read(File.ReadAllText(file), file);
            if (command.Name != Path.GetFileNameWithoutExtension(file))
                throw new HelpFormatException(file, 1, $"the file holds {command.Name}: name it {command.Name}.md");
            commands.Add(command);
        }
        return commands;
    }

    public static void WriteMaml(IEnumerable<Command> commands, string file)
    {
        var root = new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), commands.Select(ToMaml));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        using var writer = XmlWriter.Create(file, new XmlWriterSettings { Indent = true, IndentChars = "  ", NewLineChars = "\n", Encoding = new System.Text.UTF8Encoding(false) });
        new XDocument(new XDeclaration("1.0", "utf-8", null), root).Save(writer);
    }

    private static XElement ToMaml(Command c)
    {
        var dash = c.Name.IndexOf('-');
        return new XElement(CommandNs + "command",
            new XAttribute(XNamespace.Xmlns + "maml", MamlNs), new XAttribute(XNamespace.Xmlns + "command", CommandNs), new XAttribute(XNamespace.Xmlns + "dev", DevNs),
            new XElement(CommandNs + "details",
                new XElement(CommandNs + "name", c.Name),
                new XElement(CommandNs + "verb", c.Name[..dash]),
                new XElement(CommandNs + "noun", c.Name[(dash + 1)..]),
                Paras(MamlNs + "description", c.Synopsis)),
            Paras(MamlNs + "description", c.Description),
            new XElement(CommandNs + "syntax", c.Sets.Select(set => new XElement(CommandNs + "syntaxItem",
                new XElement(MamlNs + "name", c.Name),
                c.Parameters.Where(p => p.Blocks.Any(b => b.Sets.Contains(set))).Select(p => ToMaml(p, p.Blocks.First(b => b.Sets.Contains(set)).Meta))))),
            new XElement(CommandNs + "parameters", c.Parameters.Select(p => ToMaml(p, p.Blocks[0].Meta))),
            new XElement(CommandNs + "inputTypes", c.Inputs.Select(t => new XElement(CommandNs + "inputType",
                new XElement(DevNs + "type", new XElement(MamlNs + "name", t.Type)), Paras(MamlNs + "description", t.Description)))),
            new XElement(CommandNs + "returnValues", c.Outputs.Select(t => new XElement(CommandNs + "returnValue",
                new XElement(DevNs + "type", new XElement(MamlNs + "name", t.Type)), Paras(MamlNs + "description", t.Description)))),
            new XElement(MamlNs + "alertSet", Paras(MamlNs + "alert", c.Notes)),
            new XElement(CommandNs + "examples", c.Examples.Select(e => new XElement(CommandNs + "example",
                new XElement(MamlNs + "title", $"{ExampleDashes} {e.Title} {ExampleDashes}"),
                new XElement(DevNs + "code", e.Code),
                Paras(DevNs + "remarks", e.Remarks)))),
            new XElement(CommandNs + "relatedLinks", c.Links.Select(l => new XElement(MamlNs + "navigationLink",
                new XElement(MamlNs + "linkText", l.Text), new XElement(MamlNs + "uri", l.Uri)))));
    }

    private static XElement ToMaml(Parameter p, ParameterMeta m) =>
        new(CommandNs + "parameter",
            new XAttribute("required", m.Required ? "true" : "false"),
            new XAttribute("variableLength", "true"),
            new XAttribute("globbing", m.Globbing ? "true" : "false"),
            new XAttribute("pipelineInput", m.PipelineInput),
            new XAttribute("position", m.Position),
            new XAttribute("aliases", m.Aliases.Length == 0 ? "none" : m.Aliases),
            new XElement(MamlNs + "name", p.Name),
            Paras(MamlNs + "description", p.Description),
            // A switch takes no value: no <SwitchParameter> placeholder in the syntax.
            m.IsSwitch ? null : new XElement(CommandNs + "parameterValue", new XAttribute("required", "true"), new XAttribute("variableLength", "false"), m.Type),
            new XElement(DevNs + "type", new XElement(MamlNs + "name", m.Type), new XElement(MamlNs + "uri")),
            new XElement(DevNs + "defaultValue", m.DefaultValue));

    private static XElement Paras(XName name, List<string> paras) => new(name, paras.Select(p => new XElement(MamlNs + "para", p)));

    /// <summary>
    /// The commands of a MAML file. MAML names no parameter sets: a syntax line is named for its first parameter
    /// that no other line has (Path, LiteralPath...), "__AllParameterSets" when there is one line. Parameters are
    /// listed in an order every syntax line keeps (markdown has one parameter list; each set takes its members in
    /// that order). A parameter no syntax line lists is taken to be in every set.
    /// </summary>
    public static List<Command> ReadMaml(string file)
    {
        var doc = XDocument.Load(file, LoadOptions.SetLineInfo);
        return doc.Root!.Elements(CommandNs + "command").Select(e => FromMaml(e, file)).ToList();
    }

    private static Command FromMaml(XElement e, string file)
    {
        var c = new Command(Text(e.Element(CommandNs + "details")!.Element(CommandNs + "name")));
        c.Synopsis.AddRange(ParasOf(e.Element(CommandNs + "details")!.Element(MamlNs + "description")));
        c.Description.AddRange(ParasOf(e.Element(MamlNs + "description")));
        var items = e.Element(CommandNs + "syntax")?.Elements(CommandNs + "syntaxItem")
            .Select(i => i.Elements(CommandNs + "parameter").ToDictionary(p => Text(p.Element(MamlNs + "name")))).ToList() ?? new();
        var itemOrders = e.Element(CommandNs + "syntax")?.Elements(CommandNs + "syntaxItem")
            .Select(i => i.Elements(CommandNs + "parameter").Select(p => Text(p.Element(MamlNs + "name"))).ToList()).ToList() ?? new();
        if (items.Count == 0) { items.Add(new()); itemOrders.Add(new()); }
        for (int i = 0; i < items.Count; i++)
            c.Sets.Add(items.Count == 1 ? "__AllParameterSets"
                : itemOrders[i].FirstOrDefault(n => items.Where((_, j) => j != i).All(other => !other.ContainsKey(n)) && !c.Sets.Contains(n)) ?? $"Set{i + 1}");

        var documented = e.Element(CommandNs + "parameters")?.Elements(CommandNs + "parameter").ToDictionary(p => Text(p.Element(MamlNs + "name"))) ?? new();
        foreach (var missing in itemOrders.SelectMany(o => o).Where(n => !documented.ContainsKey(n)).Distinct())
            throw new HelpFormatException(file, Line(e), $"{c.Name}: -{missing} is in the syntax but not under <command:parameters>");
        foreach (var name in MergedOrder(documented.Keys.ToList(), itemOrders))
        {
            var p = new Parameter(name);
            p.Description.AddRange(ParasOf(documented[name].Element(MamlNs + "description")));
            for (int i = 0; i < items.Count; i++)
            {
                if (!items[i].TryGetValue(name, out var entry)) continue;
                var meta = Meta(entry);
                var block = p.Blocks.FindIndex(b => b.Meta == meta);
                if (block < 0) p.Blocks.Add((new List<string> { c.Sets[i] }, meta));
                else p.Blocks[block].Sets.Add(c.Sets[i]);
            }
            if (p.Blocks.Count == 0) p.Blocks.Add((new List<string>(c.Sets), Meta(documented[name])));
            c.Parameters.Add(p);
        }
        foreach (var t in e.Element(CommandNs + "inputTypes")?.Elements(CommandNs + "inputType") ?? [])
            c.Inputs.Add(new TypeHelp(Text(t.Element(DevNs + "type")?.Element(MamlNs + "name")), ParasOf(t.Element(MamlNs + "description"))));
        foreach (var t in e.Element(CommandNs + "returnValues")?.Elements(CommandNs + "returnValue") ?? [])
            c.Outputs.Add(new TypeHelp(Text(t.Element(DevNs + "type")?.Element(MamlNs + "name")), ParasOf(t.Element(MamlNs + "description"))));
        foreach (var alert in e.Element(MamlNs + "alertSet")?.Elements(MamlNs + "alert") ?? []) c.Notes.AddRange(ParasOf(alert));
        foreach (var x in e.Element(CommandNs + "examples")?.Elements(CommandNs + "example") ?? [])
        {
            var title = Text(x.Element(MamlNs + "title")).Trim('-', ' ');
            c.Examples.Add(new Example(title, Text(x.Element(DevNs + "code")), ParasOf(x.Element(DevNs + "remarks"))));
        }
        foreach (var l in e.Element(CommandNs + "relatedLinks")?.Elements(MamlNs + "navigationLink") ?? [])
            c.Links.Add(new Link(Text(l.Element(MamlNs + "linkText")), Text(l.Element(MamlNs + "uri"))));
        return c;
    }

    /// <summary>
    /// The documented order, changed only where a syntax line lists parameters in another order: a parameter
    /// comes once every parameter before it on each of its lines has come. Contradicting lines keep the documented order.
    /// </summary>
    private static List<string> MergedOrder(List<string> documented, List<List<string>> lines)
    {
        var order = new List<string>();
        var left = new List<string>(documented);
        while (left.Count > 0)
        {
            var next = left.FirstOrDefault(n => lines.All(l => l.IndexOf(n) is var at && (at < 0 || l.Take(at).All(order.Contains))));
            if (next is null) { order.AddRange(left); break; }
            order.Add(next);
            left.Remove(next);
        }
        return order;
    }

    private static ParameterMeta Meta(XElement p) => new(
        Text(p.Element(DevNs + "type")?.Element(MamlNs + "name")) is { Length: > 0 } t ? t : Text(p.Element(CommandNs + "parameterValue")),
        Bool(p.Attribute("required")?.Value),
        p.Attribute("position")?.Value ?? "named",
        Text(p.Element(DevNs + "defaultValue")) is { Length: > 0 } d ? d : "None",
        p.Attribute("pipelineInput")?.Value ?? "False",
        Bool(p.Attribute("globbing")?.Value),
        p.Attribute("aliases")?.Value is { } a && a != "none" ? a : "");

    private static bool Bool(string? s) => string.Equals(s, "true", StringComparison.OrdinalIgnoreCase);

    private static string Text(XElement? e) => e?.Value.Trim() ?? "";

    private static List<string> ParasOf(XElement? e) =>
        e?.Elements(MamlNs + "para").Select(p => p.Value.Trim()).Where(p => p.Length > 0).ToList() ?? new();

    private static int Line(XObject o) => ((IXmlLineInfo)o).LineNumber;
}
