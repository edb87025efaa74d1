using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Outrigger.Core.Hosting;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>
/// A token issuer with real keys (RSA 2048 and EC P-256) that signs JWTs and serves its current keys as a JWKS over HTTP
/// (<c>/jwks</c>), so key rotation can be done by changing <see cref="Published"/>.
/// </summary>
internal sealed class TokenIssuer : IAsyncDisposable
{
    public const string Issuer = "https://issuer.test";
    private readonly JsonWebTokenHandler _handler = new();
    private HttpServer? _server;
    private int _fetches;

    public TokenIssuer()
    {
        Rsa = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "rsa-1" };
        Ec = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "ec-1" };
        Published = [Rsa, Ec];
    }

    public RsaSecurityKey Rsa { get; }

    public ECDsaSecurityKey Ec { get; }

    /// <summary>Keys served by the JWKS endpoint.</summary>
    public List<AsymmetricSecurityKey> Published { get; set; }

    public int Fetches => Volatile.Read(ref _fetches);

    public string JwksUrl => $"http://127.0.0.1:{_server!.EndPoints[0].Port}/jwks";

    public static RsaSecurityKey NewRsa(string kid) => new(RSA.Create(2048)) { KeyId = kid };

    public async Task StartAsync() =>
        _server = await HttpServer.StartAsync([new ListenEndpoint(new IPEndPoint(IPAddress.Loopback, 0))], ServeAsync, NullLoggerFactory.Instance);

    public string Create(SecurityKey key, string audience = "api", TimeSpan? expiresIn = null, DateTime? notBefore = null, Dictionary<string, object>? claims = null)
    {
        var now = DateTime.UtcNow;
        var algorithm = key switch
        {
            RsaSecurityKey => SecurityAlgorithms.RsaSha256,
            ECDsaSecurityKey => SecurityAlgorithms.EcdsaSha256,
            _ => SecurityAlgorithms.HmacSha256,
        };
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(10));
        var nbf = notBefore ?? (expires < now ? expires - TimeSpan.FromMinutes(10) : now.AddSeconds(-1));
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = nbf,
            NotBefore = nbf,
            Expires = expires,
            Claims = claims ?? new Dictionary<string, object> { ["sub"] = "alice" },
            SigningCredentials = new SigningCredentials(key, algorithm),
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private async Task ServeAsync(HttpContext context)
    {
        Interlocked.Increment(ref _fetches);
        var keys = new JsonArray();
        foreach (var key in Published)
        {
            keys.Add((JsonNode)Jwk(key));
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject { ["keys"] = keys }.ToJsonString());
    }

    private static JsonObject Jwk(AsymmetricSecurityKey key)
    {
        if (key is RsaSecurityKey rsa)
        {
            var p = rsa.Rsa.ExportParameters(false);
            return new JsonObject { ["kty"] = "RSA", ["kid"] = rsa.KeyId, ["use"] = "sig", ["alg"] = "RS256", ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) };
        }

        var ec = ((ECDsaSecurityKey)key).ECDsa.ExportParameters(false);
        return new JsonObject { ["kty"] = "EC", ["kid"] = key.KeyId, ["use"] = "sig", ["alg"] = "ES256", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(ec.Q.X), ["y"] = Base64UrlEncoder.Encode(ec.Q.Y) };
    }

    public static string Secret { get; } = Convert.ToBase64String(Encoding.UTF8.GetBytes("a-test-secret-that-is-long-enough!!"));
}
