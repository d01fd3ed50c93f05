// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.GrpcModule;
using BackupPlugins.GrpcModule.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// The file daemon starts the module once per job with no arguments and three connected sockets (fds 3, 4, 5); it
// serves bareos.plugin.Plugin on fd 3 until the daemon closes that connection, then exits (the daemon kills a
// module that is still there a second later).
if (args is ["--version"])
{
    Console.WriteLine(ModuleVersion.Text);
    return 0;
}
if (args.Length > 0)
{
    // An operator who runs it by hand: say what it is instead of failing on sockets that are not there.
    Console.Error.WriteLine("backupplugins " + ModuleVersion.Text + ": the BackupPlugins grpc-fd module. The Bareos file daemon starts it " +
        "for each job (as <Plugin Directory>/grpc/backupplugins, with no arguments); it takes only --version.");
    return args is ["--help"] or ["-h"] ? 0 : 2;
}

System.Net.Sockets.Socket plugin, core, data;
try
{
    plugin = InheritedSocket.Adopt(InheritedSocket.PluginFd, "the plugin service");
    core = InheritedSocket.Adopt(InheritedSocket.CoreFd, "the file daemon's core service");
    data = InheritedSocket.Adopt(InheritedSocket.DataFd, "the data socket");
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine("backupplugins: " + ex.Message);
    return 2;
}

// The daemon's calls come one at a time: two workers are all the module can use, and every further thread is one
// more to wake and switch to on each call (measured: 66 context switches a file with the pool's default growth).
ThreadPool.SetMinThreads(1, 1);
ThreadPool.SetMaxThreads(2, 2);

// The empty builder, Kestrel's core and routing's core only: a module starts once per job, and each default the slim
// builder adds (configuration files, logging providers, HTTPS) costs start-up time (measured with NativeAOT: 92 ms to
// the first answer against 150 ms with the slim builder).
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
builder.WebHost.UseKestrelCore();
builder.Services.AddRoutingCore();
builder.Services.AddSingleton<IConnectionListenerFactory, InheritedConnectionListenerFactory>();
builder.Services.AddSingleton(new CoreConnection(core));
builder.Services.AddSingleton(new DataChannel(data));
builder.Services.AddSingleton<PluginService>(); // one job per process: its state lives as long as the process
builder.Services.AddGrpc();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(new InheritedEndPoint(plugin), listen =>
{
    listen.Protocols = HttpProtocols.Http2;
    listen.Use(next => async connection =>
    {
        try
        {
            await next(connection);
        }
        finally
        {
            // the daemon ended the job's connection: nothing more will come
            kestrel.ApplicationServices.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        }
    });
}));
var app = builder.Build();
app.MapGrpcService<PluginService>();
await app.RunAsync();
return 0;
