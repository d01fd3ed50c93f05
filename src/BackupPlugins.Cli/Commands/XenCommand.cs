// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>xen backup [--url U] [--password-file F] [--ca-file F] [--timeout S] &lt;config-file|vm-selector&gt; [preview] [compress=True|False]
/// [ignore_extra_keys=True|False]</c>: the seed VmBackup.py's run, with its config files and arguments (the password is
/// never an argument: the local socket needs none, a URL needs a 0600 file). It runs in the host as a standalone job,
/// so its snapshots are destroyed however the command ends. Exit codes 0 / 1 warnings / 2 errors / 130 stopped.
/// </summary>
internal static class XenCommand
{
    public static Command Create(TextWriter output, TextReader input)
    {
        var url = new Option<string?>("--url") { Description = "XAPI: unix:/var/lib/xcp/xapi (the default, dom0: no password), https://HOST or http://HOST:PORT" };
        var passwordFile = new Option<string?>("--password-file") { Description = "a 0600 file: password=… (and user=, smtp_user=, smtp_password=), or the seed's base64 password file" };
        var caFile = new Option<string?>("--ca-file") { Description = "a PEM file of the CA (or the host's self-signed certificate) XAPI's https certificate must chain to" };
        var timeout = new Option<uint>("--timeout") { Description = "seconds a XenAPI call, or an export that sends nothing, may take (default 300)", DefaultValueFactory = _ => 300 };
        var preview = new Option<bool>("--preview") { Description = "print the settings and the resolved VM lists, check the login; change nothing" };
        var what = new Argument<string>("config-file|vm-selector") { Description = "the seed's config file, or NAME, REGEX, vm-export=…, vdi-export=…" };
        var words = new Argument<string[]>("options") { Description = "the seed's: preview, compress=True|False, ignore_extra_keys=True|False", Arity = ArgumentArity.ZeroOrMore };
        var socket = CommonOptions.Socket();
        var hostConfig = CommonOptions.HostConfig();
        var progress = new ProgressOptions();
        var backup = new Command("backup", "snapshot and export XenServer / XCP-ng VMs (VmBackup.py)") { url, passwordFile, caFile, timeout, preview, what, words, socket, hostConfig };
        progress.AddTo(backup);
        backup.SetAction(async (parse, invocationToken) =>
        {
            using var termination = new Termination(invocationToken);
            var request = new XenBackupRequest
            {
                Url = parse.GetValue(url) ?? "",
                PasswordFile = parse.GetValue(passwordFile) is { } file ? Path.GetFullPath(file) : "",
                Preview = parse.GetValue(preview),
                CaFile = parse.GetValue(caFile) is { } ca ? Path.GetFullPath(ca) : "",
                CallTimeoutSeconds = parse.GetValue(timeout),
            };
            var target = parse.GetValue(what)!;
            if (File.Exists(target))
            {
                request.Config = Path.GetFullPath(target);
            }
            else
            {
                request.Selector = target;
            }
            foreach (var word in parse.GetValue(words) ?? [])
            {
                var (key, value) = word.Split('=', 2) is [var k, var v] ? (k.ToLowerInvariant(), v.ToLowerInvariant()) : (word.ToLowerInvariant(), "");
                switch (key)
                {
                    case "preview" when value.Length == 0:
                        request.Preview = true;
                        break;
                    case "compress":
                        request.Compress = value == "true";
                        break;
                    case "ignore_extra_keys":
                        request.IgnoreExtraKeys = value == "true";
                        break;
                    default:
                        await output.WriteLineAsync($"error: invalid parameter \"{word}\": give preview, compress=True|False or ignore_extra_keys=True|False");
                        return 2;
                }
            }
            await using var link = await HostLink.OpenAsync(parse.GetValue(socket)!, parse.GetValue(hostConfig), CancellationToken.None);
            return await JobCall.RunAsync(link.Channel, new JobRequest { XenBackup = request }, output, input, termination.Token,
                progress.Display(parse, output));
        });
        return new Command("xen", "XenServer / XCP-ng virtual machines") { backup };
    }
}
