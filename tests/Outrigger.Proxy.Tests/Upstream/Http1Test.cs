using System.Net.Security;
using System.Text;
using Outrigger.Proxy.Upstream;
using Outrigger.Proxy.Upstream.Http1;

namespace Outrigger.Proxy.Tests.Upstream;

/// <summary>Shared helpers of the <see cref="Http1Client"/> tests.</summary>
internal static class Http1Test
{
    /// <summary>Hang guard only: no assertion depends on it.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    public static Http1Client Client(
        int port,
        string cluster,
        int maxConnections = 0,
        TimeProvider? time = null,
        TimeSpan? idleTimeout = null,
        TimeSpan? expectTimeout = null,
        SslClientAuthenticationOptions? tls = null,
        string host = "127.0.0.1",
        TimeSpan? connectTimeout = null) =>
        new(new Http1ClientOptions(
            host,
            port,
            tls,
            connectTimeout ?? TimeSpan.FromSeconds(10),
            idleTimeout ?? TimeSpan.FromMinutes(5),
            maxConnections,
            expectTimeout ?? TimeSpan.FromSeconds(1),
            cluster,
            time ?? TimeProvider.System));

    public static UpstreamRequest Get(string target, string method = "GET") => new(method, target, "localhost");

    public static async Task<UpstreamResponse> SendAsync(this Http1Client client, UpstreamRequest request) =>
        await client.SendAsync(request, CancellationToken.None).WaitAsync(Guard);

    public static async Task<byte[]> ReadBytesAsync(this UpstreamResponse response, int bufferSize = 16 * 1024)
    {
        var body = new MemoryStream();
        var buffer = new byte[bufferSize];
        int read;
        while ((read = await response.ReadAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Guard)) > 0)
        {
            body.Write(buffer, 0, read);
        }

        return body.ToArray();
    }

    public static async Task<string> ReadTextAsync(this UpstreamResponse response, int bufferSize = 16 * 1024) =>
        Encoding.Latin1.GetString(await response.ReadBytesAsync(bufferSize));

    /// <summary>Sends a GET and returns status and body, disposing the response.</summary>
    public static async Task<(int Status, string Body)> GetTextAsync(this Http1Client client, string target)
    {
        using var response = await client.SendAsync(Get(target));
        return (response.StatusCode, await response.ReadTextAsync());
    }

    /// <summary>Serves <paramref name="responses"/> in turn, one per request head, on every connection.</summary>
    public static RawUpstream Raw(params string[] responses) => new(async (connection, _) =>
    {
        for (var i = 0; await connection.ReadHeadAsync() is not null; i++)
        {
            await connection.WriteAsync(responses[Math.Min(i, responses.Length - 1)]);
        }
    });

    public static string UniqueCluster() => "h1-" + Guid.NewGuid().ToString("N")[..8];
}
