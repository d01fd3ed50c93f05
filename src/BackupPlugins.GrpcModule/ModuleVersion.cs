// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Reflection;

namespace BackupPlugins.GrpcModule;

/// <summary>The module's version as the build stamped it (Directory.Build.props, and the commit when built from git).</summary>
internal static class ModuleVersion
{
    public static string Text { get; } =
        typeof(ModuleVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
