// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Runtime.InteropServices;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// SIGTERM, SIGINT and SIGHUP cancel <see cref="Token"/> instead of ending the process, so that a command with side
/// effects (a bpipe job's snapshot, an imported USB pool) undoes them before it exits — however long that takes.
/// </summary>
internal sealed class Termination : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration[] _registrations;

    public Termination(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _registrations = [.. new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGHUP }.Select(signal =>
            PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                _source.Cancel();
            }))];
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
        _source.Dispose();
    }
}
