namespace Outrigger.Proxy.Cors;

/// <summary>
/// Cross-origin resource sharing for a route (<c>cors</c>) or every route (<c>security.cors</c>). <see cref="AllowedOrigins"/>
/// entries are exact origins, <c>*</c>, or a wildcard subdomain such as <c>https://*.example.com</c>. With
/// <see cref="AllowCredentials"/> the request's origin is echoed (never <c>*</c>), as the Fetch standard requires.
/// </summary>
internal sealed record CorsOptions(
    bool Enabled,
    IReadOnlyList<string> AllowedOrigins,
    IReadOnlyList<string> AllowedMethods,
    IReadOnlyList<string> AllowedHeaders,
    IReadOnlyList<string> ExposedHeaders,
    bool AllowCredentials,
    TimeSpan MaxAge)
{
    public static CorsOptions Disabled { get; } = new(false, [], [], [], [], false, TimeSpan.Zero);
}
