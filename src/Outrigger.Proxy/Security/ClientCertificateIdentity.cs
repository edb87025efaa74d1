using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Outrigger.Proxy.Security;

/// <summary>
/// The identity of a client certificate the listener verified (mTLS): claims <c>mtls_subject</c>, <c>mtls_uri</c> (URI SANs,
/// e.g. SPIFFE ids), <c>mtls_dns</c> and <c>mtls_hash</c>; and Envoy's <c>x-forwarded-client-cert</c> header for the upstream.
/// </summary>
internal static class ClientCertificateIdentity
{
    public const string HeaderName = "x-forwarded-client-cert";
    public const string AuthenticationType = "mtls";

    /// <summary>The verified client certificate of the connection, if any.</summary>
    public static X509Certificate2? Certificate(HttpContext context) => context.Features.Get<ITlsConnectionFeature>()?.ClientCertificate;

    public static ClaimsIdentity Create(X509Certificate2 certificate)
    {
        var identity = new ClaimsIdentity(AuthenticationType, "mtls_subject", "role");
        identity.AddClaim(new Claim("mtls_subject", certificate.Subject));
        identity.AddClaim(new Claim("mtls_hash", certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToLowerInvariant()));
        foreach (var (kind, value) in SubjectAlternativeNames(certificate))
        {
            identity.AddClaim(new Claim(kind, value));
        }

        return identity;
    }

    /// <summary>Envoy's XFCC value: <c>Hash=…;Subject="…";URI=…;DNS=…</c>.</summary>
    public static string ForwardedHeader(ClaimsIdentity identity)
    {
        var value = new StringBuilder();
        value.Append("Hash=").Append(identity.FindFirst("mtls_hash")?.Value);
        value.Append(";Subject=\"").Append(identity.FindFirst("mtls_subject")?.Value.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        foreach (var uri in identity.FindAll("mtls_uri"))
        {
            value.Append(";URI=").Append(uri.Value);
        }

        foreach (var dns in identity.FindAll("mtls_dns"))
        {
            value.Append(";DNS=").Append(dns.Value);
        }

        return value.ToString();
    }

    private static IEnumerable<(string Kind, string Value)> SubjectAlternativeNames(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is not X509SubjectAlternativeNameExtension san)
            {
                continue;
            }

            foreach (var dns in san.EnumerateDnsNames())
            {
                yield return ("mtls_dns", dns);
            }

            foreach (var uri in UriNames(san))
            {
                yield return ("mtls_uri", uri);
            }
        }
    }

    /// <summary>URI SANs (GeneralName [6] IA5String), which <see cref="X509SubjectAlternativeNameExtension"/> does not enumerate.</summary>
    private static List<string> UriNames(X509SubjectAlternativeNameExtension san)
    {
        var result = new List<string>();
        var reader = new System.Formats.Asn1.AsnReader(san.RawData, System.Formats.Asn1.AsnEncodingRules.DER);
        var names = reader.ReadSequence();
        var uriTag = new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6);
        while (names.HasData)
        {
            if (names.PeekTag() == uriTag)
            {
                result.Add(names.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, uriTag));
            }
            else
            {
                names.ReadEncodedValue();
            }
        }

        return result;
    }
}
