using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Tracing;

namespace Outrigger.Proxy.AccessLog;

/// <summary>
/// Access log lines, off the request path: a request leaves an <see cref="AccessLogEntry"/> in a bounded queue; one
/// background task formats and writes them. When the queue is full the entry is dropped and counted
/// (<c>proxy_access_log_dropped_total</c>): a slow disk never slows requests.
/// </summary>
internal sealed partial class AccessLogWriter : IAsyncDisposable
{
    private static readonly Counter<long> Written = ProxyMetrics.Meter.CreateCounter<long>("proxy_access_log_lines_total", description: "Access log lines written.");
    private static readonly Counter<long> Dropped = ProxyMetrics.Meter.CreateCounter<long>("proxy_access_log_dropped_total", description: "Access log lines dropped because the writer could not keep up.");

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<AccessLogEntry> _entries;
    private readonly Task _writer;

    public AccessLogWriter(AccessLogOptions options, TimeProvider time, ILogger logger)
    {
        Options = options;
        _time = time;
        _logger = logger;
        _entries = Channel.CreateBounded<AccessLogEntry>(new BoundedChannelOptions(options.BufferLines) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        _writer = Task.Run(WriteLoopAsync);
    }

    public AccessLogOptions Options { get; }

    /// <summary>Queues the request's line if it is sampled; never waits.</summary>
    public void Write(HttpContext context, long startTimestamp, CompiledRoute? route, int status, RequestRecord? record)
    {
        if (!IsSampled(status))
        {
            return;
        }

        var request = context.Request;
        var elapsed = _time.GetElapsedTime(startTimestamp);
        var entry = new AccessLogEntry(
            _time.GetUtcNow() - elapsed,
            request.Method,
            request.Path.Value,
            request.QueryString.Value,
            request.Protocol,
            request.Host.Value,
            context.Connection.RemoteIpAddress?.ToString(),
            route?.Name ?? "",
            route?.Cluster.Name ?? "",
            status,
            elapsed.TotalMilliseconds,
            request.Headers.UserAgent.ToString(),
            request.Headers["x-request-id"].ToString(),
            ProxyTracing.TraceId(context),
            record);
        if (!_entries.Writer.TryWrite(entry))
        {
            Dropped.Add(1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _entries.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private bool IsSampled(int status) =>
        Options.SampleRate >= 1
        || (Options.AlwaysLogErrors && (status >= 500 || status == 499))
        || Random.Shared.NextDouble() < Options.SampleRate;

    private async Task WriteLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        await using var json = new Utf8JsonWriter(buffer);
        Stream? stream = null;
        try
        {
            stream = Options.Path == "-"
                ? Console.OpenStandardOutput()
                : new FileStream(Options.Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, useAsync: true);
            var reader = _entries.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var lines = 0;
                while (buffer.WrittenCount < 60 * 1024 && reader.TryRead(out var entry))
                {
                    entry.WriteTo(json);
                    json.Flush();
                    json.Reset();
                    buffer.Write("\n"u8);
                    lines++;
                }

                await stream.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
                await stream.FlushAsync().ConfigureAwait(false);
                buffer.ResetWrittenCount();
                Written.Add(lines);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.WriteFailed(_logger, Options.Path, e.Message);
            while (_entries.Reader.TryRead(out _))
            {
                Dropped.Add(1);
            }
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Access log {Path} cannot be written ({Reason}); access logging stopped")]
        public static partial void WriteFailed(ILogger logger, string path, string reason);
    }
}
