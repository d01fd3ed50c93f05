// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Options;

/// <summary>One option a source accepts, as listed by the control service and checked before a job starts.</summary>
public sealed record OptionSpec(string Name, string Description, bool Required = false, string? Default = null);
