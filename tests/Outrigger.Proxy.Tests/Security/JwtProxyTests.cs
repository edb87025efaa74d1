using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.IdentityModel.Tokens;
using Outrigger.Proxy.Tests.Infrastructure;

namespace Outrigger.Proxy.Tests.Security;

/// <summary>JWT bearer authentication through real HTTP, with real RSA and EC keys served from a JWKS endpoint.</summary>
public sealed class JwtProxyTests : IAsyncLifetime
{
    private readonly TokenIssuer _issuer = new();
    private FaultUpstream _upstream = null!;

    public async Task InitializeAsync()
    {
        await _issuer.StartAsync();
        _upstream = await FaultUpstream.StartAsync("a");
    }

    public async Task DisposeAsync()
    {
        await _upstream.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    [Fact]
    public async Task Jwt_RsaAndEcTokensFromJwks_AcceptedAndClaimForwarded()
    {
        await using var proxy = await StartAsync();
        using var client = proxy.CreateClient();
        foreach (var key in new SecurityKey[] { _issuer.Rsa, _issuer.Ec })
        {
            using var response = await SendAsync(client, _issuer.Create(key, claims: new() { ["sub"] = $"user-{key.KeyId}" }));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"user-{key.KeyId}", _upstream.Headers.Last()["x-user-id"].ToString());
        }

        Assert.Equal(1, _issuer.Fetches);
    }

    [Fact]
    public async Task Jwt_MissingToken_401WithBearerChallenge_UnlessTheRouteIsOptional()
    {
        await using var proxy = await StartAsync();
        using var client = proxy.CreateClient();
        using (var missing = await client.GetAsync("/x"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            Assert.Equal("Bearer realm=\"outrigger\"", missing.Headers.WwwAuthenticate.ToString());
        }

        using (var spoofed = new HttpRequestMessage(HttpMethod.Get, "/open"))
        {
            spoofed.Headers.Add("x-user-id", "admin");
            using var anonymous = await client.SendAsync(spoofed);
            Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
            Assert.False(_upstream.Headers.Last().ContainsKey("x-user-id"));
        }

        Assert.Equal(1, _upstream.Requests);
    }

    [Theory]
    [InlineData("expired", "the token expired")]
    [InlineData("future", "the token is not valid yet")]
    [InlineData("audience", "the token is not for this audience")]
    [InlineData("unknown-key", "the token is signed with an unknown key")]
    [InlineData("tampered", "the token's signature is invalid")]
    [InlineData("garbage", "the token is not a well-formed JWT")]
    public async Task Jwt_BadToken_401InvalidTokenNamingTheProblem(string kind, string description)
    {
        await using var proxy = await StartAsync();
        using var client = proxy.CreateClient();
        var token = kind switch
        {
            "expired" => _issuer.Create(_issuer.Rsa, expiresIn: TimeSpan.FromMinutes(-2)),
            "future" => _issuer.Create(_issuer.Ec, notBefore: DateTime.UtcNow.AddMinutes(5)),
            "audience" => _issuer.Create(_issuer.Rsa, audience: "someone-else"),
            "unknown-key" => _issuer.Create(TokenIssuer.NewRsa("rsa-stranger")),
            "tampered" => Tamper(_issuer.Create(_issuer.Rsa)),
            _ => "not.a-jwt",
        };
        using var response = await SendAsync(client, token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal($"Bearer realm=\"outrigger\", error=\"invalid_token\", error_description=\"{description}\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(0, _upstream.Requests);
    }

    [Fact]
    public async Task Jwt_ExpiredWithinClockSkew_Accepted()
    {
        await using var proxy = await StartAsync();
        using var client = proxy.CreateClient();
        using var response = await SendAsync(client, _issuer.Create(_issuer.Rsa, expiresIn: TimeSpan.FromSeconds(-20)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Jwt_KeyRotation_NewKeyFetchedOnFirstUse_RemovedKeyRejectedAfterRefresh()
    {
        var time = new ManualTimeProvider();
        time.Advance(DateTimeOffset.UtcNow - time.GetUtcNow());
        await using var proxy = await StartAsync("jwks_refresh_ms: 60000, jwks_min_refresh_ms: 0", time);
        using var client = proxy.CreateClient();
        var oldToken = _issuer.Create(_issuer.Rsa);
        using (var before = await SendAsync(client, oldToken))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var rotated = TokenIssuer.NewRsa("rsa-2");
        _issuer.Published = [rotated, _issuer.Ec];
        using (var withNewKey = await SendAsync(client, _issuer.Create(rotated)))
        {
            Assert.Equal(HttpStatusCode.OK, withNewKey.StatusCode);
        }

        Assert.Equal(2, _issuer.Fetches);
        time.Advance(TimeSpan.FromSeconds(60));
        using var afterRefresh = await SendAsync(client, oldToken);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRefresh.StatusCode);
        Assert.Equal(3, _issuer.Fetches);
    }

    [Fact]
    public async Task Jwt_Hs256Secret_ValidatedWithoutJwks()
    {
        var secret = "0123456789abcdef0123456789abcdef-hs256";
        await using var proxy = await ProxyHost.StartAsync($$"""
            upstream:
              services:
                jwt-hs: { endpoints: [{{_upstream.Endpoint()}}] }
            security:
              authentication:
                jwt: { secret: "{{secret}}", algorithms: [HS256], issuers: ["{{TokenIssuer.Issuer}}"] }
            """);
        using var client = proxy.CreateClient();
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret));
        using (var ok = await SendAsync(client, _issuer.Create(key)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var wrong = await SendAsync(client, _issuer.Create(new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-secret-of-32-bytes-or-more!!"))));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public void Config_ShortSecretAndNoKeySource_AreErrors()
    {
        TestConfig.Read("""
            security:
              authentication:
                jwt: { secret: "short" }
            """, out var errors);
        Assert.Contains(errors, e => e.Path == "security.authentication.jwt.secret" && e.Message.Contains("at least 32 bytes"));
        TestConfig.Read("""
            security:
              authentication:
                jwt: { audiences: [api] }
            """, out errors);
        Assert.Contains(errors, e => e.Path == "security.authentication.jwt" && e.Message.Contains("needs a key source"));
    }

    private Task<ProxyHost> StartAsync(string extra = "jwks_refresh_ms: 300000", TimeProvider? time = null) => ProxyHost.StartAsync($$"""
        proxy:
          clusters:
            jwt: { endpoints: [{{_upstream.Endpoint()}}] }
          routes:
            - { name: open, cluster: jwt, match: { path_prefix: /open }, authentication: optional }
            - { name: api, cluster: jwt }
        security:
          authentication:
            jwt:
              issuers: ["{{TokenIssuer.Issuer}}"]
              audiences: [api]
              jwks_url: {{_issuer.JwksUrl}}
              {{extra.Replace(", ", "\n      ")}}
              claims_to_headers: { sub: x-user-id }
        """, time);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/x");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("alice", "mallory", StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
    }
}
