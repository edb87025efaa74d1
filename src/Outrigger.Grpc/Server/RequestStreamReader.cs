using Google.Protobuf;

namespace Outrigger.Grpc.Server;

/// <summary>The request stream of a client- or bidirectional-streaming call.</summary>
internal sealed class RequestStreamReader<T>(ServerCall call, MessageParser<T> parser) : IAsyncStreamReader<T>
    where T : class, IMessage<T>
{
    private T? _current;
    private bool _ended;

    public T Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first and check it returned true.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        if (_ended)
        {
            return false;
        }

        using var linked = cancellationToken.CanBeCanceled && cancellationToken != call.CancellationToken
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.CancellationToken)
            : null;
        _current = await call.ReadRequestAsync(parser, linked?.Token ?? call.CancellationToken).ConfigureAwait(false);
        _ended = _current is null;
        return !_ended;
    }
}
