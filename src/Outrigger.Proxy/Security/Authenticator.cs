using System.Diagnostics.Metrics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Policies;

namespace Outrigger.Proxy.Security;

/// <summary>
/// Establishes who is calling: a verified client certificate (mTLS, always exposed; counts as authentication when
/// <c>client_certificate</c> is on), then a bearer token — a JWT when it has that shape and JWT validation is on, otherwise
/// OAuth2 introspection. The result is <see cref="HttpContext.User"/>; bad or (on <c>required</c> routes) missing credentials
/// are answered 401 with <c>WWW-Authenticate</c> (RFC 6750).
/// </summary>
internal sealed class Authenticator : IDisposable
{
    private static readonly Counter<long> Failures = ProxyMetrics.Meter.CreateCounter<long>("proxy_authn_failures_total", description: "Requests answered 401, by reason (missing, invalid).");

    private readonly AuthenticationOptions _options;
    private readonly JwtValidator? _jwt;
    private readonly TokenIntrospector? _introspector;
    private readonly string _challenge;

    public Authenticator(AuthenticationOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _jwt = options.Jwt.Enabled ? new JwtValidator(options.Jwt, time, logger) : null;
        _introspector = options.Introspection.Enabled ? new TokenIntrospector(options.Introspection, time) : null;
        _challenge = $"Bearer realm=\"{options.Realm}\"";
    }

    public TokenIntrospector? Introspector => _introspector;

    /// <summary>Authenticates; returns a status when the request was answered (401, or 503 when introspection failed).</summary>
    public async ValueTask<int?> AuthenticateAsync(HttpContext context, AuthenticationMode mode)
    {
        foreach (var header in _options.Jwt.ClaimsToHeaders.Values)
        {
            context.Request.Headers.Remove(header);
        }

        var principal = new ClaimsPrincipal();
        var certificateIdentity = AddClientCertificate(context, principal);
        var token = mode == AuthenticationMode.None ? null : BearerToken(context.Request);
        if (token is null)
        {
            context.User = principal;
            var authenticated = _options.ClientCertificate && certificateIdentity is not null;
            return mode == AuthenticationMode.Required && !authenticated
                ? await ChallengeAsync(context, "missing", null, "credentials are required (Authorization: Bearer <token>)").ConfigureAwait(false)
                : null;
        }

        ClaimsIdentity? identity;
        string? error;
        try
        {
            (identity, error) = _jwt is not null && (_introspector is null || _jwt.CanRead(token))
                ? await _jwt.ValidateAsync(token, context.RequestAborted).ConfigureAwait(false)
                : _introspector is not null ? await _introspector.IntrospectAsync(token, context.RequestAborted).ConfigureAwait(false) : (null, "bearer tokens are not accepted");
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException && !context.RequestAborted.IsCancellationRequested)
        {
            return await PolicyResponse.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, $"authentication unavailable: the token introspection endpoint failed ({e.Message})").ConfigureAwait(false);
        }

        if (identity is null)
        {
            return await ChallengeAsync(context, "invalid", "invalid_token", error!).ConfigureAwait(false);
        }

        principal.AddIdentity(identity);
        context.User = principal;
        CopyClaimsToHeaders(context, identity);
        return null;
    }

    public void Dispose()
    {
        _jwt?.Dispose();
        _introspector?.Dispose();
    }

    private static ClaimsIdentity? AddClientCertificate(HttpContext context, ClaimsPrincipal principal)
    {
        context.Request.Headers.Remove(ClientCertificateIdentity.HeaderName);
        if (ClientCertificateIdentity.Certificate(context) is not { } certificate)
        {
            return null;
        }

        var identity = ClientCertificateIdentity.Create(certificate);
        principal.AddIdentity(identity);
        context.Request.Headers[ClientCertificateIdentity.HeaderName] = ClientCertificateIdentity.ForwardedHeader(identity);
        return identity;
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.Length > 7 && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    private void CopyClaimsToHeaders(HttpContext context, ClaimsIdentity identity)
    {
        foreach (var (claim, header) in _options.Jwt.ClaimsToHeaders)
        {
            if (identity.FindFirst(claim)?.Value is { } value)
            {
                context.Request.Headers[header] = value;
            }
        }
    }

    private Task<int> ChallengeAsync(HttpContext context, string reason, string? error, string description)
    {
        Failures.Add(1, new KeyValuePair<string, object?>("reason", reason));
        var challenge = error is null ? _challenge : $"{_challenge}, error=\"{error}\", error_description=\"{description}\"";
        return PolicyResponse.WriteAsync(context, StatusCodes.Status401Unauthorized, $"unauthorized: {description}", ("WWW-Authenticate", challenge));
    }
}
