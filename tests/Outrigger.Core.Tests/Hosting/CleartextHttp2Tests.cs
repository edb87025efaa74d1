using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Outrigger.Core.Hosting;

namespace Outrigger.Core.Tests.Hosting;

/// <summary>HTTP/1.1 and prior-knowledge HTTP/2 on one cleartext port, through real clients.</summary>
public sealed class CleartextHttp2Tests
{
    [Theory]
    [InlineData(1, "HTTP/1.1 http")]
    [InlineData(2, "HTTP/2 http")]
    public async Task OnePort_ServesHttp1AndPriorKnowledgeH2_KeepingTheHttpScheme(int major, string expected)
    {
        await using var server = await StartAsync(NullLogging());
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(server))
        {
            Version = new Version(major, major == 1 ? 1 : 0),
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.SendAsync(request);

        Assert.Equal(expected, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Curl_PriorKnowledge_IsServedOverHttp2()
    {
        await using var server = await StartAsync(NullLogging());
        using var curl = Process.Start(new ProcessStartInfo("curl", ["-s", "--http2-prior-knowledge", "-w", " %{http_version}", Url(server)]) { RedirectStandardOutput = true })!;
        var output = await curl.StandardOutput.ReadToEndAsync();
        await curl.WaitForExitAsync();

        Assert.Equal("HTTP/2 http 2", output);
    }

    [Fact]
    public async Task KestrelsWarningThatHttp2IsOff_IsLoggedOnlyWithoutTheMiddleware()
    {
        Assert.Contains(64, await StartupEventIds(sniff: false));
        Assert.DoesNotContain(64, await StartupEventIds(sniff: true));
    }

    [Fact]
    public async Task SilentConnection_IsClosedAfterTheFirstBytesTimeout()
    {
        await using var server = await StartAsync(NullLogging(), TimeSpan.FromMilliseconds(300));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoints[0]);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            Assert.Equal(0, await socket.ReceiveAsync(new byte[16], SocketFlags.None, timeout.Token));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Aborted rather than closed: closed all the same.
        }
    }

    [Theory]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", true)]
    [InlineData("PRI * HTTP/2.0\r\n", null)]
    [InlineData("", null)]
    [InlineData("GET / HTTP/1.1\r\n", false)]
    [InlineData("PRX", false)]
    public void Classify_TellsThePrefaceFromOtherBytes(string bytes, bool? expected) =>
        Assert.Equal(expected, CleartextHttp2.Classify(new ReadOnlySequence<byte>(System.Text.Encoding.ASCII.GetBytes(bytes))));

    private static Task<HttpServer> StartAsync(ILoggerFactory logging, TimeSpan? firstBytesTimeout = null) =>
        HttpServer.StartAsync(
            [new ListenEndpoint(new IPEndPoint(IPAddress.Loopback, 0), Configure: l => CleartextHttp2.Use(l, firstBytesTimeout ?? TimeSpan.FromSeconds(10)))],
            context => context.Response.WriteAsync($"{context.Request.Protocol} {context.Request.Scheme}"),
            logging);

    private static async Task<IReadOnlyList<int>> StartupEventIds(bool sniff)
    {
        var logs = new RecordingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions>? configure = sniff ? l => CleartextHttp2.Use(l, TimeSpan.FromSeconds(10)) : null;
        await using (await HttpServer.StartAsync([new ListenEndpoint(new IPEndPoint(IPAddress.Loopback, 0), Configure: configure)], _ => Task.CompletedTask, factory))
        {
        }

        return logs.EventIds;
    }

    private static ILoggerFactory NullLogging() => Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    private static string Url(HttpServer server) => $"http://127.0.0.1:{server.EndPoints[0].Port}/";

    private sealed class RecordingLoggerProvider : ILoggerProvider, ILogger
    {
        private readonly List<int> _eventIds = [];

        public IReadOnlyList<int> EventIds
        {
            get
            {
                lock (_eventIds)
                {
                    return [.. _eventIds];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_eventIds)
            {
                _eventIds.Add(eventId.Id);
            }
        }

        public void Dispose()
        {
        }
    }
}
