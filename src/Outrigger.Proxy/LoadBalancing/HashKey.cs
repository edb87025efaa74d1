using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.LoadBalancing;

/// <summary>The 64-bit key a hashing balancer places a request by: the client IP, a header or a cookie.</summary>
internal sealed class HashKey(HashKeySource source, string name)
{
    /// <summary>The request's key hash; a random one when the request has no key (it is then spread evenly).</summary>
    public ulong Of(HttpContext? context)
    {
        switch (source)
        {
            case HashKeySource.Header when context is not null && context.Request.Headers.TryGetValue(name, out var header) && header.Count > 0:
                return StableHash.Of(header.ToString());
            case HashKeySource.Cookie when context is not null && context.Request.Cookies.TryGetValue(name, out var cookie) && cookie.Length > 0:
                return StableHash.Of(cookie);
            case HashKeySource.ClientIp when context?.Connection.RemoteIpAddress is { } address:
                Span<byte> bytes = stackalloc byte[16];
                return address.TryWriteBytes(bytes, out var written) ? StableHash.Of(bytes[..written]) : StableHash.Of(address.ToString());
            default:
                return (ulong)Random.Shared.NextInt64();
        }
    }
}
