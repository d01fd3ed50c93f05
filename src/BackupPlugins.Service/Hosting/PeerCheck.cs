// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace BackupPlugins.Service.Hosting;

/// <summary>Checks the peer of a Unix-socket connection (SO_PEERCRED) against the allowed uids and groups.</summary>
public sealed partial class PeerCheck
{
    private const int SolSocket = 1, SoPeerCred = 17;
    private readonly HashSet<uint> _uids;
    private readonly HashSet<uint> _gids = [];

    public PeerCheck(HostSettings settings)
    {
        _uids = [.. settings.AllowedUids, GetUid()];
        foreach (var group in settings.AllowedGroups)
        {
            var gr = getgrnam(group);
            if (gr != 0)
            {
                _gids.Add((uint)Marshal.ReadInt32(gr, 2 * IntPtr.Size));
            }
        }
    }

    public bool IsAllowed(Socket socket, out string who)
    {
        if (socket.AddressFamily != AddressFamily.Unix)
        {
            who = socket.RemoteEndPoint?.ToString() ?? "tcp";
            return true;
        }
        var cred = new byte[12];
        socket.GetRawSocketOption(SolSocket, SoPeerCred, cred);
        var pid = BinaryPrimitives.ReadInt32LittleEndian(cred);
        var uid = BinaryPrimitives.ReadUInt32LittleEndian(cred.AsSpan(4));
        var gid = BinaryPrimitives.ReadUInt32LittleEndian(cred.AsSpan(8));
        who = $"pid {pid} uid {uid} gid {gid}";
        return _uids.Contains(uid) || _gids.Contains(gid);
    }

    [LibraryImport("libc")] private static partial uint getuid();
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)] private static partial nint getgrnam(string name);

    private static uint GetUid() => getuid();
}
