// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Formats.Tar;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Sources.Xen;

namespace BackupPlugins.Sources.Tests.Xen;

/// <summary>The XenAPI client and its typed calls against the XAPI fake, over TCP and the trusted Unix socket.</summary>
public sealed class XenApiTests(XapiFixture pool) : IClassFixture<XapiFixture>
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private Task<XapiClient> LoginAsync(string? url = null, string? password = null) =>
        XapiClient.LoginAsync(XapiEndpoint.Parse(url ?? pool.Url), "root", password ?? pool.Password, CallTimeout, CancellationToken.None);

    [Fact]
    public async Task AWrongPassword_IsSaidAsXapiSaysIt()
    {
        var ex = await Assert.ThrowsAsync<XapiException>(() => LoginAsync(password: "wrong"));

        Assert.Equal(("SESSION_AUTHENTICATION_FAILED", "XAPI session.login_with_password failed: the user root could not log in " +
            "(Authentication failure): check the password file"), (ex.Code, ex.Message));
    }

    [Fact]
    public async Task TheLocalSocket_NeedsNoPassword()
    {
        await using var client = await XapiClient.LoginAsync(XapiEndpoint.Parse("unix:" + pool.UnixSocket), "root", "", CallTimeout, CancellationToken.None);

        var vms = await new XenApi(client).VmsAsync(CancellationToken.None);

        Assert.Equal(pool.Vms.Keys.Order(StringComparer.Ordinal), vms.Where(v => v.IsGuest).Select(v => v.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ASlave_IsLeftForTheMasterItNames()
    {
        await using var client = await LoginAsync(pool.SlaveUrl);

        Assert.Equal(pool.Url.TrimEnd('/'), client.Endpoint.ToString());
        Assert.Contains(await new XenApi(client).VmsAsync(CancellationToken.None), v => v.Uuid == pool.Vms["web"]);
    }

    [Fact]
    public async Task ASnapshot_IsExportedAsAnXva_AndDestroyedWithItsDisks()
    {
        await using var client = await LoginAsync();
        var api = new XenApi(client);
        var web = (await api.VmByUuidAsync(pool.Vms["web"], CancellationToken.None))!;
        var (_, vdisBefore) = await pool.StateAsync();

        var snapshot = await api.SnapshotAsync(web, "bp-test", CancellationToken.None);
        Assert.True(snapshot is { IsSnapshot: true, IsTemplate: false } && snapshot.SnapshotOf == web.Ref, snapshot.ToString());
        Assert.Equal(2, (await api.DisksAsync(snapshot, CancellationToken.None)).Count);

        await using (var export = await api.ExportAsync(snapshot, compressed: false, CancellationToken.None))
        {
            Assert.NotNull(export.Socket); // plain HTTP: the body is the rest of a connection of its own
            var tar = new TarReader(export.Body);
            Assert.Equal("ova.xml", (await tar.GetNextEntryAsync())?.Name);
            var names = new List<string>();
            while (await tar.GetNextEntryAsync() is { } entry)
            {
                names.Add(entry.Name);
            }
            Assert.Contains(names, n => n.EndsWith(".xxhash", StringComparison.Ordinal));
        }

        await api.DestroySnapshotAsync(snapshot, CancellationToken.None);
        var (vms, vdisAfter) = await pool.StateAsync();
        Assert.DoesNotContain(vms.EnumerateArray(), v => v.GetProperty("uuid").GetString() == snapshot.Uuid);
        Assert.Equal(vdisBefore, vdisAfter);
    }

    [Fact]
    public async Task TheSweepsUndo_FindsASnapshotWhoseUuidWasNeverNoted_ByItsJournaledName()
    {
        await using var client = await LoginAsync();
        var api = new XenApi(client);
        var web = (await api.VmByUuidAsync(pool.Vms["web"], CancellationToken.None))!;
        await api.SnapshotAsync(web, "bp-killed-7", CancellationToken.None); // the job was killed before it noted the UUID
        var entry = new JournalEntry("1", XenEffects.Source, XenEffects.VmSnapshot, web.Uuid, DateTimeOffset.UtcNow, "s",
            new Dictionary<string, string> { [XenEffects.Name] = "bp-killed-7" });

        Assert.Null(await XenEffects.UndoAsync(api, entry, CancellationToken.None));
        Assert.Empty(await api.SnapshotsNamedAsync(web, "bp-killed-7", CancellationToken.None));
        Assert.Equal("never made", await XenEffects.UndoAsync(api, entry, CancellationToken.None));
    }
}
