using System.Diagnostics.Metrics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Metrics;
using Outrigger.Proxy.Policies;
using Outrigger.Proxy.Security;

namespace Outrigger.Proxy.Authorization;

/// <summary>Evaluates the ordered rules of <see cref="AuthorizationOptions"/> for a request; denied requests get 403.</summary>
internal sealed class AuthorizationPolicy(AuthorizationOptions options)
{
    private static readonly Counter<long> Denied = ProxyMetrics.Meter.CreateCounter<long>("proxy_authz_denied_total", description: "Requests answered 403 by the authorization rules, by rule (default when none matched).");

    /// <summary>The rule that decides, or null when none matches (then the default action decides).</summary>
    public AuthorizationRule? Match(HttpContext context, string route)
    {
        foreach (var rule in options.Rules)
        {
            if (Matches(rule, context, route))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>Returns 403 (answered) when the request is denied, null when it may go on.</summary>
    public async ValueTask<int?> AuthorizeAsync(HttpContext context, string route)
    {
        var rule = Match(context, route);
        if (rule?.Allow ?? options.DefaultAllow)
        {
            return null;
        }

        var name = rule?.Name ?? "default";
        Denied.Add(1, new KeyValuePair<string, object?>("rule", name));
        var why = rule is null ? "no rule allows it" : $"rule '{rule.Name}' denies it";
        return await PolicyResponse.WriteAsync(context, StatusCodes.Status403Forbidden, $"forbidden: {context.Request.Method} {context.Request.Path} on route '{route}': {why}").ConfigureAwait(false);
    }

    internal static bool Matches(AuthorizationRule rule, HttpContext context, string route)
    {
        var request = context.Request;
        return (rule.Routes.Count == 0 || Contains(rule.Routes, route))
            && (rule.Methods.Count == 0 || Contains(rule.Methods, request.Method))
            && (rule.Paths.Count == 0 || MatchesPath(rule.Paths, request.Path.Value ?? "/"))
            && (rule.SourceNetworks.Count == 0 || MatchesSource(rule, context))
            && (rule.Authenticated is not { } authenticated || IsAuthenticated(context.User) == authenticated)
            && MatchesClaims(rule, context.User)
            && (rule.Identities.Count == 0 || MatchesIdentity(rule, context.User));
    }

    private static bool Contains(IReadOnlyList<string> values, string value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MatchesPath(IReadOnlyList<string> patterns, string path)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.EndsWith("/**", StringComparison.Ordinal))
            {
                var prefix = pattern.AsSpan(0, pattern.Length - 3);
                if (path.AsSpan().StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/'))
                {
                    return true;
                }
            }
            else if (string.Equals(pattern, path, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MatchesSource(AuthorizationRule rule, HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } address)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in rule.SourceNetworks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsAuthenticated(ClaimsPrincipal user)
    {
        foreach (var identity in user.Identities)
        {
            if (identity.IsAuthenticated)
            {
                return true;
            }
        }

        return false;
    }

    private static bool MatchesClaims(AuthorizationRule rule, ClaimsPrincipal user)
    {
        foreach (var (type, accepted) in rule.Claims)
        {
            if (!HasClaimValue(user, type, accepted))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasClaimValue(ClaimsPrincipal user, string type, IReadOnlyList<string> accepted)
    {
        foreach (var claim in user.FindAll(type))
        {
            foreach (var value in claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (Contains(accepted, value))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool MatchesIdentity(AuthorizationRule rule, ClaimsPrincipal user)
    {
        foreach (var claim in user.Claims)
        {
            if (claim.Subject?.AuthenticationType == ClientCertificateIdentity.AuthenticationType
                && claim.Type is "mtls_uri" or "mtls_dns" or "mtls_subject" && Contains(rule.Identities, claim.Value))
            {
                return true;
            }
        }

        return false;
    }
}
