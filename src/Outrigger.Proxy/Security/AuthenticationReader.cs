using System.Text;
using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.Security;

/// <summary>Reads <c>security.authentication</c>.</summary>
internal static class AuthenticationReader
{
    private static readonly string[] KnownAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256", "HS384", "HS512"];

    public static AuthenticationOptions Read(ConfigReader section)
    {
        var jwt = ReadJwt(section.Section("jwt", "JWT bearer tokens."));
        var introspection = ReadIntrospection(section.Section("oauth2", "OAuth2 token introspection (RFC 7662) for opaque bearer tokens."));
        var certificate = section.Bool("client_certificate", false, "A client certificate verified by the listener (server.tls.client_ca_file) authenticates the request (mTLS identity).");
        var enabled = jwt.Enabled || introspection.Enabled || certificate;
        var mode = ParseMode(section.Choice("mode", enabled ? "required" : "none", "Default for every route (a route's authentication overrides it): required, optional (only bad credentials are refused) or none.", "required", "optional", "none"));
        var realm = section.String("realm", "outrigger", "Realm named in WWW-Authenticate.");
        if (mode != AuthenticationMode.None && !enabled)
        {
            section.Error("mode", "needs jwt, oauth2 or client_certificate to be enabled");
        }

        return new AuthenticationOptions(mode, jwt, introspection, certificate, realm);
    }

    public static AuthenticationMode ParseMode(string mode) => mode switch
    {
        "required" => AuthenticationMode.Required,
        "optional" => AuthenticationMode.Optional,
        _ => AuthenticationMode.None,
    };

    private static JwtOptions ReadJwt(ConfigReader jwt)
    {
        var enabled = jwt.Bool("enabled", jwt.IsPresent, "Validate JWT bearer tokens (a present section enables it).");
        var issuers = jwt.StringList("issuers", "Accepted iss values; empty accepts any issuer.");
        var audiences = jwt.StringList("audiences", "Accepted aud values; empty accepts any audience.");
        var algorithms = jwt.StringList("algorithms", $"Accepted signature algorithms ({string.Join(", ", KnownAlgorithms)}).", ["RS256", "ES256", "HS256"]);
        var jwksUrl = jwt.OptionalString("jwks_url", "URL of the issuer's JSON Web Key Set (http or https).");
        var refresh = Ms(jwt.Long("jwks_refresh_ms", 300_000, "How often the key set is fetched again.", 1_000));
        var minRefresh = Ms(jwt.Long("jwks_min_refresh_ms", 5_000, "Least time between fetches caused by tokens with an unknown key id (key rotation).", 0));
        var timeout = Ms(jwt.Long("jwks_timeout_ms", 5_000, "Time allowed for one key set fetch.", 1));
        var secret = jwt.OptionalString("secret", "HMAC key (HS256/384/512), at least 32 bytes.", secret: true);
        var secretFile = jwt.OptionalString("secret_file", "File holding the HMAC key (instead of secret).");
        var keyFiles = jwt.StringList("public_key_files", "PEM public keys (RSA or EC) that sign tokens; the key id is the file name without extension.");
        var skew = Ms(jwt.Long("clock_skew_ms", 60_000, "Tolerance on exp and nbf.", 0));
        var headers = ReadMap(jwt.Section("claims_to_headers", "Claims copied into request headers for the upstream, e.g. sub: x-user-id (headers of those names from the client are removed)."));
        foreach (var algorithm in algorithms)
        {
            if (Array.IndexOf(KnownAlgorithms, algorithm) < 0)
            {
                jwt.Error("algorithms", $"'{algorithm}' is not one of: {string.Join(", ", KnownAlgorithms)}");
            }
        }

        var key = ReadSecret(jwt, secret, secretFile);
        if (enabled && jwksUrl is null && key is null && keyFiles.Count == 0)
        {
            jwt.Error("", "needs a key source: jwks_url, public_key_files or secret");
        }

        if (jwksUrl is not null && !(Uri.TryCreate(jwksUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            jwt.Error("jwks_url", $"'{jwksUrl}' is not an http or https URL");
        }

        foreach (var file in keyFiles.Where(f => !File.Exists(f)))
        {
            jwt.Error("public_key_files", $"file '{file}' does not exist");
        }

        return new JwtOptions(enabled, issuers, audiences, algorithms, jwksUrl, refresh, minRefresh, timeout, key, keyFiles, skew, headers);
    }

    private static byte[]? ReadSecret(ConfigReader jwt, string? secret, string? secretFile)
    {
        if (secret is not null && secretFile is not null)
        {
            jwt.Error("secret_file", "use either secret or secret_file");
        }

        byte[]? key = null;
        if (secretFile is not null)
        {
            try
            {
                key = File.ReadAllBytes(secretFile).AsSpan().TrimEnd("\r\n"u8).ToArray();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                jwt.Error("secret_file", $"cannot read '{secretFile}': {e.Message}");
            }
        }
        else if (secret is not null)
        {
            key = Encoding.UTF8.GetBytes(secret);
        }

        if (key is { Length: < 32 })
        {
            jwt.Error(secretFile is null ? "secret" : "secret_file", $"an HMAC key must be at least 32 bytes (this one has {key.Length})");
        }

        return key;
    }

    private static IntrospectionOptions ReadIntrospection(ConfigReader oauth2)
    {
        var enabled = oauth2.Bool("enabled", oauth2.IsPresent, "Introspect opaque bearer tokens (a present section enables it).");
        var url = oauth2.String("introspection_url", "", "The authorization server's introspection endpoint (RFC 7662).");
        var clientId = oauth2.OptionalString("client_id", "Client id for HTTP Basic authentication to the endpoint.");
        var clientSecret = oauth2.OptionalString("client_secret", "Client secret for HTTP Basic authentication to the endpoint.", secret: true);
        var ttl = Ms(oauth2.Long("cache_ttl_ms", 60_000, "How long an active token's answer is reused (never past its exp).", 0));
        var negative = Ms(oauth2.Long("negative_cache_ttl_ms", 5_000, "How long an inactive token's answer is reused.", 0));
        var timeout = Ms(oauth2.Long("timeout_ms", 5_000, "Time allowed for one introspection call; failing calls answer 503.", 1));
        var max = oauth2.Int("max_cache_entries", 10_000, "Most tokens remembered.", 1);
        if (enabled && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            oauth2.Error("introspection_url", $"'{url}' is not an http or https URL");
        }

        return new IntrospectionOptions(enabled, url, clientId, clientSecret, ttl, negative, timeout, max);
    }

    private static Dictionary<string, string> ReadMap(ConfigReader section)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in section.PresentKeys)
        {
            result[key] = section.OptionalString(key, "") ?? "";
        }

        return result;
    }

    private static TimeSpan Ms(long milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
}
