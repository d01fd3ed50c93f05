// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Core.Trees;

/// <summary>
/// Swaps one leading directory of a name for another (a snapshot mounted at one place, recorded under another
/// name in Bareos). Component-wise: <c>/a/b</c> is a prefix of <c>/a/b/c</c>, not of <c>/a/bc</c>.
/// </summary>
public sealed class NamePrefix(byte[] from, byte[] to)
{
    public bool Matches(ReadOnlySpan<byte> name) =>
        name.StartsWith(from) && (name.Length == from.Length || name[from.Length] == (byte)'/');

    /// <summary>The name under <c>to</c>, or null when it is not under <c>from</c>.</summary>
    public byte[]? Map(ReadOnlySpan<byte> name) => Matches(name) ? [.. to, .. name[from.Length..]] : null;

    /// <summary>An entry walked under <c>from</c>, named under <c>to</c>; its data is still read where it is.</summary>
    public BackupItem Rename(BackupItem item) => item with
    {
        Name = Map(item.Name) ?? item.Name,
        Link = item.Kind == EntryKind.HardLink ? Map(item.Link) ?? item.Link : item.Link,
    };
}
