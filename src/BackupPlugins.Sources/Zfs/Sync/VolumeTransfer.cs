// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Zfs.Sync;

/// <summary>
/// Carries out one volume's plan: the destructive preparation (rollback, or destroying every destination snapshot
/// for a forced full), the send/receive, and the GUID check of what arrived. False (and a line saying why) on failure.
/// Each send/receive is a transfer whose progress the operator sees, its total the plan's <paramref name="estimate"/>
/// where that is of the stream being sent.
/// </summary>
internal sealed class VolumeTransfer(ZfsTool zfs, SyncOptions options, IJobConsole console,
    IReadOnlyList<ZfsSnapshot> source, IReadOnlyList<ZfsSnapshot>? destination, SendEstimate? estimate = null)
{
    private readonly TextWriter _output = console.Out;

    public async Task<bool> RunAsync(VolumePlan plan, string target, CancellationToken cancellationToken)
    {
        try
        {
            return plan.Action switch
            {
                SyncAction.Full => await FullAsync(plan, target, force: false, cancellationToken),
                SyncAction.ForceFull => await ConfirmedAsync($"destroy every snapshot of {target} and send {plan.Target!.Name} in full?", cancellationToken) &&
                                        await DestroyAllAsync(target, cancellationToken) && await FullAsync(plan, target, force: true, cancellationToken),
                SyncAction.RollbackThenIncremental => await ConfirmedAsync($"roll {target} back to {plan.Base!.Name}, destroying " +
                                                          $"{string.Join(", ", plan.NewerOnDestination.Select(s => s.Name))}?", cancellationToken) &&
                                                      await RollbackAsync(plan, target, cancellationToken) &&
                                                      await SendAsync(plan.Base!, plan.Target!, target, estimate, cancellationToken),
                SyncAction.Incremental => await SendAsync(plan.Base!, plan.Target!, target, estimate, cancellationToken),
                _ => true,
            } && await VerifyAsync(plan.Target!, target, cancellationToken);
        }
        catch (ToolFailedException ex)
        {
            await _output.WriteLineAsync($"error: {ex.Message}");
            return false;
        }
    }

    private async Task<bool> ConfirmedAsync(string question, CancellationToken cancellationToken)
    {
        if (!options.Confirm || await console.AskAsync(question, cancellationToken))
        {
            return true;
        }
        await _output.WriteLineAsync("error: not done, as answered: " + question);
        return false;
    }

    private async Task<bool> DestroyAllAsync(string target, CancellationToken cancellationToken)
    {
        foreach (var snapshot in destination ?? [])
        {
            await zfs.DestroyAsync(snapshot.FullName, cancellationToken);
            await _output.WriteLineAsync($"destroyed {snapshot.FullName} (--force-full)");
        }
        return true;
    }

    private async Task<bool> RollbackAsync(VolumePlan plan, string target, CancellationToken cancellationToken)
    {
        await zfs.RollbackAsync($"{target}@{plan.Base!.Name}", cancellationToken);
        await _output.WriteLineAsync($"rolled {target} back to {plan.Base.Name} (--rollback)");
        return true;
    }

    /// <summary>
    /// A full stream carries one snapshot: with intermediates the oldest goes in full and the rest follow with
    /// <c>-I</c>, so the destination gets the whole history (as syncoid does); without, only the newest.
    /// </summary>
    private async Task<bool> FullAsync(VolumePlan plan, string target, bool force, CancellationToken cancellationToken)
    {
        var first = options.Intermediates ? source[0] : plan.Target!;
        var whole = first.Guid == plan.Target!.Guid; // the estimate is of the target's full stream: this one
        await TransferAsync(zfs.Send(first.FullName, null, false), zfs.Receive(target, force), first, target, whole ? estimate : null,
            cancellationToken);
        return whole || await SendAsync(first, plan.Target, target, null, cancellationToken);
    }

    /// <summary>
    /// Incremental from the common base. <c>receive -F</c> only rolls the destination back to its latest snapshot
    /// (which the plan has checked is the base), undoing stray changes such as atime updates on a mounted copy.
    /// </summary>
    private async Task<bool> SendAsync(ZfsSnapshot from, ZfsSnapshot to, string target, SendEstimate? size, CancellationToken cancellationToken)
    {
        await TransferAsync(zfs.Send(to.FullName, from.FullName, options.Intermediates), zfs.Receive(target, force: true), to, target, size,
            cancellationToken);
        return true;
    }

    private async Task TransferAsync(ToolCommand send, ToolCommand receive, ZfsSnapshot snapshot, string target, SendEstimate? size,
        CancellationToken cancellationToken)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        PipeResult result;
        using (var progress = console.Transfer($"{snapshot.FullName} -> {target}", size?.Bytes, size is { Exact: false }))
        {
            result = await zfs.SendReceiveAsync(send, receive, cancellationToken, progress);
            progress.Complete();
        }
        var seconds = Math.Max(watch.Elapsed.TotalSeconds, 0.001);
        await _output.WriteLineAsync($"sent {snapshot.FullName} to {target}: {result.Bytes} bytes in {seconds:0.0} s " +
                                    $"({result.Bytes / seconds / 1e6:0.0} MB/s)");
    }

    private async Task<bool> VerifyAsync(ZfsSnapshot sent, string target, CancellationToken cancellationToken)
    {
        var arrived = (await zfs.SnapshotsAsync(target, cancellationToken))?.FirstOrDefault(s => s.Name == sent.Name);
        if (arrived?.Guid == sent.Guid)
        {
            await _output.WriteLineAsync($"verified {target}@{sent.Name}: guid {sent.Guid}");
            return true;
        }
        await _output.WriteLineAsync($"error: {target}@{sent.Name} " + (arrived is null
            ? "is missing after the receive"
            : $"has guid {arrived.Guid}, the source {sent.Guid}: not the same snapshot"));
        return false;
    }
}
