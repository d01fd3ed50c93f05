// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Tls;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace BackupPlugins.Sources.Xen.Backup;

/// <summary>Where and how the run's mail goes: the config's <c>mail_*</c> keys and the secrets file's SMTP login.</summary>
public sealed record MailSettings(string Mode, IReadOnlyList<string> To, string From, string Server, int Port, string Tls, string? CaFile,
    string? User, string? Password);

/// <summary>
/// The run's report by mail, as the seed's <c>send_email</c> sent its status log (subjects <c>ERROR VmBackup.py</c>,
/// <c>WARNING VmBackup.py</c>, <c>Success VmBackup.py</c>, with the host as V3.23 added it), through MailKit:
/// <c>mail_smtp_tls=auto</c> uses STARTTLS when the server offers it and requires it when a login is sent;
/// <c>starttls</c> requires it, <c>ssl</c> is TLS from the first byte (port 465), <c>none</c> never encrypts and so
/// sends no login. <c>mail_smtp_ca</c> names a CA certificate (PEM) trusted for the server besides the system's.
/// Three attempts, five seconds apart, as V3.2 retried.
/// </summary>
public static class RunMail
{
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);
    public const int Attempts = 3;

    /// <summary>Whether <c>mail_mode</c> asks for a mail after a run that ends with <paramref name="exitCode"/>.</summary>
    public static bool Wanted(string mode, int exitCode) => mode == "always" || (mode == "problems" && exitCode != 0);

    public static string Subject(int exitCode, string server) =>
        (exitCode == 2 ? "ERROR" : exitCode == 1 ? "WARNING" : "Success") + $" VmBackup.py on {server}";

    /// <summary>Sends the mail; the last attempt's error is thrown (<see cref="IOException"/> with what failed and where).</summary>
    public static async Task SendAsync(MailSettings settings, string subject, string body, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (settings.User is not null && settings.Tls == "none")
        {
            throw new IOException($"mail_smtp_tls=none and the secrets file has smtp_user: a login is never sent unencrypted " +
                                  "(use mail_smtp_tls=auto, starttls or ssl, or remove smtp_user/smtp_password)");
        }
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.From));
        foreach (var to in settings.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }
        message.Subject = subject;
        message.Date = clock.GetLocalNow();
        message.Body = new TextPart("plain") { Text = body };
        var ca = settings.CaFile is { } caFile ? CaTrust.Load(caFile, "mail_smtp_ca=") : null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await SendOnceAsync(settings, ca, message, cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is IOException or SmtpCommandException or SmtpProtocolException or AuthenticationException
                                           or SslHandshakeException or System.Net.Sockets.SocketException or TimeoutException)
            {
                if (attempt == Attempts)
                {
                    throw new IOException($"mail to {string.Join(", ", settings.To)} through {settings.Server}:{settings.Port} not sent " +
                                          $"after {Attempts} attempts: {Describe(ex)}", ex);
                }
                await Task.Delay(RetryDelay, clock, cancellationToken);
            }
        }
    }

    private static async Task SendOnceAsync(MailSettings settings, X509Certificate2Collection? ca, MimeMessage message, CancellationToken cancellationToken)
    {
        using var smtp = new SmtpClient { Timeout = 60_000 };
        if (ca is not null)
        {
            smtp.ServerCertificateValidationCallback = (_, certificate, _, errors) => CaTrust.Validate(ca, certificate, errors);
        }
        var security = settings.Tls switch
        {
            "ssl" => SecureSocketOptions.SslOnConnect,
            "starttls" => SecureSocketOptions.StartTls,
            "none" => SecureSocketOptions.None,
            _ => settings.User is null ? SecureSocketOptions.StartTlsWhenAvailable : SecureSocketOptions.StartTls,
        };
        await smtp.ConnectAsync(settings.Server, settings.Port, security, cancellationToken);
        if (settings.User is { } user)
        {
            await smtp.AuthenticateAsync(user, settings.Password ?? "", cancellationToken);
        }
        await smtp.SendAsync(message, cancellationToken);
        await smtp.DisconnectAsync(quit: true, cancellationToken);
    }

    private static string Describe(Exception ex) => ex switch
    {
        AuthenticationException => $"the SMTP login was refused ({ex.Message}); check smtp_user/smtp_password in the secrets file",
        SslHandshakeException => $"TLS with the SMTP server failed ({ex.Message.Split('\n')[0].Trim()}); trust its CA with mail_smtp_ca=FILE",
        SmtpCommandException c => $"the server answered {(int)c.StatusCode} {c.Message}",
        _ => ex.Message,
    };
}
