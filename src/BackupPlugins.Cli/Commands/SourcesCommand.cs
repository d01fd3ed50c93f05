// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Commands;

/// <summary><c>sources</c>: the sources the host offers and their options.</summary>
internal static class SourcesCommand
{
    public static Command Create(TextWriter output)
    {
        var socket = CommonOptions.Socket();
        var command = new Command("sources", "list the sources and their options") { socket };
        command.SetAction((parse, _) => HostClient.RunAsync(parse.GetValue(socket)!, output, async channel =>
        {
            var reply = await new Control.ControlClient(channel).ListSourcesAsync(new ListSourcesRequest());
            foreach (var source in reply.Sources)
            {
                await output.WriteLineAsync($"source={source.Name}: {source.Description}");
                foreach (var o in source.Options)
                {
                    var extra = o.Required ? " (required)" : o.DefaultValue.Length > 0 ? $" (default {o.DefaultValue})" : "";
                    await output.WriteLineAsync($"  {o.Name}={extra}  {o.Description}");
                }
            }
        }));
        return command;
    }
}
