namespace Outrigger.Proxy.Security;

/// <summary>Whether a route needs credentials: <c>required</c> (none or bad → 401), <c>optional</c> (bad → 401, none → anonymous), <c>none</c>.</summary>
internal enum AuthenticationMode
{
    None,
    Optional,
    Required,
}

/// <summary>
/// JWT bearer tokens (<c>security.authentication.jwt</c>): signatures checked with keys from <see cref="JwksUrl"/> (cached,
/// refreshed every <see cref="JwksRefresh"/> and at once — at most every <see cref="JwksMinRefresh"/> — when a token names a
/// key id the cache does not know, which is how key rotation is followed), from PEM <see cref="PublicKeyFiles"/>, or an HMAC
/// <see cref="Secret"/>. Issuer, audience, expiry and not-before are checked with <see cref="ClockSkew"/>.
/// </summary>
internal sealed record JwtOptions(
    bool Enabled,
    IReadOnlyList<string> Issuers,
    IReadOnlyList<string> Audiences,
    IReadOnlyList<string> Algorithms,
    string? JwksUrl,
    TimeSpan JwksRefresh,
    TimeSpan JwksMinRefresh,
    TimeSpan JwksTimeout,
    byte[]? Secret,
    IReadOnlyList<string> PublicKeyFiles,
    TimeSpan ClockSkew,
    IReadOnlyDictionary<string, string> ClaimsToHeaders);

/// <summary>
/// OAuth2 token introspection (RFC 7662, <c>security.authentication.oauth2</c>) for opaque bearer tokens: POSTed to
/// <see cref="Url"/> with the client's credentials; answers are cached for <see cref="CacheTtl"/> (never past the token's
/// <c>exp</c>), inactive tokens for <see cref="NegativeCacheTtl"/>, at most <see cref="MaxCacheEntries"/> tokens.
/// </summary>
internal sealed record IntrospectionOptions(
    bool Enabled,
    string Url,
    string? ClientId,
    string? ClientSecret,
    TimeSpan CacheTtl,
    TimeSpan NegativeCacheTtl,
    TimeSpan Timeout,
    int MaxCacheEntries);

/// <summary>
/// <c>security.authentication</c>: the default <see cref="Mode"/> of every route (a route's <c>authentication</c> overrides it),
/// the bearer-token validators, and whether a verified client certificate (mTLS) is enough (<see cref="ClientCertificate"/>).
/// </summary>
internal sealed record AuthenticationOptions(
    AuthenticationMode Mode,
    JwtOptions Jwt,
    IntrospectionOptions Introspection,
    bool ClientCertificate,
    string Realm)
{
    public bool Enabled => Jwt.Enabled || Introspection.Enabled || ClientCertificate;
}
