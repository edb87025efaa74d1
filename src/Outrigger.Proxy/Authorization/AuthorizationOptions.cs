using System.Net;

namespace Outrigger.Proxy.Authorization;

/// <summary>
/// The built-in policy engine (<c>security.authorization</c>): <see cref="Rules"/> are tried in order and the first whose
/// every condition holds decides; when none matches, <see cref="DefaultAllow"/> decides (deny unless configured otherwise).
/// </summary>
internal sealed record AuthorizationOptions(bool Enabled, bool DefaultAllow, IReadOnlyList<AuthorizationRule> Rules)
{
    public static AuthorizationOptions Disabled { get; } = new(false, true, []);
}

/// <summary>
/// One rule: conditions on the route, method, path, client address, authentication, JWT/introspection claims and mTLS identity;
/// an empty condition matches anything. <see cref="Paths"/> entries are exact paths, or prefixes ending in <c>/**</c>
/// (<c>/admin/**</c> matches <c>/admin</c> and below). <see cref="Claims"/> values match when any value of that claim equals
/// one of them (space-separated claims such as <c>scope</c> are split). <see cref="Identities"/> are matched against the
/// client certificate's URI SANs (SPIFFE ids), DNS SANs and subject.
/// </summary>
internal sealed record AuthorizationRule(
    string Name,
    bool Allow,
    IReadOnlyList<string> Routes,
    IReadOnlyList<string> Methods,
    IReadOnlyList<string> Paths,
    IReadOnlyList<IPNetwork> SourceNetworks,
    bool? Authenticated,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Claims,
    IReadOnlyList<string> Identities);
