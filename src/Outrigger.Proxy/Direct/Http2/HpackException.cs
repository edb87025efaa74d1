namespace Outrigger.Proxy.Direct.Http2;

/// <summary>A malformed header block: the connection fails with COMPRESSION_ERROR (RFC 9113 §4.3).</summary>
internal sealed class HpackException(string message) : Exception(message);
