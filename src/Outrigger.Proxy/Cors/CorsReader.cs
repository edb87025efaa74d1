using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.Cors;

/// <summary>Reads a <c>cors</c> section.</summary>
internal static class CorsReader
{
    public static CorsOptions Read(ConfigReader cors)
    {
        var enabled = cors.Bool("enabled", cors.IsPresent, "Answer CORS preflights and add CORS headers (a present section enables it).");
        var origins = cors.StringList("allowed_origins", "Origins allowed: exact (https://app.example.com), * or https://*.example.com.");
        var methods = cors.StringList("allowed_methods", "Methods a cross-origin request may use.", ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]).Select(m => m.ToUpperInvariant()).ToArray();
        var headers = cors.StringList("allowed_headers", "Request headers allowed (* for any).", ["authorization", "content-type"]);
        var exposed = cors.StringList("exposed_headers", "Response headers scripts may read.");
        var credentials = cors.Bool("allow_credentials", false, "Allow cookies and Authorization (the origin is then echoed, never *).");
        var maxAge = TimeSpan.FromSeconds(cors.Long("max_age_seconds", 600, "How long browsers may cache a preflight answer.", 0));
        if (enabled && origins.Count == 0)
        {
            cors.Error("allowed_origins", "list the origins allowed (or *)");
        }

        foreach (var origin in origins.Where(o => o != "*" && !Uri.TryCreate(o.Replace("*.", "wildcard.", StringComparison.Ordinal), UriKind.Absolute, out _)))
        {
            cors.Error("allowed_origins", $"'{origin}' is not an origin like https://app.example.com");
        }

        return new CorsOptions(enabled, origins, methods, headers, exposed, credentials, maxAge);
    }
}
