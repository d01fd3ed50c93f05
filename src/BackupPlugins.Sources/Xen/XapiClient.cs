// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Tls;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BackupPlugins.Sources.Xen;

/// <summary>
/// A XenAPI session over XAPI's JSON-RPC (<c>POST /jsonrpc</c>) and its HTTP handlers (<c>/export</c>,
/// <c>/export_raw_vdi</c>, <c>/import</c>, …), on the local socket or a URL. Every call has a deadline; an error XAPI
/// answers is an <see cref="XapiException"/> with its name and parameters. A pool member that answers HOST_IS_SLAVE at
/// login is left for the master it names, once. The password is only ever in a request body, never on a command line.
/// </summary>
public sealed class XapiClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly TimeSpan _callTimeout;
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2Collection? _trust;
    private long _id;

    private XapiClient(XapiEndpoint endpoint, TimeSpan callTimeout)
    {
        Endpoint = endpoint;
        _callTimeout = callTimeout;
        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        _trust = endpoint.CaFile is { } caFile ? CaTrust.Load(caFile, "the XAPI CA file") : null;
        if (_trust is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = Validate;
        }
        if (endpoint.UnixSocket is { } path)
        {
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        _http = new HttpClient(handler) { BaseAddress = endpoint.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
    }

    public XapiEndpoint Endpoint { get; }

    /// <summary>The session reference (<c>OpaqueRef:…</c>).</summary>
    public string Session { get; private set; } = "";

    /// <summary>
    /// Logs in (<c>session.login_with_password</c>). Over the local socket XAPI trusts root, so the password may be
    /// empty there. A pool member answers HOST_IS_SLAVE with the master's address: the login is tried there, once.
    /// </summary>
    public static async Task<XapiClient> LoginAsync(XapiEndpoint endpoint, string user, string password, TimeSpan callTimeout,
        CancellationToken cancellationToken)
    {
        var client = new XapiClient(endpoint, callTimeout);
        try
        {
            client.Session = (await client.RawCallAsync("session.login_with_password",
                [user, password, "1.0", "backup-plugins"], cancellationToken)).GetString()!;
            return client;
        }
        catch (XapiException ex) when (ex.Code == "HOST_IS_SLAVE" && ex.Parameters.Count > 0)
        {
            await client.DisposeAsync();
            var master = new XapiClient(endpoint.Master(ex.Parameters[0]), callTimeout);
            try
            {
                master.Session = (await master.RawCallAsync("session.login_with_password",
                    [user, password, "1.0", "backup-plugins"], cancellationToken)).GetString()!;
                return master;
            }
            catch
            {
                await master.DisposeAsync();
                throw;
            }
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Calls <paramref name="method"/> with the session as its first argument; the result as JSON.</summary>
    public Task<JsonElement> CallAsync(string method, CancellationToken cancellationToken, params object?[] args) =>
        RawCallAsync(method, [Session, .. args], cancellationToken);

    private async Task<JsonElement> RawCallAsync(string method, object?[] args, CancellationToken cancellationToken)
    {
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["method"] = method,
            ["params"] = JsonSerializer.SerializeToNode(args),
            ["id"] = Interlocked.Increment(ref _id),
        };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_callTimeout);
        JsonDocument reply;
        try
        {
            // a body with its length: XAPI's HTTP server does not take chunked requests
            using var body = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(request));
            body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await _http.PostAsync("jsonrpc", body, deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new IOException($"XAPI at {Endpoint} answered {method} with HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            reply = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(deadline.Token), default, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"XAPI at {Endpoint} did not answer {method} within {_callTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex) when (ex.InnerException is System.Security.Authentication.AuthenticationException tls)
        {
            throw new IOException($"XAPI at {Endpoint}: its TLS certificate is not trusted ({tls.Message}); give the pool's CA or the " +
                                  "host's own certificate (/etc/xensource/xapi-ssl.pem) as --ca-file or Sources:Xen:CaFile", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new IOException($"XAPI at {Endpoint} cannot be reached for {method}: {ex.Message}", ex);
        }
        using (reply)
        {
            var root = reply.RootElement;
            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                var (code, parameters) = ReadError(error);
                throw new XapiException(method, code, parameters);
            }
            return root.TryGetProperty("result", out var result)
                ? result.Clone()
                : throw new IOException($"XAPI at {Endpoint} answered {method} with neither a result nor an error");
        }
    }

    /// <summary>XAPI's JSON-RPC error: <c>{"code": …, "message": NAME, "data": [params…]}</c> (or the array itself).</summary>
    private static (string Code, IReadOnlyList<string> Parameters) ReadError(JsonElement error)
    {
        static string Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
        if (error.ValueKind == JsonValueKind.Array)
        {
            var all = error.EnumerateArray().Select(Text).ToList();
            return (all.FirstOrDefault() ?? "UNKNOWN", all.Skip(1).ToList());
        }
        var code = error.TryGetProperty("message", out var m) ? Text(m) : "UNKNOWN";
        var data = error.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Array
            ? d.EnumerateArray().Select(Text).ToList()
            : [];
        return (code, data);
    }

    /// <summary>
    /// GET on an HTTP handler (e.g. <c>export</c>) with the session in the query, until the answer's head (within the call
    /// deadline; the body may take as long as the data does). Over plain HTTP and the local socket, an HTTP/1.0 request
    /// on a connection of its own (so the answer is neither chunked nor kept alive: the body is the rest of the
    /// connection), its head read byte by byte so that not one byte of the body is taken from the socket. A status other
    /// than 200 is an <see cref="IOException"/> naming it.
    /// </summary>
    public async Task<XapiDownload> GetAsync(string handler, IReadOnlyDictionary<string, string> query, CancellationToken cancellationToken)
    {
        if (Endpoint.BaseUri.Scheme == "https" && Endpoint.UnixSocket is null)
        {
            var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, Url(handler, query)), handler, cancellationToken);
            return new XapiDownload(await response.Content.ReadAsStreamAsync(cancellationToken), response);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_callTimeout);
        var socket = await ConnectAsync(deadline.Token);
        try
        {
            var head = $"GET /{Url(handler, query)} HTTP/1.0\r\nHost: {Endpoint.BaseUri.Host}\r\nConnection: close\r\n\r\n";
            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(head), SocketFlags.None, deadline.Token);
            var status = await ReadHeadAsync(socket, handler, deadline.Token);
            if (status.Split(' ', 3) is not [_, "200", ..])
            {
                throw new IOException($"XAPI at {Endpoint} answered /{handler} with HTTP {string.Join(' ', status.Split(' ', 3).Skip(1))}");
            }
            return new XapiDownload(socket);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"XAPI at {Endpoint} did not answer /{handler} within {_callTimeout.TotalSeconds:0} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads an answer's head up to its blank line, one byte at a time (a few hundred calls); its status line.</summary>
    private async Task<string> ReadHeadAsync(Socket socket, string handler, CancellationToken cancellationToken)
    {
        var head = new List<byte>(512);
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await socket.ReceiveAsync(one, SocketFlags.None, cancellationToken) == 0)
            {
                throw new IOException($"XAPI at {Endpoint} closed the connection of /{handler} before its answer's head ended");
            }
            if (head.Count == 64 * 1024)
            {
                throw new IOException($"XAPI at {Endpoint} answered /{handler} with a head of more than 64 KiB");
            }
            head.Add(one[0]);
        }
        var text = System.Text.Encoding.Latin1.GetString(head.ToArray());
        if (text.Contains("\r\ntransfer-encoding:", StringComparison.OrdinalIgnoreCase))
        {
            throw new IOException($"XAPI at {Endpoint} answered the HTTP/1.0 request /{handler} with a Transfer-Encoding");
        }
        return text[..text.IndexOf('\r')];
    }

    private async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = Endpoint.UnixSocket is not null
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        EndPoint target = Endpoint.UnixSocket is { } unix ? new UnixDomainSocketEndPoint(unix)
            : new DnsEndPoint(Endpoint.BaseUri.Host, Endpoint.BaseUri.Port);
        try
        {
            await socket.ConnectAsync(target, cancellationToken);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"XAPI at {Endpoint} cannot be reached: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>PUT of <paramref name="body"/> to an HTTP handler (e.g. <c>import</c>), streamed.</summary>
    public async Task PutAsync(string handler, IReadOnlyDictionary<string, string> query, Stream body, long? length, CancellationToken cancellationToken)
    {
        var content = new StreamContent(body, 1 << 20);
        if (length is { } n)
        {
            content.Headers.ContentLength = n;
        }
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Put, Url(handler, query)) { Content = content }, handler, cancellationToken);
    }

    /// <summary>
    /// PUT of a body whose length is unknown (an XVA coming out of a restore) to <c>/import</c>: XAPI refuses chunked
    /// requests there, so this is an HTTP/1.0 request whose body ends when this side shuts its sending half, on a
    /// connection of its own. XAPI answers 200 before it reads the body; the outcome is the task's.
    /// </summary>
    public async Task PutUntilEndAsync(string handler, IReadOnlyDictionary<string, string> query, Stream body, CancellationToken cancellationToken)
    {
        using var socket = await ConnectAsync(cancellationToken);
        await using var network = new NetworkStream(socket, ownsSocket: false);
        Stream stream = network;
        System.Net.Security.SslStream? tls = null;
        if (Endpoint.BaseUri.Scheme == "https" && Endpoint.UnixSocket is null)
        {
            tls = new System.Net.Security.SslStream(network, leaveInnerStreamOpen: true);
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = Endpoint.BaseUri.Host,
                RemoteCertificateValidationCallback = _trust is null ? null : Validate,
            }, cancellationToken);
            stream = tls;
        }
        var head = $"PUT /{Url(handler, query)} HTTP/1.0\r\nHost: {Endpoint.BaseUri.Host}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head), cancellationToken);
        await body.CopyToAsync(stream, 1 << 20, cancellationToken);
        await stream.FlushAsync(cancellationToken);
        if (tls is not null)
        {
            await tls.ShutdownAsync();
        }
        socket.Shutdown(SocketShutdown.Send);
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII, leaveOpen: true);
        var status = await reader.ReadLineAsync(cancellationToken) ?? "";
        if (status.Split(' ') is not [_, "200", ..])
        {
            throw new IOException($"XAPI at {Endpoint} answered /{handler} with \"{status}\"");
        }
        tls?.Dispose();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string handler, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (request.Content is null)
        {
            deadline.CancelAfter(_callTimeout); // a GET, until the answer's headers: its body may take as long as the data does
        }
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"XAPI at {Endpoint} did not answer /{handler} within {_callTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            throw new IOException($"XAPI at {Endpoint} cannot be reached for /{handler}: {ex.Message}", ex);
        }
        if (!response.IsSuccessStatusCode)
        {
            var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            response.Dispose();
            throw new IOException($"XAPI at {Endpoint} answered /{handler} with HTTP {status}");
        }
        return response;
    }

    private bool Validate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate,
        System.Security.Cryptography.X509Certificates.X509Chain? chain, System.Net.Security.SslPolicyErrors errors) =>
        CaTrust.Validate(_trust!, certificate, errors);

    private string Url(string handler, IReadOnlyDictionary<string, string> query) =>
        handler + "?" + string.Join("&", new[] { ("session_id", Session) }.Concat(query.Select(q => (q.Key, q.Value)))
            .Select(q => Uri.EscapeDataString(q.Item1) + "=" + Uri.EscapeDataString(q.Item2)));

    /// <summary>Logs out (best effort: a session that cannot be ended expires on its own) and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Session.Length > 0)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await CallAsync("session.logout", quick.Token);
            }
            catch (Exception ex) when (ex is XapiException or IOException or TimeoutException or OperationCanceledException)
            {
                // the session times out on the server
            }
            Session = "";
        }
        _http.Dispose();
    }
}
