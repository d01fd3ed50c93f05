// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Trees;

/// <summary>
/// Exclusion rules for a tree, given as globs: a pattern with a leading '/' is anchored at the tree's root
/// (<c>/cache</c>); any other pattern matches at any depth, against the entry's name (<c>*.tmp</c>) or, if it
/// contains '/', against the trailing part of its path (<c>build/*.o</c>). An excluded directory is pruned. With
/// <c>only</c> (paths from the root, as dar's <c>-g</c>), everything outside those trees is excluded too, but for the
/// directories on the way to them.
/// </summary>
public sealed class PathFilter
{
    private readonly List<Glob> _anchored = [];
    private readonly List<Glob> _names = [];
    private readonly List<Glob> _tails = [];
    private readonly List<byte[]>? _only;

    public PathFilter(IEnumerable<string> patterns, IEnumerable<string>? only = null)
    {
        var trees = only?.Select(t => t.Trim('/')).Where(t => t.Length > 0).ToList();
        _only = trees is { Count: > 0 } ? trees.Select(t => System.Text.Encoding.UTF8.GetBytes(t)).ToList() : null;
        foreach (var raw in patterns)
        {
            var pattern = raw.TrimEnd('/');
            if (pattern.StartsWith('/'))
            {
                _anchored.Add(new Glob(pattern.TrimStart('/')));
            }
            else if (pattern.Contains('/'))
            {
                _tails.Add(new Glob(pattern));
            }
            else if (pattern.Length > 0)
            {
                _names.Add(new Glob(pattern));
            }
        }
    }

    public static PathFilter None { get; } = new([]);

    /// <summary>Is the entry at <paramref name="relative"/> (from the root, no leading '/') excluded?</summary>
    public bool IsExcluded(ReadOnlySpan<byte> relative)
    {
        if (relative.IsEmpty)
        {
            return false;
        }
        if (_only is not null && !OnTheWayToOrInside(relative))
        {
            return true;
        }
        foreach (var g in _anchored)
        {
            if (g.IsMatch(relative))
            {
                return true;
            }
        }
        var slash = relative.LastIndexOf((byte)'/');
        var name = relative[(slash + 1)..];
        foreach (var g in _names)
        {
            if (g.IsMatch(name))
            {
                return true;
            }
        }
        if (_tails.Count > 0)
        {
            for (var i = 0; i <= relative.Length; i++)
            {
                if (i != 0 && relative[i - 1] != (byte)'/')
                {
                    continue;
                }
                foreach (var g in _tails)
                {
                    if (g.IsMatch(relative[i..]))
                    {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /// <summary>Is <paramref name="relative"/> one of the <c>only</c> trees, inside one, or a directory above one?</summary>
    private bool OnTheWayToOrInside(ReadOnlySpan<byte> relative)
    {
        foreach (var tree in _only!)
        {
            var t = tree.AsSpan();
            if (relative.SequenceEqual(t)
                || (relative.Length > t.Length && relative.StartsWith(t) && relative[t.Length] == (byte)'/')
                || (t.Length > relative.Length && t.StartsWith(relative) && t[relative.Length] == (byte)'/'))
            {
                return true;
            }
        }
        return false;
    }
}
