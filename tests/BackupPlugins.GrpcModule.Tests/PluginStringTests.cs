// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.GrpcModule.Host;

namespace BackupPlugins.GrpcModule.Tests;

/// <summary>What the module gives the host for each string the grpc-fd plugin hands it.</summary>
public class PluginStringTests
{
    [Fact]
    public void OwnOptions_GoAsTheyAre() =>
        Assert.Equal(("source=dir:path=/srv/a\\:b:socket=/run/x.sock", (string?)null),
            PluginString.ForHost("source=dir:path=/srv/a\\:b:socket=/run/x.sock"));

    [Fact]
    public void Python3String_ThroughGrpcModule_LosesPluginNameAndModuleKeys_AsPython3FdDoes() =>
        Assert.Equal(("source=dir:path=/srv/a\\:b", (string?)null),
            PluginString.ForHost("python3:module_path=/usr/lib/bareos/plugins:module_name=bareos-fd-backupplugins:source=dir:path=/srv/a\\:b"));

    [Fact]
    public void Vz7AliasModule_MeansSourceVz7_AfterTheStringsOwnOptions() =>
        Assert.Equal(("blocker=tmp/backup_blocker:lockfile=/tmp/cts:source=vz7", (string?)null),
            PluginString.ForHost("python3:module_path=/opt/shim:module_name=bareos-fd-vz7_ct_fs:blocker=tmp/backup_blocker:lockfile=/tmp/cts"));

    [Fact]
    public void AnotherPythonModule_IsRefusedSayingWhatToDo()
    {
        var (definition, error) = PluginString.ForHost("python3:module_path=/x:module_name=bareos-fd-postgresql:dbname=a");
        Assert.Null(definition);
        Assert.Equal("module_name=bareos-fd-postgresql is not BackupPlugins' python module, and this Client runs unknown plugin strings " +
                     "through BackupPlugins (GrpcModule = backupplugins): load python3 in the Client's Plugin Names for that FileSet, " +
                     "or give module_name=bareos-fd-backupplugins", error);
    }

    [Fact]
    public void AnotherPlugin_IsRefused()
    {
        var (definition, error) = PluginString.ForHost("bpipe:file=/x:reader=a:writer=b");
        Assert.Null(definition);
        Assert.StartsWith("\"bpipe:…\" is not a plugin string BackupPlugins reads", error);
    }

    [Theory]
    [InlineData("python3:target=pool/x", "target=pool/x")]
    [InlineData("python:name=ct:uuid=u:restore=files", "name=ct:uuid=u:restore=files")]
    [InlineData("target=pool/x", "target=pool/x")]
    [InlineData("python3", "")]
    public void RestoreOptions_LoseThePluginNameTheyWereWrittenFor(string given, string expected) =>
        Assert.Equal(expected, PluginString.WithoutPluginName(given));
}
