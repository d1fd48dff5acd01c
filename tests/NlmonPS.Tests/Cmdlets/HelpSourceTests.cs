using NlmonPS.HelpMarkdown;
using Xunit;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>
/// docs/help/*.md is the help's source (tools/README.md): every file in the converter's canonical form, both
/// directions exact (so re-running maml2md on MAML made from these files changes nothing), the module's MAML
/// built from them, and one file per exported cmdlet. What the help says is checked by ModuleTests.HelpIsComplete.
/// </summary>
public sealed class HelpSourceTests
{
    private static string HelpDir => Path.Combine(ModuleLoader.RepoRoot, "docs", "help");
    private const string Regenerate = "format it with: dotnet tools/HelpMarkdown/bin/Release/net8.0/nlmonps-help.dll md2maml docs/help /tmp/h.xml && dotnet tools/HelpMarkdown/bin/Release/net8.0/nlmonps-help.dll maml2md /tmp/h.xml docs/help";

    private static List<string> Names() => Directory.GetFiles(HelpDir, "*-*.md").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();

    public static TheoryData<string> Files() => new(Names());

    [Theory]
    [MemberData(nameof(Files))]
    public void FileIsCanonicalAndSurvivesMaml(string name)
    {
        var path = Path.Combine(HelpDir, name);
        var text = File.ReadAllText(path);
        var command = Markdown.Read(text, path);
        Assert.True(text == Markdown.Write(command), $"{name} is not in canonical form; {Regenerate}");

        var maml = Path.Combine(Directory.CreateTempSubdirectory("nlmonps-help-").FullName, "help.xml");
        Help.WriteMaml(new[] { command }, maml);
        Assert.Equal(text, Markdown.Write(Assert.Single(Help.ReadMaml(maml))));
        Directory.Delete(Path.GetDirectoryName(maml)!, true);
    }

    [Fact]
    public void TheModulesMamlIsBuiltFromTheMarkdown()
    {
        var maml = Path.Combine(Directory.CreateTempSubdirectory("nlmonps-help-").FullName, "help.xml");
        Help.WriteMaml(Help.ReadMarkdownFolder(HelpDir), maml);
        Assert.True(File.ReadAllText(maml) == File.ReadAllText(Path.Combine(ModuleLoader.ModuleDirectory, "en-US", "NlmonPS.dll-Help.xml")),
            "out/NlmonPS/en-US/NlmonPS.dll-Help.xml is not what docs/help makes: rebuild (dotnet build)");
        // The copy in git (en-US/, where the repository's layout keeps help) is the same generated MAML, never edited by hand.
        Assert.True(File.ReadAllText(maml) == File.ReadAllText(Path.Combine(ModuleLoader.RepoRoot, "en-US", "NlmonPS.dll-Help.xml")),
            "en-US/NlmonPS.dll-Help.xml is not what docs/help makes: edit docs/help, build, then cp out/NlmonPS/en-US/NlmonPS.dll-Help.xml en-US/");
        Directory.Delete(Path.GetDirectoryName(maml)!, true);
    }

    [Fact]
    public void OneFilePerExportedCmdlet()
    {
        using var host = new PowerShellHost();
        var exported = host.Run("(Get-Module NlmonPS).ExportedCmdlets.Keys").Output.Select(o => o.ToString() + ".md").Order(StringComparer.Ordinal);
        Assert.Equal(exported, Names());
    }
}
