// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;

namespace BackupPlugins.Sources.Xen;

/// <summary>
/// The XenAPI calls the Xen jobs make, typed, over one <see cref="XapiClient"/> session. Snapshots are made and
/// destroyed here with their disks: a snapshot VM's VDIs are not removed by <c>VM.destroy</c>, so
/// <see cref="DestroySnapshotAsync"/> destroys them after it (what <c>xe vm-uninstall</c> does).
/// </summary>
public sealed class XenApi(XapiClient client)
{
    public XapiClient Client => client;

    public async Task<IReadOnlyList<VmRecord>> VmsAsync(CancellationToken ct) =>
        (await client.CallAsync("VM.get_all_records", ct)).EnumerateObject().Select(p => VmRecord.Parse(p.Name, p.Value)).ToList();

    public async Task<VmRecord> VmAsync(string reference, CancellationToken ct) =>
        VmRecord.Parse(reference, await client.CallAsync("VM.get_record", ct, reference));

    /// <summary>The VM with this UUID, or null when XAPI says there is none (UUID_INVALID).</summary>
    public async Task<VmRecord?> VmByUuidAsync(string uuid, CancellationToken ct)
    {
        try
        {
            return await VmAsync((await client.CallAsync("VM.get_by_uuid", ct, uuid)).GetString()!, ct);
        }
        catch (XapiException ex) when (ex.Code == "UUID_INVALID")
        {
            return null;
        }
    }

    public async Task<VbdRecord> VbdAsync(string reference, CancellationToken ct) =>
        VbdRecord.Parse(reference, await client.CallAsync("VBD.get_record", ct, reference));

    public async Task<VdiRecord> VdiAsync(string reference, CancellationToken ct) =>
        VdiRecord.Parse(reference, await client.CallAsync("VDI.get_record", ct, reference));

    public async Task<VifRecord> VifAsync(string reference, CancellationToken ct) =>
        VifRecord.Parse(reference, await client.CallAsync("VIF.get_record", ct, reference));

    public async Task<JsonElement> RecordAsync(string cls, string reference, CancellationToken ct) =>
        await client.CallAsync(cls + ".get_record", ct, reference);

    /// <summary>The VM's disks (VBDs of type Disk that hold a VDI), in device order.</summary>
    public async Task<IReadOnlyList<(VbdRecord Vbd, VdiRecord Vdi)>> DisksAsync(VmRecord vm, CancellationToken ct)
    {
        var disks = new List<(VbdRecord, VdiRecord)>();
        foreach (var reference in vm.Vbds)
        {
            var vbd = await VbdAsync(reference, ct);
            if (vbd.Type == "Disk" && !vbd.Empty && vbd.Vdi != RecordFields.Null)
            {
                disks.Add((vbd, await VdiAsync(vbd.Vdi, ct)));
            }
        }
        return disks.OrderBy(d => d.Item1.UserDevice, StringComparer.Ordinal).ToList();
    }

    /// <summary>Snapshots a VM (<c>VM.snapshot</c>) and makes the snapshot exportable as a VM: not a template, no HA restart.</summary>
    public async Task<VmRecord> SnapshotAsync(VmRecord vm, string name, CancellationToken ct)
    {
        var snapshot = (await client.CallAsync("VM.snapshot", ct, vm.Ref, name)).GetString()!;
        await client.CallAsync("VM.set_is_a_template", ct, snapshot, false);
        await client.CallAsync("VM.set_ha_always_run", ct, snapshot, false);
        return await VmAsync(snapshot, ct);
    }

    /// <summary>Destroys a snapshot VM and then the VDIs its disks held (checked first: it must be a snapshot).</summary>
    public async Task DestroySnapshotAsync(VmRecord snapshot, CancellationToken ct)
    {
        if (!snapshot.IsSnapshot)
        {
            throw new InvalidOperationException($"refusing to destroy {snapshot.Name} ({snapshot.Uuid}): it is not a snapshot");
        }
        var vdis = (await DisksAsync(snapshot, ct)).Select(d => d.Vdi).ToList();
        await client.CallAsync("VM.destroy", ct, snapshot.Ref);
        foreach (var vdi in vdis)
        {
            await client.CallAsync("VDI.destroy", ct, vdi.Ref);
        }
    }

    /// <summary>The snapshots of <paramref name="vm"/> named <paramref name="name"/>.</summary>
    public async Task<IReadOnlyList<VmRecord>> SnapshotsNamedAsync(VmRecord vm, string name, CancellationToken ct) =>
        (await VmsAsync(ct)).Where(v => v.IsSnapshot && v.SnapshotOf == vm.Ref && v.Name == name).ToList();

