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
}
