// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace BackupPlugins.Core.Tests;

/// <summary>The rules of ARCHITECTURE.md that a compiler does not check.</summary>
public partial class ArchitectureTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BackupPlugins.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("BackupPlugins.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"Process\.Start\(|new ProcessStartInfo|ProcessStartInfo\(|Cli\.Wrap\(|using CliWrap")]
    private static partial Regex ProcessUse();

    [Fact]
    public void ExternalCommands_RunOnlyInTheToolsProject()
    {
        var offenders = Directory.EnumerateFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/") && !f.Contains("/BackupPlugins.Tools/"))
            .Where(f => ProcessUse().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(Root, f))
            .ToList();
        Assert.Empty(offenders);
    }

    [Theory]
    [InlineData("BackupPlugins.Protocol", new string[0])]
    [InlineData("BackupPlugins.Core", new string[0])]
    [InlineData("BackupPlugins.Tools", new[] { "BackupPlugins.Core" })]
    [InlineData("BackupPlugins.Sources", new[] { "BackupPlugins.Core" })]
    [InlineData("BackupPlugins.Service", new[] { "BackupPlugins.Core", "BackupPlugins.Protocol", "BackupPlugins.Sources", "BackupPlugins.Tools" })]
    [InlineData("BackupPlugins.Cli", new[] { "BackupPlugins.Protocol", "BackupPlugins.Service" })]
    // the grpc-fd module is a thin client of the host, as the python3-fd shim is: it knows the wire and nothing else
    [InlineData("BackupPlugins.GrpcModule", new[] { "BackupPlugins.Protocol" })]
    public void Projects_ReferenceOnlyWhatTheDependencyRuleAllows(string project, string[] allowed)
    {
        var csproj = XDocument.Load(Path.Combine(Root, "src", project, project + ".csproj"));
        var references = csproj.Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value))
            .Order()
            .ToArray();
        Assert.Equal(allowed, references);
    }

    /// <summary>Tool wrappers of a system that more than one source folder drives (prlctl: Virtuozzo containers, Parallels VMs).</summary>
    private static readonly string[] SharedTools = ["Prlctl"];

    [Fact]
    public void Sources_DoNotUseEachOther_OnlySharedToolWrappers_AndThoseUseNoSource()
    {
        var sourcesDir = Path.Combine(Root, "src", "BackupPlugins.Sources");
        var folders = Directory.GetDirectories(sourcesDir).Select(Path.GetFileName).Where(n => n is not ("bin" or "obj")).ToList();
        Assert.Subset(folders.Select(f => f!).ToHashSet(), SharedTools.ToHashSet()); // each shared folder exists
        foreach (var folder in folders)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(sourcesDir, folder!), "*.cs", SearchOption.AllDirectories))
            {
                var text = File.ReadAllText(file);
                foreach (var other in folders.Where(o => o != folder && !SharedTools.Contains(o)))
                {
                    Assert.DoesNotContain($"BackupPlugins.Sources.{other}", text);
                }
            }
        }
    }
}
