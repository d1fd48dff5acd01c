using System.Management.Automation;
using Xunit;

namespace NlmonPS.Tests.Cmdlets;

/// <summary>The manifest and the help of every exported cmdlet, as users see them.</summary>
public sealed class ModuleTests : IDisposable
{
    private readonly PowerShellHost _host = new();

    public static TheoryData<string> ExportedCmdlets()
    {
        using var host = new PowerShellHost();
        var data = new TheoryData<string>();
        foreach (var o in host.Run("(Get-Module NlmonPS).ExportedCmdlets.Keys").Output) data.Add(o.ToString());
        return data;
    }

    [Fact]
    public void ManifestIsValid()
    {
        var r = _host.Run("Test-ModuleManifest -Path $p", new Dictionary<string, object?> { ["p"] = ModuleLoader.ManifestPath });
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        var info = (PSModuleInfo)Assert.Single(r.Output).BaseObject;
        Assert.Equal("NlmonPS", info.Name);
        Assert.Contains("Get-NetlinkMessage", info.ExportedCmdlets.Keys);
    }

    [Fact]
    public void EveryCmdletInTheManifestIsExported()
    {
        var listed = _host.Run("(Import-PowerShellDataFile -Path $p).CmdletsToExport", new Dictionary<string, object?> { ["p"] = ModuleLoader.ManifestPath });
        var exported = _host.Run("(Get-Module NlmonPS).ExportedCmdlets.Keys").Output.Select(o => o.ToString()).ToHashSet();
        foreach (var name in listed.Output.Select(o => o.ToString())) Assert.Contains(name, exported);
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void HelpIsComplete(string cmdlet)
    {
        var help = Assert.Single(_host.Run("Get-Help $c -Full", new Dictionary<string, object?> { ["c"] = cmdlet }).Output);
        string Text(object? o) => o is null ? "" : string.Join("", LanguagePrimitives.GetEnumerable(o)?.Cast<object>().Select(x => PSObject.AsPSObject(x).Properties["Text"]?.Value?.ToString() ?? x.ToString()) ?? new[] { o.ToString() });
        Assert.False(string.IsNullOrWhiteSpace(help.Properties["Synopsis"].Value?.ToString()), "synopsis");
        Assert.DoesNotContain(cmdlet + " ", help.Properties["Synopsis"].Value?.ToString() ?? "");
        Assert.False(string.IsNullOrWhiteSpace(Text(help.Properties["description"]?.Value)), "description");

        var command = _host.Run("Get-Command $c", new Dictionary<string, object?> { ["c"] = cmdlet }).Output.Single().BaseObject as CmdletInfo;
        var common = new HashSet<string>(System.Management.Automation.Cmdlet.CommonParameters.Concat(System.Management.Automation.Cmdlet.OptionalCommonParameters));
        var documented = _host.Run("(Get-Help $c -Full).parameters.parameter | ForEach-Object { $_.name + '|' + (($_.description | ForEach-Object Text) -join ' ') }",
            new Dictionary<string, object?> { ["c"] = cmdlet }).Output.Select(o => o.ToString().Split('|', 2)).ToDictionary(p => p[0], p => p[1]);
        foreach (var parameter in command!.Parameters.Keys.Where(p => !common.Contains(p)))
        {
            Assert.True(documented.TryGetValue(parameter, out var description), $"{cmdlet} -{parameter} is documented");
            Assert.False(string.IsNullOrWhiteSpace(description), $"{cmdlet} -{parameter} has a description");
        }
        var examples = _host.Run("@((Get-Help $c -Full).examples.example).Count", new Dictionary<string, object?> { ["c"] = cmdlet }).Output.Single();
        Assert.True((int)examples.BaseObject >= 1, $"{cmdlet} has an example");
    }

    [Fact]
    public void MessageTypesComplete()
    {
        var r = _host.Run("(TabExpansion2 -inputScript 'Get-NetlinkMessage -MessageType RTM_NEWL' -cursorColumn 39).CompletionMatches.CompletionText");
        Assert.Contains("RTM_NEWLINK", r.Output.Select(o => o.ToString()));
    }

    public void Dispose() => _host.Dispose();
}
