using System.Net;
using System.Net.Http.Headers;

namespace Outrigger.Grpc.Tests.Server;

/// <summary>Hand-made HTTP/2 requests, for inputs our own client would never send.</summary>
internal static class RawHttp
{
    public static async Task<RawResponse> SendAsync(Uri address, string path, byte[] body, string contentType = "application/grpc", params (string Name, string Value)[] headers)
    {
        using var handler = new SocketsHttpHandler();
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return new RawResponse(response.StatusCode, Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status"),
            Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message"), Header(response.Headers, "grpc-accept-encoding"), bytes);
    }

    /// <summary>A 5-byte gRPC message prefix.</summary>
    public static byte[] Prefix(byte flag, uint length) => [flag, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length];

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.First() : null;
}

internal sealed record RawResponse(HttpStatusCode HttpStatus, string? GrpcStatus, string? GrpcMessage, string? AcceptEncoding, byte[] Body);
