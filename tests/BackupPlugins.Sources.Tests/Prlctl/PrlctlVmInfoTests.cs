// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Prlctl;

namespace BackupPlugins.Sources.Tests.Prlctl;

public sealed class PrlctlVmInfoTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "prlctl", name));

    [Fact]
    public void ListInfoJson_GivesUuidNameStateUptimeAndBundle_NamesWithQuotesAndDollarsIntact() =>
        Assert.Equal(new PrlctlVmInfo("6a0e1b52-3f1d-4c3e-9d8e-1f2a3b4c5d6e", "Windows 10 \"Büro\" $HOME", "running", 12 * 86400 + 3723,
            "/vz/vmprivate/Windows 10 \"Büro\" $HOME.pvm"), PrlctlVmInfo.Parse(Fixture("list-i-j-vm-running.json")));

    [Theory]
    [InlineData("", "not JSON: ")]
    [InlineData("[]", "not a JSON array of one virtual machine")]
    [InlineData("[{\"Type\": \"CT\"}]", "\"Type\" is \"CT\", not a virtual machine")]
    [InlineData("[{\"Type\": \"VM\", \"ID\": \"x\", \"Name\": \"n\", \"State\": \"running\", \"Uptime\": \"01:02:03\", \"Home\": \"/h/\"}]",
        "\"Uptime\" is \"01:02:03\", not a number of seconds")]
    [InlineData("[{\"Type\": \"VM\", \"ID\": \"x\"}]", "no \"Name\" in prlctl's description of the virtual machine")]
    public void OutputThisVersionCannotRead_IsAFormatException(string json, string message) =>
        Assert.StartsWith(message, Assert.Throws<FormatException>(() => PrlctlVmInfo.Parse(json)).Message);

    [Fact]
    public void ListAllInfoJson_GivesEveryVm() =>
        Assert.Equal(
        [
            new PrlctlVmInfo("6a0e1b52-3f1d-4c3e-9d8e-1f2a3b4c5d6e", "Windows 10 \"Büro\" $HOME", "running", 3600, "/vz/vmprivate/a.pvm"),
            new PrlctlVmInfo("0d6c1a3e-5b2f-4e8a-9c7d-1e2f3a4b5c6d", "db", "stopped", 10, "/vz/vmprivate/b.pvm"),
        ], PrlctlVmInfo.ParseAll(Fixture("list-a-i-j-vmtype-vm-two.json")));

    [Fact]
    public void ListAllInfoJson_NoVms_IsEmpty() => Assert.Empty(PrlctlVmInfo.ParseAll("[\n]\n"));
}
