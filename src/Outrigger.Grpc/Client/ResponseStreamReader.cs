using Google.Protobuf;

namespace Outrigger.Grpc.Client;

/// <summary>The response stream of a server- or bidirectional-streaming call.</summary>
internal sealed class ResponseStreamReader<TRequest, TResponse>(ClientCall<TRequest, TResponse> call) : IAsyncStreamReader<TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private TResponse? _current;

    public TResponse Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first and check it returned true.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        _current = await call.ReadMessageAsync(cancellationToken).ConfigureAwait(false);
        return _current is not null;
    }
}
