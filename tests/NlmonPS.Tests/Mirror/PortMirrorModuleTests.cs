using System.Management.Automation;
using System.Reflection;
using System.Xml.Linq;
using NlmonPS.Cmdlets;
using NlmonPS.KernelClients;
using NlmonPS.PortMirroring;
using Xunit;

namespace NlmonPS.Tests.Mirror;

/// <summary>The cmdlets as PowerShell sees them: exported, typed, ShouldProcess, documented, formatted.</summary>
public class PortMirrorModuleTests
{
    private static readonly string[] Cmdlets = { "New-PortMirror", "Get-PortMirror", "Remove-PortMirror" };

    [Fact]
    public void CmdletsAreExportedWithOutputTypeAndShouldProcess()
    {
        using var host = new PowerShellHost();
        var r = host.Run("Get-Command -Module NlmonPS -Noun PortMirror | ForEach-Object { '{0}|{1}|{2}' -f $_.Name, ($_.OutputType.Name -join ','), $_.Parameters.ContainsKey('WhatIf') }");
        Assert.Null(r.Terminating);
        Assert.Equal(new[]
        {
            "Get-PortMirror|NlmonPS.PortMirroring.PortMirror|False",
            "New-PortMirror|NlmonPS.PortMirroring.PortMirror|True",
            "Remove-PortMirror|NlmonPS.PortMirroring.PortMirror|True",
        }, r.Output.Select(o => o.ToString()).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(typeof(NewPortMirrorCommand), true)]
    [InlineData(typeof(RemovePortMirrorCommand), true)]
    [InlineData(typeof(GetPortMirrorCommand), false)]
    public void CmdletShape(Type type, bool changes)
    {
        Assert.True(type.IsSealed);
        Assert.True(typeof(PSCmdlet).IsAssignableFrom(type));
        var cmdlet = type.GetCustomAttribute<CmdletAttribute>()!;
        Assert.Equal(changes, cmdlet.SupportsShouldProcess);
        if (changes) Assert.Equal(ConfirmImpact.Medium, cmdlet.ConfirmImpact);
        Assert.Contains(type.GetCustomAttributes<OutputTypeAttribute>(), o => o.Type.Any(t => t.Type == typeof(PortMirror)));
    }

    [Fact]
    public void HelpIsCompleteForEachCmdlet()
    {
        var path = Path.Combine(ModuleLoader.ModuleDirectory, "en-US", "NlmonPS.dll-Help.xml");
        var doc = XDocument.Load(path);
        XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        XNamespace maml = "http://schemas.microsoft.com/maml/2004/10";
        XNamespace dev = "http://schemas.microsoft.com/maml/dev/2004/10";
        Assert.Equal("helpItems", doc.Root!.Name.LocalName);
        Assert.Equal("maml", doc.Root.Attribute("schema")?.Value);
        foreach (var name in Cmdlets)
        {
            var entry = doc.Root.Elements(command + "command").SingleOrDefault(c => c.Element(command + "details")?.Element(command + "name")?.Value.Trim() == name);
            Assert.True(entry is not null, $"no help entry for {name}");
            Assert.False(string.IsNullOrWhiteSpace(entry.Element(command + "details")!.Element(maml + "description")?.Value), $"{name}: synopsis");
            Assert.False(string.IsNullOrWhiteSpace(entry.Element(maml + "description")?.Value), $"{name}: description");
            var type = typeof(PortMirror).Assembly.GetTypes().Single(t => t.GetCustomAttribute<CmdletAttribute>() is { } c && $"{c.VerbName}-{c.NounName}" == name);
            var documented = entry.Element(command + "parameters")!.Elements(command + "parameter").ToDictionary(p => p.Element(maml + "name")!.Value.Trim());
            foreach (var p in type.GetProperties().Where(p => p.GetCustomAttributes<ParameterAttribute>().Any()))
            {
                Assert.True(documented.TryGetValue(p.Name, out var doc1), $"{name}: parameter {p.Name} is not documented");
                Assert.False(string.IsNullOrWhiteSpace(doc1.Element(maml + "description")?.Value), $"{name} -{p.Name}: description");
                Assert.NotNull(doc1.Element(dev + "type"));
                Assert.NotNull(doc1.Attribute("required"));
                Assert.NotNull(doc1.Attribute("position"));
                Assert.NotNull(doc1.Attribute("pipelineInput"));
            }
            Assert.NotEmpty(entry.Element(command + "inputTypes")!.Elements());
            Assert.NotEmpty(entry.Element(command + "returnValues")!.Elements());
            Assert.True(entry.Element(command + "examples")!.Elements(command + "example").Count() >= 2, $"{name}: examples");
            Assert.NotEmpty(entry.Element(command + "relatedLinks")!.Elements());
        }
        Assert.Contains("Get-NetlinkMessage", doc.Root.Elements(command + "command")
            .Single(c => c.Element(command + "details")!.Element(command + "name")!.Value.Trim() == "New-PortMirror")
            .Element(command + "examples")!.Value);
    }

    [Fact]
    public void GetHelpReadsTheExamples()
    {
        using var host = new PowerShellHost();
        var r = host.Run("foreach ($c in 'New-PortMirror', 'Get-PortMirror', 'Remove-PortMirror') { '{0}|{1}|{2}' -f $c, @((Get-Help $c).examples.example).Count, (Get-Help $c).Synopsis }");
        Assert.Null(r.Terminating);
        foreach (var line in r.Output.Select(o => o.ToString()))
        {
            var parts = line.Split('|');
            Assert.True(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) >= 2, line);
            Assert.False(string.IsNullOrWhiteSpace(parts[2]), line);
            Assert.DoesNotContain("Parameters", parts[2]); // the auto-generated synopsis is the syntax
        }
    }

    [Fact]
    public void ThePesterSuiteParses()
    {
        var path = Path.Combine(ModuleLoader.RepoRoot, "tests", "Pester", "PortMirror.Tests.ps1");
        var ast = System.Management.Automation.Language.Parser.ParseFile(path, out _, out var errors);
        Assert.Empty(errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}"));
        var commands = ast.FindAll(a => a is System.Management.Automation.Language.CommandAst, true)
            .Cast<System.Management.Automation.Language.CommandAst>().Select(c => c.GetCommandName()).ToHashSet();
        foreach (var block in new[] { "BeforeDiscovery", "BeforeAll", "Describe", "BeforeEach", "AfterEach", "It", "Should" })
            Assert.Contains(block, commands);
        Assert.Contains("New-PortMirror", File.ReadAllText(path));
    }

    [Fact]
    public void TheTableViewShowsExistingProperties()
    {
        var doc = XDocument.Load(Path.Combine(ModuleLoader.RepoRoot, "NlmonPS.Format.ps1xml"));
        var view = doc.Descendants("View").Single(v => v.Element("ViewSelectedBy")?.Element("TypeName")?.Value == typeof(PortMirror).FullName);
        // Columns name a property, or read it in a script block ($_.Source, escaped for the terminal).
        var properties = view.Descendants("PropertyName").Select(p => p.Value)
            .Concat(view.Descendants("ScriptBlock").SelectMany(b => System.Text.RegularExpressions.Regex.Matches(b.Value, @"\$_\.(\w+)").Select(m => m.Groups[1].Value)))
            .Distinct().ToList();
        Assert.Contains("Source", properties);
        Assert.Contains("Packets", properties);
        foreach (var p in properties) Assert.NotNull(typeof(PortMirror).GetProperty(p));
        Assert.Equal(view.Descendants("TableColumnHeader").Count(), view.Descendants("TableColumnItem").Count());
    }
}