    public Task AddBlockedOperationAsync(VmRecord vm, string operation, string reason, CancellationToken ct) =>
        client.CallAsync("VM.add_to_blocked_operations", ct, vm.Ref, operation, reason);

    public Task RemoveBlockedOperationAsync(VmRecord vm, string operation, CancellationToken ct) =>
        client.CallAsync("VM.remove_from_blocked_operations", ct, vm.Ref, operation);

    /// <summary>The XVA export of a VM (<c>GET /export?uuid=…</c>): the response, its body not yet read.</summary>
    public Task<XapiDownload> ExportAsync(VmRecord vm, bool compressed, CancellationToken ct) =>
        DownloadAsync("export", new Dictionary<string, string> { ["uuid"] = vm.Uuid, ["use_compression"] = compressed ? "true" : "false" }, ct);

    /// <summary>
    /// The metadata export of a VM (<c>GET /export_metadata?uuid=…</c>, what <c>xe vm-export metadata=true</c> asks): an
    /// XVA of <c>ova.xml</c> alone — the VM's definition, its disks and networks by reference, no disk data.
    /// </summary>
    public Task<XapiDownload> ExportMetadataAsync(VmRecord vm, CancellationToken ct) =>
        DownloadAsync("export_metadata", new Dictionary<string, string> { ["uuid"] = vm.Uuid }, ct);

    /// <summary>The raw or VHD export of a VDI (<c>GET /export_raw_vdi?vdi=…&amp;format=…</c>).</summary>
    public Task<XapiDownload> ExportVdiAsync(VdiRecord vdi, string format, CancellationToken ct) =>
        DownloadAsync("export_raw_vdi", new Dictionary<string, string> { ["vdi"] = vdi.Uuid, ["format"] = format }, ct);

    /// <summary>
    /// A GET of an export handler with a task of our own (<c>task_id=</c>): XAPI ends a failed export by closing the
    /// connection, as it ends a good one, and says which it was in the task, which <see cref="XapiDownload.EndAsync"/> reads.
    /// </summary>
    private async Task<XapiDownload> DownloadAsync(string handler, Dictionary<string, string> query, CancellationToken ct)
    {
        var task = (await client.CallAsync("task.create", ct, "backup-plugins " + handler, "an export read by backup-plugins")).GetString()!;
        query["task_id"] = task;
        XapiDownload download;
        try
        {
            download = await client.GetAsync(handler, query, ct);
        }
        catch
        {
            await ForgetTaskAsync(task);
            throw;
        }
        download.Finish = async end =>
        {
            try
            {
                await WaitTaskAsync(task, "/" + handler, end);
            }
            finally
            {
                await ForgetTaskAsync(task);
            }
        };
        download.Abandon = () => ForgetTaskAsync(task);
        return download;
    }

