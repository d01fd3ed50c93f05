// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Config;

/// <summary>A settings object the running host can replace (SIGHUP reloads the host configuration).</summary>
public interface IReloadable
{
    Type SettingsType { get; }
    object CurrentValue { get; }
    void Replace(object value);
}

/// <summary>
/// Settings the host can replace while it runs: a job reads <see cref="Current"/> once, when it starts, and keeps what it
/// read to its end, so a reload never changes a running job's tools or directories halfway.
/// </summary>
public sealed class Reloadable<T>(T initial) : IReloadable where T : class
{
    private T _current = initial;

    public T Current => Volatile.Read(ref _current);

    public Type SettingsType => typeof(T);
    public object CurrentValue => Current;

    public void Replace(object value) => Volatile.Write(ref _current, (T)value);

    /// <summary>Settings that are never replaced (tests, tools built for one job).</summary>
    public static implicit operator Reloadable<T>(T value) => new(value);
}
