// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos;

/// <summary>
/// The configuration of the test world's daemons, written as Bareos's subdirectory scheme
/// (<c>&lt;dir&gt;/bareos-dir.d/&lt;resource&gt;/&lt;name&gt;.conf</c>) so a test adds a FileSet or Job as one file and
/// reloads. Everything listens on loopback ports chosen free at start; passwords are per world.
/// </summary>
public sealed record BareosConfig(int CatalogPort, int DirectorPort, int StoragePort, int FileDaemonPort)
{
    public const string Director = "bp-dir";
    public const string Storage = "bp-sd";
    public const string Client = "bp-fd";
    /// <summary>The second file daemon's Client: grpc-fd only, <c>GrpcModule = backupplugins</c>.</summary>
    public const string GrpcClient = "bp-fd-grpc";
    /// <summary>Where the Bareos tree is inside the server image.</summary>
    public const string ImageTree = "/opt/bareos/bareos";

    private readonly string _dirPassword = Guid.NewGuid().ToString("N");
    private readonly string _sdPassword = Guid.NewGuid().ToString("N");
    private readonly string _fdPassword = Guid.NewGuid().ToString("N");

    /// <summary>Writes director, storage daemon, file daemon and bconsole configurations below <paramref name="root"/>.</summary>
    /// <remarks>The containers see the world's directory at the same path, so every path here means the same inside and out.</remarks>
    public void Write(string root, FileDaemonInstall fd, string fdWork, string dirWork, string sdWork)
    {
        foreach (var d in new[] { fdWork, dirWork, sdWork, Path.Combine(sdWork, "volumes") })
        {
            Directory.CreateDirectory(d);
        }
        Resource(root, "bareos-dir", "director", Director, $$"""
            Director {
              Name = {{Director}}
              DirAddress = 127.0.0.1
              DirPort = {{DirectorPort}}
              Password = "{{_dirPassword}}"
              QueryFile = "{{ImageTree}}/lib/bareos/scripts/query.sql"
              Working Directory = "{{dirWork}}"
              Scripts Directory = "{{ImageTree}}/lib/bareos/scripts"
              Maximum Concurrent Jobs = 20
              Messages = Daemon
              Auditing = no
            }
            """);
        Resource(root, "bareos-dir", "catalog", "MyCatalog", $$"""
            Catalog {
              Name = MyCatalog
              DB Name = bareos
              DB User = bareos
              DB Password = ""
              DB Address = 127.0.0.1
              DB Port = {{CatalogPort}}
            }
            """);
        Resource(root, "bareos-dir", "storage", "File", $$"""
            Storage {
              Name = File
              Address = 127.0.0.1
              SD Port = {{StoragePort}}
              Password = "{{_sdPassword}}"
              Device = FileStorage
              Media Type = File
              Maximum Concurrent Jobs = 20
            }
            """);
        Resource(root, "bareos-dir", "client", Client, $$"""
            Client {
              Name = {{Client}}
              Address = 127.0.0.1
              FD Port = {{FileDaemonPort}}
              Password = "{{_fdPassword}}"
              Catalog = MyCatalog
              Maximum Concurrent Jobs = 20
            }
            """);
        Resource(root, "bareos-dir", "pool", "Full", """
            Pool {
              Name = Full
              Pool Type = Backup
              Recycle = yes
              AutoPrune = yes
              Volume Retention = 365 days
              Maximum Volume Bytes = 50G
              Label Format = "Vol-"
            }
            """);
        Resource(root, "bareos-dir", "messages", "Standard", $$"""
            Messages {
              Name = Standard
              Console = all, !skipped, !saved, !audit
              Catalog = all, !skipped, !saved, !audit
              Append = "{{dirWork}}/messages.log" = all, !skipped, !saved, !audit
            }
            """);
        Resource(root, "bareos-dir", "messages", "Daemon", $$"""
            Messages {
              Name = Daemon
              Console = all, !skipped, !saved, !audit
              Append = "{{dirWork}}/daemon.log" = all, !skipped, !saved, !audit
            }
            """);
        Resource(root, "bareos-dir", "fileset", "Catalog", """
            FileSet {
              Name = Catalog
              Include { File = /dev/null }
            }
            """);
        Resource(root, "bareos-dir", "job", "RestoreFiles", $$"""
            Job {
              Name = RestoreFiles
              Type = Restore
              Client = {{Client}}
              FileSet = Catalog
              Storage = File
              Pool = Full
              Messages = Standard
              Where = /tmp/bareos-restores
            }
            """);
        Resource(root, "bareos-dir", "console", "default", "");

        Resource(root, "bareos-sd", "storage", Storage, $$"""
            Storage {
              Name = {{Storage}}
              SD Address = 127.0.0.1
              SD Port = {{StoragePort}}
              Working Directory = "{{sdWork}}"
              Backend Directory = "{{ImageTree}}/lib/bareos/backends"
              Maximum Concurrent Jobs = 20
            }
            """);
        Resource(root, "bareos-sd", "director", Director, $$"""
            Director {
              Name = {{Director}}
              Password = "{{_sdPassword}}"
            }
            """);
        Resource(root, "bareos-sd", "device", "FileStorage", $$"""
            Device {
              Name = FileStorage
              Media Type = File
              Archive Device = "{{sdWork}}/volumes"
              Label Media = yes
              Random Access = yes
              Automatic Mount = yes
              Removable Media = no
              Always Open = no
              Maximum Concurrent Jobs = 20
            }
            """);
        Resource(root, "bareos-sd", "messages", "Standard", $$"""
            Messages {
              Name = Standard
              Director = {{Director}} = all
            }
            """);

        FileDaemon(root, Client, FileDaemonPort, fd, fdWork, "Plugin Names = \"python3:grpc\"");

        File.WriteAllText(Path.Combine(root, "bconsole.conf"), $$"""
            Director {
              Name = {{Director}}
              Address = 127.0.0.1
              DIR Port = {{DirectorPort}}
              Password = "{{_dirPassword}}"
            }
            """);
    }

