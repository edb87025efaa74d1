using Outrigger.Proxy.Authorization;
using Outrigger.Proxy.Cors;
using Outrigger.Proxy.RateLimiting;

namespace Outrigger.Proxy.Security;

/// <summary>Spec 002's <c>security</c> section: what applies to every route (a route may override the authentication mode).</summary>
internal sealed record SecurityOptions(RateLimitOptions RateLimit, AuthenticationOptions Authentication, AuthorizationOptions Authorization, CorsOptions Cors)
{
    public static SecurityOptions None { get; } = new(
        RateLimitOptions.Disabled,
        new AuthenticationOptions(AuthenticationMode.None, AuthenticationReaderDefaults.Jwt, AuthenticationReaderDefaults.Introspection, false, "outrigger"),
        AuthorizationOptions.Disabled,
        CorsOptions.Disabled);
}

/// <summary>Disabled validator settings, for options built without a configuration file.</summary>
internal static class AuthenticationReaderDefaults
{
    public static JwtOptions Jwt { get; } = new(false, [], [], [], null, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), null, [], TimeSpan.FromMinutes(1), new Dictionary<string, string>());

    public static IntrospectionOptions Introspection { get; } = new(false, "", null, null, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), 10_000);
}
