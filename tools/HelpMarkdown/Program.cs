using NlmonPS.HelpMarkdown;

// nlmonps-help md2maml DIR FILE         the build: docs/help/*.md into one MAML file
// nlmonps-help maml2md FILE DIR [NAME]  MAML into one markdown file per cmdlet (only the NAMEd ones when given)
try
{
    switch (args)
    {
        case ["md2maml", var dir, var file]:
            Help.WriteMaml(Help.ReadMarkdownFolder(dir), file);
            return 0;
        case ["maml2md", var file, var dir, .. var names]:
            foreach (var command in Help.ReadMaml(file))
            {
                if (names.Length > 0 && !names.Contains(command.Name, StringComparer.OrdinalIgnoreCase)) continue;
                File.WriteAllText(Path.Combine(dir, command.Name + ".md"), Markdown.Write(command));
            }
            return 0;
        default:
            Console.Error.WriteLine("usage: nlmonps-help md2maml MARKDOWN-DIR MAML-FILE | maml2md MAML-FILE MARKDOWN-DIR [CMDLET...]");
            return 2;
    }
}
catch (HelpFormatException e)
{
    // "file(line): error HELP1: ..." is the form MSBuild shows as a build error.
    Console.Error.WriteLine($"{e.File}({e.Line}): error HELP1: {e.Message}");
    return 1;
}
