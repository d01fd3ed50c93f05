// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net;

namespace BackupPlugins.Service.Hosting;

/// <summary>The TCP listener's TLS: the host's certificate and key, and the CA of the clients' certificates (PEM files).</summary>
public sealed record TcpTls(string Certificate, string Key, string ClientCa);

/// <summary>How the host listens and whom it serves.</summary>
public sealed record HostSettings
{
    public const string DefaultSocket = "/run/backup-plugins/host.sock";

    /// <summary>The Unix socket the shim and the CLI use (HTTP/2 without TLS, mode 0660).</summary>
    public string SocketPath { get; init; } = DefaultSocket;
    /// <summary>Optional loopback TCP endpoint for grpcurl: control, health and reflection only.</summary>
    public IPEndPoint? Tcp { get; init; }
    /// <summary>
    /// Optional loopback endpoint serving <c>/metrics</c> over HTTP/1.1 for Prometheus (a port of its own: the TCP
    /// listener speaks HTTP/2 without TLS, which Kestrel cannot offer beside HTTP/1.1 on one cleartext port).
    /// </summary>
    public IPEndPoint? Metrics { get; init; }
    /// <summary>
    /// TLS for the TCP listener: a PEM certificate and key, and the PEM CA that client certificates must chain to (every
    /// client must present one). Required for a TCP address other than loopback; optional on loopback.
    /// </summary>
    public TcpTls? Tls { get; init; }
    /// <summary>Peers (by SO_PEERCRED) allowed on the Unix sockets: these uids, or members of these groups.</summary>
    public IReadOnlyList<uint> AllowedUids { get; init; } = [0];
    public IReadOnlyList<string> AllowedGroups { get; init; } = ["bareos"];
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(12);
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>
    /// An entry whose data the host streams (a zfs stream, an export, a socket-path file) and that takes at least this
    /// long gets a job message with its size, time and rate when it ends (the python3 plugin cannot speak in the middle
    /// of an entry: the file daemon's core reads the data itself); zero: never.
    /// </summary>
    public TimeSpan LongEntry { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Optional JSON file with source settings (e.g. <c>{"Sources": {"Vz7": {"Ploop": "/usr/sbin/ploop"}}}</c>); the embedded defaults apply without it.</summary>
    public string? ConfigFile { get; init; }
    /// <summary>
    /// A host started by a command for its own duration (bpipe reader/writer with no host running): logs errors
    /// only (the command reports its job's messages itself), announces nothing, and never sweeps — it holds <see cref="HostsLock"/> shared instead, so that no
    /// sweep takes its snapshots and mounts for a killed host's leftovers.
    /// </summary>
    public bool Embedded { get; init; }
    /// <summary>An embedded host that runs jobs holds <see cref="HostsLock"/> shared; one started for a sweep does not.</summary>
    public bool HoldsHostsLock { get; init; } = true;
    /// <summary>Embedded hosts hold this shared; a sweep needs it exclusive (fixed path: every host on the machine meets there).</summary>
    public string HostsLock { get; init; } = "/run/backup-plugins/hosts.lock";
}
