using System.Net;
using System.Net.Http.Headers;

namespace Outrigger.Proxy.Upstream;

/// <summary>
/// An <see cref="IUpstreamClient"/> over <see cref="SocketsHttpHandler"/>, for HTTP/2 upstreams (h2c, or h2 over TLS):
/// multiplexed streams, gRPC and response trailers. Requests go with version 2.0 exactly.
/// </summary>
internal sealed class HttpHandlerClient(HttpMessageInvoker invoker, string baseUrl) : IUpstreamClient
{
    public async Task<UpstreamResponse> SendAsync(UpstreamRequest request, CancellationToken token)
    {
        var message = new HttpRequestMessage(HttpMethod.Parse(request.Method), new Uri(baseUrl + request.Target, UriKind.Absolute))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (request.Body is { } body)
        {
            message.Content = new BodyContent(body);
        }

        foreach (var (name, values) in request.Headers)
        {
            var added = values.Count == 1
                ? message.Headers.TryAddWithoutValidation(name, values.ToString())
                : message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            if (!added && message.Content is not null)
            {
                message.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        message.Headers.Host = request.Authority;

        message.Headers.ExpectContinue = request.ExpectContinue && request.Body is not null ? true : null;
        try
        {
            var response = await invoker.SendAsync(message, token).ConfigureAwait(false);
            return new HandlerResponse(message, response);
        }
        catch (HttpRequestException e)
        {
            message.Dispose();
            var connect = e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError
                || e.InnerException is TimeoutException;
            throw new UpstreamException(connect ? UpstreamFailure.Connect : UpstreamFailure.Exchange, Innermost(e).Message, e);
        }
        catch (OperationCanceledException e) when (!token.IsCancellationRequested && e.InnerException is TimeoutException)
        {
            // The handler's own connect timeout.
            message.Dispose();
            throw new UpstreamException(UpstreamFailure.Connect, e.InnerException.Message, e);
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    public void Dispose() => invoker.Dispose();

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    /// <summary>The request body as <see cref="HttpContent"/>; its length is announced when known.</summary>
    private sealed class BodyContent(RequestBody body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => body.WriteToAsync(stream, CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            body.WriteToAsync(stream, cancellationToken);

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length ?? -1;
            return body.Length is not null;
        }
    }

    private sealed class HandlerResponse : UpstreamResponse
    {
        private readonly HttpRequestMessage _request;
        private readonly HttpResponseMessage _response;
        private Stream? _body;
        private List<KeyValuePair<string, string>>? _trailers;

        public HandlerResponse(HttpRequestMessage request, HttpResponseMessage response)
        {
            _request = request;
            _response = response;
            StatusCode = (int)response.StatusCode;
            Version = response.Version;
            var headers = new List<KeyValuePair<string, string>>(response.Headers.NonValidated.Count + response.Content.Headers.NonValidated.Count);
            Flatten(response.Headers.NonValidated, headers);
            Flatten(response.Content.Headers.NonValidated, headers);
            Headers = headers;
        }

        public override IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

        public override IReadOnlyList<KeyValuePair<string, string>> Trailers
        {
            get
            {
                if (_trailers is null)
                {
                    _trailers = [];
                    Flatten(_response.TrailingHeaders.NonValidated, _trailers);
                }

                return _trailers;
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken token)
        {
            try
            {
                _body ??= await _response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
                return await _body.ReadAsync(buffer, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or IOException && e is not UpstreamException)
            {
                throw new UpstreamException(UpstreamFailure.Exchange, Innermost(e).Message, e);
            }
        }

        public override Stream OpenTunnel() => _response.Content.ReadAsStream();

        protected override void Dispose(bool disposing)
        {
            _response.Dispose();
            _request.Dispose();
        }

        private static void Flatten(HttpHeadersNonValidated source, List<KeyValuePair<string, string>> target)
        {
            foreach (var (name, values) in source)
            {
                foreach (var value in values)
                {
                    target.Add(new(name, value));
                }
            }
        }
    }
}
