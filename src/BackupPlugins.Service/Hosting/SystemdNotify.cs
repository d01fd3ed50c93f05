// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using System.Text;

namespace BackupPlugins.Service.Hosting;

/// <summary>
/// sd_notify(3) without libsystemd: under a <c>Type=notify</c> unit, systemd gives the host <c>$NOTIFY_SOCKET</c> (a
/// datagram socket; a leading <c>@</c> is the abstract namespace) and waits for <c>READY=1</c>, sent once the host
/// listens — after its start-up sweep, so no job meets a killed host's leftovers — and <c>STOPPING=1</c> when it
/// stops. Elsewhere (no variable) nothing is sent. Also: whether the host logs to the journal (<c>$JOURNAL_STREAM</c>),
/// which stamps every line itself.
/// </summary>
public static class SystemdNotify
{
    public static bool UnderJournal => Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 };

    /// <summary>Sends <paramref name="state"/> (<c>KEY=value</c> lines) to systemd; false when not under systemd or it failed.</summary>
    public static bool Send(string state)
    {
        if (Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is not { Length: > 0 } path)
        {
            return false;
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path));
            socket.Send(Encoding.UTF8.GetBytes(state));
            return true;
        }
        catch (SocketException)
        {
            return false; // systemd went away: nothing to tell
        }
    }
}
