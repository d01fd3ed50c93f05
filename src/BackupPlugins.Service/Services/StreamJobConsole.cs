// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using System.Threading.Channels;
using BackupPlugins.Core.Jobs;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.Service.Services;

/// <summary>
/// A standalone job's console over its <c>Jobs.Run</c> call: each line the job writes goes out as a <c>line</c>
/// message (in order, from one writer task: a gRPC stream takes one write at a time), a question as a <c>question</c>
/// message whose answer is the caller's next <c>answer</c>. A <c>stop</c> from the caller cancels <see cref="Stopping"/>.
/// A transfer's progress goes out on the same writer, so in order with the lines: a report when it starts, then one
/// per <see cref="ProgressPeriod"/> while its byte count moves (read on a timer, never per chunk), and one when it ends.
/// </summary>
internal sealed class StreamJobConsole : IJobConsole, IAsyncDisposable
{
    private readonly Channel<V1.JobOutput> _outgoing = Channel.CreateUnbounded<V1.JobOutput>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> _answers = Channel.CreateUnbounded<bool>();
    private readonly CancellationTokenSource _stop;
    private readonly Task _writer;
    private readonly Task _reader;
    private readonly TimeProvider _clock;
    private readonly List<Reported> _transfers = [];
    private ITimer? _timer;
    private int _lastId;

    /// <summary>How often a running transfer's progress is sent (when it moved).</summary>
    public static readonly TimeSpan ProgressPeriod = TimeSpan.FromMilliseconds(500);

    public StreamJobConsole(IAsyncStreamReader<V1.JobInput> requests, IServerStreamWriter<V1.JobOutput> responses, CancellationToken cancellationToken,
        TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Out = new LineWriter(line => _outgoing.Writer.TryWrite(new V1.JobOutput { Line = line }));
        _writer = Task.Run(async () =>
        {
            await foreach (var message in _outgoing.Reader.ReadAllAsync(cancellationToken))
            {
                await responses.WriteAsync(message, cancellationToken);
            }
        }, cancellationToken);
        _reader = Task.Run(async () =>
        {
            try
            {
                while (await requests.MoveNext(cancellationToken))
                {
                    if (requests.Current.InputCase == V1.JobInput.InputOneofCase.Stop)
                    {
                        await _stop.CancelAsync();
                    }
                    else
                    {
                        _answers.Writer.TryWrite(requests.Current is { InputCase: V1.JobInput.InputOneofCase.Answer, Answer: true });
                    }
                }
            }
            finally
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    // The call went away (the caller, or the host shutting down): the job stops. Said before the
                    // answers end, so a question waiting for them sees a stop, not a no.
                    await _stop.CancelAsync();
                }
                _answers.Writer.TryComplete(); // no more answers: every later question is answered no
            }
        }, cancellationToken);
    }

    public TextWriter Out { get; }

    /// <summary>Cancelled when the caller says stop or goes away.</summary>
    public CancellationToken Stopping => _stop.Token;

    public async Task<bool> AskAsync(string question, CancellationToken cancellationToken)
    {
        Out.Flush();
        _outgoing.Writer.TryWrite(new V1.JobOutput { Question = question });
        var answered = await _answers.Reader.WaitToReadAsync(cancellationToken) && _answers.Reader.TryRead(out var yes) && yes;
        cancellationToken.ThrowIfCancellationRequested(); // stopped while asking: the job stops, whatever came in
        _stop.Token.ThrowIfCancellationRequested(); // the call went away while asking: a stop too, not a no
        return answered;
    }

    public JobTransfer Transfer(string name, long? totalBytes, bool totalEstimated = false)
    {
        var transfer = new Reported(this, Interlocked.Increment(ref _lastId), name, totalBytes, totalEstimated);
        lock (_transfers)
        {
            _transfers.Add(transfer);
            Send(transfer, transfer.Bytes);
            _timer ??= _clock.CreateTimer(_ => Tick(), null, ProgressPeriod, ProgressPeriod);
        }
        return transfer;
    }

    /// <summary>Every period: a report of each running transfer whose byte count moved since its last one.</summary>
    private void Tick()
    {
        lock (_transfers)
        {
            foreach (var transfer in _transfers)
            {
                var bytes = transfer.Bytes;
                if (bytes != transfer.Sent && !transfer.Ended)
                {
                    Send(transfer, bytes);
                }
            }
        }
    }

    private void Ended(Reported transfer)
    {
        lock (_transfers)
        {
            _transfers.Remove(transfer);
            Send(transfer, transfer.Bytes, done: true);
            if (_transfers.Count == 0)
            {
                _timer?.Dispose(); // nothing left to report: no ticks until the next transfer starts
                _timer = null;
            }
        }
    }

    private void Send(Reported transfer, long bytes, bool done = false)
    {
        transfer.Sent = bytes;
        _outgoing.Writer.TryWrite(new V1.JobOutput
        {
            Progress = new V1.TransferProgress
            {
                Id = transfer.Id, Name = transfer.Name, Bytes = bytes, TotalBytes = transfer.TotalBytes ?? 0,
                TotalEstimated = transfer.TotalEstimated, Done = done, Failed = done && !transfer.Completed,
            },
        });
    }

    /// <summary>A transfer whose progress goes out on this call.</summary>
    private sealed class Reported(StreamJobConsole console, int id, string name, long? totalBytes, bool totalEstimated)
        : JobTransfer(name, totalBytes, totalEstimated)
    {
        public int Id { get; } = id;

        /// <summary>The byte count last sent.</summary>
        public long Sent { get; set; } = -1;

        protected override void OnEnded() => console.Ended(this);
    }

    /// <summary>Sends the exit code after every line, and waits until all of it is written.</summary>
    public async Task EndAsync(int exitCode)
    {
        Out.Flush();
        _outgoing.Writer.TryWrite(new V1.JobOutput { ExitCode = exitCode });
        _outgoing.Writer.TryComplete();
        await _writer;
    }

    public async ValueTask DisposeAsync()
    {
        _timer?.Dispose();
        _outgoing.Writer.TryComplete();
        foreach (var task in new[] { _writer, _reader })
        {
            try
            {
                await task.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException or TimeoutException)
            {
                // The caller went away, or is still sending: nobody reads what is left.
            }
        }
        _stop.Dispose();
    }

    /// <summary>A TextWriter that hands on whole lines (without their end).</summary>
    private sealed class LineWriter(Action<string> line) : TextWriter
    {
        private readonly StringBuilder _pending = new();
        private readonly Lock _lock = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_lock)
            {
                if (value == '\n')
                {
                    line(_pending.ToString().TrimEnd('\r'));
                    _pending.Clear();
                }
                else
                {
                    _pending.Append(value);
                }
            }
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "")
            {
                Write(c);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override void Flush()
        {
            lock (_lock)
            {
                if (_pending.Length > 0)
                {
                    line(_pending.ToString());
                    _pending.Clear();
                }
            }
        }
    }
}