    /// <summary>Destroys a task of ours (best effort, ten seconds at most: XAPI removes finished tasks itself in time).</summary>
    private async Task ForgetTaskAsync(string task)
    {
        try
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.CallAsync("task.destroy", quick.Token, task);
        }
        catch (Exception ex) when (ex is XapiException or IOException or TimeoutException or OperationCanceledException)
        {
            // XAPI garbage-collects tasks
        }
    }

    /// <summary>The VDI with this UUID, or null when XAPI says there is none.</summary>
    public async Task<VdiRecord?> VdiByUuidAsync(string uuid, CancellationToken ct)
    {
        try
        {
            return await VdiAsync((await client.CallAsync("VDI.get_by_uuid", ct, uuid)).GetString()!, ct);
        }
        catch (XapiException ex) when (ex.Code == "UUID_INVALID")
        {
            return null;
        }
    }

    /// <summary>Snapshots one disk (<c>VDI.snapshot</c>) and names the snapshot.</summary>
    public async Task<VdiRecord> SnapshotVdiAsync(VdiRecord vdi, string name, CancellationToken ct)
    {
        var snapshot = (await client.CallAsync("VDI.snapshot", ct, vdi.Ref, new Dictionary<string, string>())).GetString()!;
        await client.CallAsync("VDI.set_name_label", ct, snapshot, name);
        return await VdiAsync(snapshot, ct);
    }

    /// <summary>Destroys a VDI snapshot (checked first: it must be a snapshot).</summary>
    public async Task DestroyVdiSnapshotAsync(VdiRecord snapshot, CancellationToken ct)
    {
        if (!snapshot.IsSnapshot)
        {
            throw new InvalidOperationException($"refusing to destroy disk {snapshot.Name} ({snapshot.Uuid}): it is not a snapshot");
        }
        await client.CallAsync("VDI.destroy", ct, snapshot.Ref);
    }

    /// <summary>The pool database (<c>GET /pool/xmldbdump</c>).</summary>
    public Task<XapiDownload> PoolDatabaseAsync(CancellationToken ct) =>
        client.GetAsync("pool/xmldbdump", new Dictionary<string, string>(), ct);

    /// <summary>Whether the host named <paramref name="hostName"/> is the pool's master (the seed's test).</summary>
    public async Task<bool> IsMasterAsync(string hostName, CancellationToken ct)
    {
        var pool = (await client.CallAsync("pool.get_all", ct)).EnumerateArray().First().GetString()!;
        var master = (await client.CallAsync("pool.get_master", ct, pool)).GetString()!;
        var named = (await client.CallAsync("host.get_by_name_label", ct, hostName)).EnumerateArray().Select(e => e.GetString()).ToList();
        return named.Contains(master);
    }

    /// <summary>
    /// Imports an XVA (<c>PUT /import</c> with a task of our own) and returns the new VM: XAPI answers before it reads
    /// the body, so the outcome is the task's — its error, or its result: the new VMs' refs as XML-RPC text.
    /// </summary>
    public async Task<VmRecord> ImportAsync(Stream xva, string? srRef, CancellationToken ct)
    {
        var task = (await client.CallAsync("task.create", ct, "backup-plugins import", "restore of an XVA")).GetString()!;
        try
        {
            var query = new Dictionary<string, string> { ["task_id"] = task };
            if (srRef is not null)
            {
                query["sr_id"] = srRef;
            }
            await client.PutUntilEndAsync("import", query, xva, ct);
            var result = await WaitTaskAsync(task, "/import", ct);
            var vm = System.Text.RegularExpressions.Regex.Match(result, "OpaqueRef:[0-9a-fA-F-]+");
            return vm.Success ? await VmAsync(vm.Value, ct) : throw new IOException($"the import's task names no VM: {result}");
        }
        finally
        {
            await client.CallAsync("task.destroy", ct, task);
        }
    }

    /// <summary>Waits for a task; its result, or its error as the <see cref="XapiException"/> XAPI would have raised.</summary>
    public async Task<string> WaitTaskAsync(string task, string what, CancellationToken ct)
    {
        while (true)
        {
            var status = (await client.CallAsync("task.get_status", ct, task)).GetString();
            switch (status)
            {
                case "success":
                    return (await client.CallAsync("task.get_result", ct, task)).GetString() ?? "";
                case "failure" or "cancelled":
                    var info = (await client.CallAsync("task.get_error_info", ct, task)).EnumerateArray().Select(e => e.GetString() ?? "").ToList();
                    throw new XapiException(what, info.FirstOrDefault() ?? "TASK_FAILED", info.Skip(1).ToList());
            }
            await Task.Delay(200, ct);
        }
    }

    public Task SetNameAsync(VmRecord vm, string name, CancellationToken ct) => client.CallAsync("VM.set_name_label", ct, vm.Ref, name);

    /// <summary>The SR with this UUID (its ref), or the pool's default SR when <paramref name="uuid"/> is null.</summary>
    public async Task<string> SrAsync(string? uuid, CancellationToken ct)
    {
        if (uuid is not null)
        {
            return (await client.CallAsync("SR.get_by_uuid", ct, uuid)).GetString()!;
        }
        var pool = (await client.CallAsync("pool.get_all", ct)).EnumerateArray().First().GetString()!;
        return (await client.CallAsync("pool.get_default_SR", ct, pool)).GetString()!;
    }

    /// <summary>A new, empty VDI of <paramref name="size"/> bytes on an SR, and the raw import of <paramref name="data"/> into it.</summary>
    public async Task<VdiRecord> ImportRawVdiAsync(string srRef, string name, long size, Stream data, CancellationToken ct)
    {
        var vdi = (await client.CallAsync("VDI.create", ct, new Dictionary<string, object>
        {
            ["name_label"] = name, ["name_description"] = "restored by backup-plugins", ["SR"] = srRef, ["virtual_size"] = size,
            ["type"] = "user", ["sharable"] = false, ["read_only"] = false, ["other_config"] = new Dictionary<string, string>(),
            ["xenstore_data"] = new Dictionary<string, string>(), ["sm_config"] = new Dictionary<string, string>(), ["tags"] = Array.Empty<string>(),
        })).GetString()!;
        await client.PutAsync("import_raw_vdi", new Dictionary<string, string> { ["vdi"] = vdi, ["format"] = "raw" }, data, size, ct);
        return await VdiAsync(vdi, ct);
    }
}
