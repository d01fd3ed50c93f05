// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Posix;

namespace BackupPlugins.Sources.Xen;

/// <summary>
/// Credentials from a file only its owner can read (mode 0600 or stricter; never from argv). Two forms: a secrets file
/// of <c>key=value</c> lines (<c>user</c>, default root; <c>password</c>; <c>smtp_user</c>; <c>smtp_password</c>), or the
/// seed's password file (VmBackup.py <c>create-password-file=</c>): one line, the password in base64.
/// </summary>
public sealed record XenSecrets(string User, string Password, string? SmtpUser, string? SmtpPassword)
{
    private static readonly string[] Keys = ["user", "password", "smtp_user", "smtp_password"];

    public static XenSecrets Load(string path)
    {
        if (!FileSystem.TryLStat(PosixPath.FromString(path), out var stat, out var errno))
        {
            throw new FormatException($"password file {path} cannot be read: {FileSystem.DescribeErrno(errno)}");
        }
        if ((stat.Mode & 0x3F) != 0)
        {
            throw new FormatException($"password file {path} can be read by others (mode {Convert.ToString(stat.Mode & 0xFFF, 8)}): " +
                                      $"chmod 600 {path} (it holds a password)");
        }
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var pairs = lines.Select(l => l.Split('=', 2)).Where(p => p.Length == 2 && Keys.Contains(p[0].Trim())).ToList();
        if (pairs.Count > 0)
        {
            var unknown = lines.Count - pairs.Count;
            if (unknown > 0)
            {
                throw new FormatException($"password file {path}: {unknown} line(s) are not user=, password=, smtp_user= or smtp_password=");
            }
            var d = pairs.ToDictionary(p => p[0].Trim(), p => p[1].Trim());
            return new XenSecrets(d.GetValueOrDefault("user") ?? "root",
                d.GetValueOrDefault("password") ?? throw new FormatException($"password file {path} has no password= line"),
                d.GetValueOrDefault("smtp_user"), d.GetValueOrDefault("smtp_password"));
        }
        if (lines.Count != 1)
        {
            throw new FormatException($"password file {path} is neither key=value lines (password=…) nor the seed's one base64 line");
        }
        try
        {
            return new XenSecrets("root", Encoding.UTF8.GetString(Convert.FromBase64String(lines[0])), null, null);
        }
        catch (FormatException)
        {
            throw new FormatException($"password file {path}: its one line is not base64 (the seed's create-password-file form); " +
                                      "write password=… instead");
        }
    }
}
