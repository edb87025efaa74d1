using Microsoft.Extensions.Primitives;

namespace Outrigger.Proxy.Upstream;

/// <summary>
/// One request as it goes upstream. <see cref="Headers"/> are end-to-end fields only: the forwarder has already removed
/// hop-by-hop fields, <c>Host</c>, <c>Content-Length</c>, <c>Transfer-Encoding</c> and <c>Expect</c>, and added its own
/// (X-Forwarded-*, Via, request id, traceparent). The client adds <c>Host</c> (from <see cref="Authority"/>), the body's
/// framing, <c>Expect: 100-continue</c> and, for an upgrade, <c>Connection: Upgrade</c> (the <c>Upgrade</c> field itself is
/// in <see cref="Headers"/>).
/// </summary>
internal sealed class UpstreamRequest(string method, string target, string authority)
{
    public string Method { get; set; } = method;

    /// <summary>The request target in origin form: <c>/path?query</c>.</summary>
    public string Target { get; set; } = target;

    /// <summary>The <c>Host</c> to send (<c>:authority</c> over HTTP/2).</summary>
    public string Authority { get; set; } = authority;

    /// <summary>Header fields in the order they are sent; a name may appear more than once.</summary>
    public List<KeyValuePair<string, StringValues>> Headers { get; } = new(16);

    /// <summary>The body to send; null for none.</summary>
    public RequestBody? Body { get; set; }

    /// <summary>Ask the upstream for <c>100 Continue</c> before sending the body.</summary>
    public bool ExpectContinue { get; set; }

    /// <summary>The client asked for a protocol upgrade: a <c>101</c> answer turns the connection into a tunnel.</summary>
    public bool Upgrade { get; set; }

    public void Add(string name, StringValues value) => Headers.Add(new(name, value));

    /// <summary>Removes every field named <paramref name="name"/> (case-insensitive).</summary>
    public void Remove(string name) => Headers.RemoveAll(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Replaces every field named <paramref name="name"/> with one holding <paramref name="value"/>.</summary>
    public void Set(string name, StringValues value)
    {
        Remove(name);
        Add(name, value);
    }

    public bool Contains(string name) => Headers.Exists(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
}
