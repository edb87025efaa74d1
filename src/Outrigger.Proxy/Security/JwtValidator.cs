using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Outrigger.Proxy.Security;

/// <summary>
/// Validates JWT bearer tokens with Microsoft.IdentityModel.JsonWebTokens: signature (RS*, PS*, ES*, HS*; keys from the
/// JWKS cache, PEM files or an HMAC secret), issuer, audience, exp/nbf with skew on the injected clock.
/// </summary>
internal sealed class JwtValidator : IDisposable
{
    private readonly JwtOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly List<SecurityKey> _staticKeys = [];
    private readonly JwksCache? _jwks;
    private (KeySet Set, TokenValidationParameters Parameters)? _parameters;

    public JwtValidator(JwtOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        if (options.Secret is { } secret)
        {
            _staticKeys.Add(new SymmetricSecurityKey(secret));
        }

        foreach (var file in options.PublicKeyFiles)
        {
            _staticKeys.Add(ReadPem(file));
        }

        _jwks = options.JwksUrl is { } url ? new JwksCache(url, options, time, logger) : null;
    }

    public JwtOptions Options => _options;

    /// <summary>Whether <paramref name="token"/> has the shape of a JWS (three base64url parts).</summary>
    public bool CanRead(string token) => _handler.CanReadToken(token);

    /// <summary>The token's identity, or why it is not acceptable.</summary>
    public async ValueTask<(ClaimsIdentity? Identity, string? Error)> ValidateAsync(string token, CancellationToken cancellation)
    {
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return (null, "the token is not a well-formed JWT");
        }

        var set = _jwks is null ? KeySet.Empty : await _jwks.GetAsync(string.IsNullOrEmpty(jwt.Kid) ? null : jwt.Kid, cancellation).ConfigureAwait(false);
        var result = await _handler.ValidateTokenAsync(jwt, Parameters(set)).ConfigureAwait(false);
        return result.IsValid ? (result.ClaimsIdentity, null) : (null, Describe(result.Exception));
    }

    public void Dispose() => _jwks?.Dispose();

    /// <summary>Validation parameters for a key set, built once per set (the set changes only when the JWKS does).</summary>
    private TokenValidationParameters Parameters(KeySet set)
    {
        var cached = _parameters;
        if (cached is not null && ReferenceEquals(cached.Value.Set, set))
        {
            return cached.Value.Parameters;
        }

        var parameters = Create([.. _staticKeys, .. set.ById.Values, .. set.Anonymous]);
        _parameters = (set, parameters);
        return parameters;
    }

    private TokenValidationParameters Create(List<SecurityKey> keys) => new()
    {
        ClockSkew = _options.ClockSkew,
        LifetimeValidator = ValidateLifetime,
        ValidIssuers = _options.Issuers,
        ValidateIssuer = _options.Issuers.Count > 0,
        ValidAudiences = _options.Audiences,
        ValidateAudience = _options.Audiences.Count > 0,
        ValidAlgorithms = _options.Algorithms,
        IssuerSigningKeys = keys,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidateLifetime = true,
        AuthenticationType = "jwt",
        NameClaimType = "sub",
    };

    /// <summary>exp and nbf against the injected clock (the library would read the system clock).</summary>
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is not { } exp)
        {
            throw new SecurityTokenNoExpirationException("the token has no expiry");
        }

        if (now > exp + _options.ClockSkew)
        {
            throw new SecurityTokenExpiredException("the token expired") { Expires = exp };
        }

        if (notBefore is { } nbf && now < nbf - _options.ClockSkew)
        {
            throw new SecurityTokenNotYetValidException("the token is not valid yet") { NotBefore = nbf };
        }

        return true;
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "the token expired",
        SecurityTokenNotYetValidException => "the token is not valid yet",
        SecurityTokenInvalidAudienceException => "the token is not for this audience",
        SecurityTokenInvalidIssuerException => "the token's issuer is not trusted",
        SecurityTokenSignatureKeyNotFoundException => "the token is signed with an unknown key",
        SecurityTokenInvalidSignatureException => "the token's signature is invalid",
        SecurityTokenInvalidAlgorithmException => "the token's signing algorithm is not accepted",
        SecurityTokenNoExpirationException => "the token has no expiry",
        null => "the token is invalid",
        _ => "the token is invalid",
    };

    private static SecurityKey ReadPem(string file)
    {
        var pem = File.ReadAllText(file);
        var kid = Path.GetFileNameWithoutExtension(file);
        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
            return new ECDsaSecurityKey(ec) { KeyId = kid };
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ec.Dispose();
        }

        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return new RsaSecurityKey(rsa) { KeyId = kid };
    }
}
