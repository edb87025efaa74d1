using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Outrigger.Proxy.Security;

/// <summary>
/// An issuer's JSON Web Key Set, fetched from its URL, kept in memory and fetched again every refresh interval and — at
/// most once per minimum interval — whenever a token names a key id the set does not have (the issuer rotated its keys).
/// Concurrent requests share one fetch. A failed fetch keeps the last good set.
/// </summary>
internal sealed partial class JwksCache : IDisposable
{
    private readonly Uri _url;
    private readonly JwtOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpMessageInvoker _client = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false });
    private readonly Lock _lock = new();
    private Task? _fetch;
    private long _lastFetch = long.MinValue / 2;

    public JwksCache(string url, JwtOptions options, TimeProvider time, ILogger logger)
    {
        _url = new Uri(url);
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The keys by id (keys without an id are in <see cref="KeySet.Anonymous"/>).</summary>
    public KeySet Keys { get; private set; } = KeySet.Empty;

    /// <summary>The key set to validate a token whose header names <paramref name="kid"/>, fetching first when needed.</summary>
    public async ValueTask<KeySet> GetAsync(string? kid, CancellationToken token)
    {
        var keys = Keys;
        var age = _time.GetElapsedTime(Volatile.Read(ref _lastFetch));
        var unknownKid = kid is not null && !keys.ById.ContainsKey(kid);
        if (age >= _options.JwksRefresh || (unknownKid && age >= _options.JwksMinRefresh) || keys.IsEmpty)
        {
            await FetchAsync().WaitAsync(token).ConfigureAwait(false);
        }

        return Keys;
    }

    public void Dispose() => _client.Dispose();

    private Task FetchAsync()
    {
        lock (_lock)
        {
            if (_fetch is { IsCompleted: false } running)
            {
                return running;
            }

            Volatile.Write(ref _lastFetch, _time.GetTimestamp());
            return _fetch = FetchCoreAsync();
        }
    }

    private async Task FetchCoreAsync()
    {
        using var timeout = new CancellationTokenSource(_options.JwksTimeout, _time);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _url);
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await _client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var json = await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            var keys = KeySet.From(new JsonWebKeySet(json).GetSigningKeys());
            Keys = keys;
            Log.Fetched(_logger, _url, keys.Count);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
        {
            Log.FetchFailed(_logger, _url, e.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "JWKS {Url}: {Count} signing keys")]
        public static partial void Fetched(ILogger logger, Uri url, int count);

        [LoggerMessage(2, LogLevel.Warning, "JWKS {Url} could not be fetched ({Reason}); keeping the previous keys")]
        public static partial void FetchFailed(ILogger logger, Uri url, string reason);
    }
}

/// <summary>Signing keys by key id, plus those without one.</summary>
internal sealed class KeySet
{
    private KeySet(Dictionary<string, SecurityKey> byId, List<SecurityKey> anonymous)
    {
        ById = byId;
        Anonymous = anonymous;
    }

    public static KeySet Empty { get; } = new([], []);

    public IReadOnlyDictionary<string, SecurityKey> ById { get; }

    public IReadOnlyList<SecurityKey> Anonymous { get; }

    public int Count => ById.Count + Anonymous.Count;

    public bool IsEmpty => Count == 0;

    public static KeySet From(IEnumerable<SecurityKey> keys)
    {
        var byId = new Dictionary<string, SecurityKey>(StringComparer.Ordinal);
        var anonymous = new List<SecurityKey>();
        foreach (var key in keys)
        {
            if (string.IsNullOrEmpty(key.KeyId))
            {
                anonymous.Add(key);
            }
            else
            {
                byId[key.KeyId] = key;
            }
        }

        return new KeySet(byId, anonymous);
    }
}
