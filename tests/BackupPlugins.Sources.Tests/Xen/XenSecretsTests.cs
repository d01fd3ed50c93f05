// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Xen;

namespace BackupPlugins.Sources.Tests.Xen;

public sealed class XenSecretsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-secrets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = Path.Combine(_dir, "pass");
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void TheSeedsPasswordFile_IsBase64OfThePassword() =>
        Assert.Equal(new XenSecrets("root", "s3cret $pw", null, null), XenSecrets.Load(Write("czNjcmV0ICRwdw==\n")));

    [Fact]
    public void ASecretsFile_GivesUserPasswordAndSmtpCredentials() =>
        Assert.Equal(new XenSecrets("backup", "p=w", "mailer", "m"),
            XenSecrets.Load(Write("# for VmBackup\nuser=backup\npassword=p=w\nsmtp_user=mailer\nsmtp_password=m\n")));

    [Fact]
    public void AFileOthersCanRead_IsRefused_WithTheCommandThatFixesIt()
    {
        var path = Write("password=x\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        Assert.Equal($"password file {path} can be read by others (mode 644): chmod 600 {path} (it holds a password)",
            Assert.Throws<FormatException>(() => XenSecrets.Load(path)).Message);
    }

    [Fact]
    public void NeitherForm_IsRefused()
    {
        var path = Write("not base64 at all!\n");

        Assert.Equal($"password file {path}: its one line is not base64 (the seed's create-password-file form); write password=… instead",
            Assert.Throws<FormatException>(() => XenSecrets.Load(path)).Message);
    }
}
