using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Outrigger.Interop;

namespace Outrigger.Grpc.Tests.Server;

/// <summary>Garbage in: the right gRPC or HTTP error comes out, and the server keeps serving.</summary>
public sealed class MalformedInputTests
{
    private const string UnaryPath = "/grpc.testing.TestService/UnaryCall";

    public static TheoryData<string, byte[], string> BadBodies => new()
    {
        { "truncated message", [.. RawHttp.Prefix(0, 10), 1, 2, 3], "13" },
        { "truncated prefix", [0, 0, 0], "13" },
        { "length above the 4 MiB limit", RawHttp.Prefix(0, uint.MaxValue), "8" },
        { "invalid compressed flag", [.. RawHttp.Prefix(7, 1), 0], "13" },
        { "compressed flag without grpc-encoding", [.. RawHttp.Prefix(1, 2), 0, 0], "13" },
        { "not protobuf", [.. RawHttp.Prefix(0, 4), 0xFF, 0xFF, 0xFF, 0xFF], "13" },
        { "no message", [], "13" },
        { "two messages for a unary call", [.. RawHttp.Prefix(0, 0), .. RawHttp.Prefix(0, 0)], "13" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task UnaryCall_BadBody_AnswersStatusAndKeepsServing(string why, byte[] body, string expectedStatus)
    {
        await using var server = await TestServer.StartInteropAsync();

        var response = await RawHttp.SendAsync(server.Address, UnaryPath, body);

        Assert.True(HttpStatusCode.OK == response.HttpStatus, $"{why}: HTTP {response.HttpStatus}, {response.GrpcStatus} {response.GrpcMessage} {Encoding.UTF8.GetString(response.Body)}");
        Assert.True(expectedStatus == response.GrpcStatus, $"{why}: grpc-status {response.GrpcStatus} ({response.GrpcMessage})");
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task WrongContentType_Answers415AndKeepsServing()
    {
        await using var server = await TestServer.StartInteropAsync();

        var response = await RawHttp.SendAsync(server.Address, UnaryPath, [0, 0, 0, 0, 0], "application/json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
        Assert.Contains("application/grpc", Encoding.UTF8.GetString(response.Body), StringComparison.Ordinal);
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task UnsupportedEncoding_AnswersUnimplementedWithAcceptedEncodings()
    {
        await using var server = await TestServer.StartInteropAsync();

        var response = await RawHttp.SendAsync(server.Address, UnaryPath, [.. RawHttp.Prefix(1, 1), 0], headers: ("grpc-encoding", "br"));

        Assert.Equal("12", response.GrpcStatus);
        Assert.Equal("identity,gzip", response.AcceptEncoding);
    }

    [Fact]
    public async Task MalformedTimeout_AnswersInternal()
    {
        await using var server = await TestServer.StartInteropAsync();

        var response = await RawHttp.SendAsync(server.Address, UnaryPath, RawHttp.Prefix(0, 0), headers: ("grpc-timeout", "soon"));

        Assert.Equal("13", response.GrpcStatus);
        Assert.Contains("grpc-timeout", response.GrpcMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http11Request_OnTlsListener_Answers426AndKeepsServing()
    {
        await using var server = await TestServer.StartInteropAsync(tls: true);
        using var handler = new SocketsHttpHandler { SslOptions = InteropCertificates.ClientOptions("localhost", false) };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, UnaryPath))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(RawHttp.Prefix(0, 0)),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task Http11Bytes_OnH2cListener_AreRejectedAndServerKeepsServing()
    {
        await using var server = await TestServer.StartInteropAsync();
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(IPAddress.Loopback, server.Port);
            var stream = socket.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST {UnaryPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc\r\nContent-Length: 5\r\n\r\n\0\0\0\0\0"));
            var buffer = new byte[256];
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var read = await stream.ReadAsync(buffer, cts.Token);
            // Kestrel recognises HTTP/1.x on an HTTP/2-only listener and answers 400 before closing.
            var reply = Encoding.ASCII.GetString(buffer, 0, read);
            Assert.StartsWith("HTTP/1.1 400", reply, StringComparison.Ordinal);
            Assert.Contains("HTTP/2 only", reply, StringComparison.Ordinal);
        }

        await AssertStillServesAsync(server);
    }

    [Fact]
    public async Task GarbageBytes_OnH2cListener_ServerKeepsServing()
    {
        await using var server = await TestServer.StartInteropAsync();
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(IPAddress.Loopback, server.Port);
            await socket.GetStream().WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0xFF, 0xFF, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        }

        await AssertStillServesAsync(server);
    }

    private static async Task AssertStillServesAsync(TestServer server)
    {
        using var channel = server.CreateChannel();
        var response = await channel.AsyncUnaryCall(TestServiceMethods.UnaryCall, new SimpleRequest { ResponseSize = 10 });
        Assert.Equal(10, response.Payload.Body.Length);
    }
}