    /// <summary>
    /// A second file daemon, as a Client that runs BackupPlugins through grpc-fd only: python3-fd not loaded, and
    /// <c>GrpcModule = backupplugins</c>, so that existing <c>python3:…</c> FileSets run through the module unchanged.
    /// Its configuration goes under <paramref name="fdRoot"/>; the director's Client resource under <paramref name="root"/>
    /// (takes effect after <c>reload</c>).
    /// </summary>
    public void WriteGrpcOnlyClient(string root, string fdRoot, FileDaemonInstall fd, string fdWork, int port)
    {
        Directory.CreateDirectory(fdWork);
        Resource(root, "bareos-dir", "client", GrpcClient, $$"""
            Client {
              Name = {{GrpcClient}}
              Address = 127.0.0.1
              FD Port = {{port}}
              Password = "{{_fdPassword}}"
              Catalog = MyCatalog
              Maximum Concurrent Jobs = 20
            }
            """);
        FileDaemon(fdRoot, GrpcClient, port, fd, fdWork, "Plugin Names = \"grpc\"\n  Grpc Module = backupplugins");
    }

    /// <summary>A file daemon's own configuration: its Client (with <paramref name="plugins"/> lines), the director, messages.</summary>
    private void FileDaemon(string root, string name, int port, FileDaemonInstall fd, string fdWork, string plugins)
    {
        Resource(root, "bareos-fd", "client", name, $$"""
            Client {
              Name = {{name}}
              FD Address = 127.0.0.1
              FD Port = {{port}}
              Working Directory = "{{fdWork}}"
              Plugin Directory = "{{fd.PluginDirectory}}"
              {{plugins}}
              Maximum Concurrent Jobs = 20
            }
            """);
        Resource(root, "bareos-fd", "director", Director, $$"""
            Director {
              Name = {{Director}}
              Password = "{{_fdPassword}}"
            }
            """);
        Resource(root, "bareos-fd", "messages", "Standard", $$"""
            Messages {
              Name = Standard
              Director = {{Director}} = all, !skipped, !restored
              Append = "{{fdWork}}/fd.log" = all, !skipped, !restored
            }
            """);
    }

    /// <summary>Adds (or replaces) one director resource; takes effect after <c>reload</c>.</summary>
    public static void AddDirectorResource(string root, string type, string name, string text) =>
        Resource(root, "bareos-dir", type, name, text);

    private static void Resource(string root, string daemon, string type, string name, string text)
    {
        var dir = Path.Combine(root, daemon + ".d", type);
        Directory.CreateDirectory(dir);
        if (text.Length > 0)
        {
            File.WriteAllText(Path.Combine(dir, name + ".conf"), text + "\n");
        }
    }
}
