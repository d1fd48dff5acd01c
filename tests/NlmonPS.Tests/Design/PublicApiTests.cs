using NlmonPS.Decoding;
using PublicApiGenerator;
using Xunit;

namespace NlmonPS.Tests.Design;

/// <summary>
/// The module's public API is pinned in PublicApi.approved.txt: what users meet in the pipeline and in scripts
/// (messages, fields, errors, drops, mirrors, devices, cmdlets). Changing it is a decision: on a difference the
/// test writes PublicApi.received.txt beside it; review it and copy it over the approved file.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void PublicApiIsTheApprovedOne()
    {
        string api = typeof(NetlinkMessage).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false })
            .ReplaceLineEndings("\n") + "\n";
        string approvedPath = Path.Combine(ModuleLoader.RepoRoot, "tests", "NlmonPS.Tests", "Design", "PublicApi.approved.txt");
        string approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (api == approved) return;
        string received = Path.Combine(Path.GetDirectoryName(approvedPath)!, "PublicApi.received.txt");
        try { File.WriteAllText(received, api); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        Assert.Fail($"The public API changed. Review {received} and, if the change is meant, copy it over {approvedPath}.");
    }
}
