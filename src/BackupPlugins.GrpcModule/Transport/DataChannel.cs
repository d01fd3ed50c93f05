// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;

namespace BackupPlugins.GrpcModule.Transport;

/// <summary>The data socket the daemon gave the module (fd 5): the module hands the core open descriptors on it (io_in_core).</summary>
public sealed class DataChannel(Socket socket)
{
    /// <summary>Hands the core <paramref name="descriptor"/>; the core reads or writes the entry through it and closes its copy.</summary>
    public void Hand(int descriptor) => DescriptorPassing.Send(socket, descriptor);
}
