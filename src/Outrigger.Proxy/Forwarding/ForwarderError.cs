namespace Outrigger.Proxy.Forwarding;

/// <summary>What went wrong while forwarding one request, if anything (YARP's <c>ForwarderError</c> idea: an outcome, not an exception).</summary>
internal enum ForwarderError
{
    None,

    /// <summary>The client went away (or reset its stream) before the exchange finished.</summary>
    ClientAborted,

    /// <summary>The client's request body was invalid, too large or too slow.</summary>
    RequestBodyClient,

    /// <summary>No connection to the endpoint (refused, unreachable, DNS, TLS, connect timeout).</summary>
    ConnectFailed,

    /// <summary>The endpoint closed, reset or answered garbage before sending response headers.</summary>
    NoResponse,

    /// <summary>No response headers within the route's timeout.</summary>
    Timeout,

    /// <summary>The endpoint failed while sending the response body; the client connection was aborted.</summary>
    ResponseBodyUpstream,

    /// <summary>The upgraded (WebSocket) tunnel ended with an error on either side.</summary>
    UpgradeFailed,
}

/// <summary>The status the client got (499 when it went away first) and the error, if any.</summary>
internal readonly record struct ForwardResult(int StatusCode, ForwarderError Error)
{
    /// <summary>Whether the endpoint itself misbehaved (counts as a gateway failure for outlier detection).</summary>
    public bool IsGatewayFailure => Error is ForwarderError.ConnectFailed or ForwarderError.NoResponse or ForwarderError.Timeout or ForwarderError.ResponseBodyUpstream
        || (Error == ForwarderError.None && StatusCode is 502 or 503 or 504);
}
