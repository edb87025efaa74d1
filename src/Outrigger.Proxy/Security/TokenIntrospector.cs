using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Outrigger.Proxy.Security;

/// <summary>
/// OAuth2 token introspection (RFC 7662): asks the authorization server whether an opaque token is active and what it
/// carries (sub, scope, client_id, username, aud, iss, exp …), and caches the answer by the token's SHA-256.
/// </summary>
internal sealed class TokenIntrospector : IDisposable
{
    private readonly IntrospectionOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false });
    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly AuthenticationHeaderValue? _credentials;
    private int _calls;

    public TokenIntrospector(IntrospectionOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        if (options.ClientId is { } id)
        {
            _credentials = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(options.ClientSecret ?? "")}")));
        }
    }

    /// <summary>Calls made to the introspection endpoint (cache misses).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The token's identity; an error when it is inactive; an exception when the server could not be asked.</summary>
    public async ValueTask<(ClaimsIdentity? Identity, string? Error)> IntrospectAsync(string token, CancellationToken cancellation)
    {
        var key = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Until > now)
        {
            return cached.Result;
        }

        var result = await CallAsync(token, cancellation).ConfigureAwait(false);
        Remember(key, result, now);
        return (result.Identity, result.Error);
    }

    public void Dispose() => _client.Dispose();

    private async Task<Answer> CallAsync(string token, CancellationToken cancellation)
    {
        Interlocked.Increment(ref _calls);
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var link = cancellation.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, _options.Url)
        {
            Content = new FormUrlEncodedContent([new("token", token), new("token_type_hint", "access_token")]),
        };
        request.Headers.Authorization = _credentials;
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await _client.SendAsync(request, timeout.Token).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        using var json = await JsonDocument.ParseAsync(body, cancellationToken: timeout.Token).ConfigureAwait(false);
        return Parse(json.RootElement);
    }

    private static Answer Parse(JsonElement root)
    {
        if (!root.TryGetProperty("active", out var active) || active.ValueKind != JsonValueKind.True)
        {
            return new Answer(null, "the token is not active", null);
        }

        var identity = new ClaimsIdentity("oauth2", "sub", "role");
        DateTimeOffset? expires = null;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.String:
                    identity.AddClaim(new Claim(property.Name, property.Value.GetString()!));
                    break;
                case JsonValueKind.Number:
                    identity.AddClaim(new Claim(property.Name, property.Value.GetRawText(), ClaimValueTypes.Integer64));
                    if (property.Name == "exp" && property.Value.TryGetInt64(out var exp))
                    {
                        expires = DateTimeOffset.FromUnixTimeSeconds(exp);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in property.Value.EnumerateArray())
                    {
                        identity.AddClaim(new Claim(property.Name, item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText()));
                    }

                    break;
            }
        }

        return new Answer(identity, null, expires);
    }

    private void Remember(string key, Answer answer, DateTimeOffset now)
    {
        var until = now + (answer.Identity is null ? _options.NegativeCacheTtl : _options.CacheTtl);
        if (answer.Expires is { } exp && exp < until)
        {
            until = exp;
        }

        if (until <= now)
        {
            return;
        }

        if (_cache.Count >= _options.MaxCacheEntries)
        {
            foreach (var (k, entry) in _cache)
            {
                if (entry.Until <= now)
                {
                    _cache.TryRemove(k, out _);
                }
            }

            if (_cache.Count >= _options.MaxCacheEntries)
            {
                return;
            }
        }

        _cache[key] = new Entry((answer.Identity, answer.Error), until);
    }

    private sealed record Answer(ClaimsIdentity? Identity, string? Error, DateTimeOffset? Expires);

    private sealed record Entry((ClaimsIdentity? Identity, string? Error) Result, DateTimeOffset Until);
}
