// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;

namespace BackupPlugins.GrpcModule.Host;

/// <summary>
/// The entry the core has open (one at a time): a file the module opened (its descriptor handed to the core), or a
/// data connection to the host (the socket handed to the core; the host writes the entry into it, or drains it).
/// </summary>
internal sealed class OpenEntry
{
    public required byte[] Name { get; init; }
    public int Descriptor { get; init; } = -1;
    public Socket? Connection { get; init; }
    public byte[] Token { get; init; } = [];
    public bool Restore { get; init; }
}
